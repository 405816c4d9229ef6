package umkm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
)

// TicketStatus is where a ticket is.
type TicketStatus string

// Ticket statuses. A ticket is open until the owner or an officer closes
// it; whether an officer holds it is its claim (Officer, LeaseUntil).
const (
	TicketOpen   TicketStatus = "open"
	TicketClosed TicketStatus = "closed"
)

// Ticket is one owner's question handed over to the Dinas.
type Ticket struct {
	ID       string
	Conv     bot.Conversation
	Region   string
	RegID    string // the owner's registration, "" when not registered
	Business string // its business name, for the inbox
	Flow     string // the flow the owner was in when they asked ("" none)
	Lang     string
	Status   TicketStatus
	Opened   time.Time

	Officer     string    // who holds the claim ("" nobody)
	LeaseUntil  time.Time // the claim lasts until then unless renewed
	Claimed     time.Time // an officer first took it (zero: never)
	FirstAnswer time.Time // the first officer reply (zero: none yet)
	Closed      time.Time
	ClosedBy    string // "owner" or the officer's name
	Outcome     string // the officer's short note on closing
	Reminded    bool   // the officers were reminded that it waits
	// MovedTo is the officer the ticket was last transferred to, until an
	// officer answers it or another officer claims it ("" none); MovedBy
	// moved it. The console shows it to MovedTo as "moved to you".
	MovedTo, MovedBy string

	Messages []TicketMsg // oldest first; filled by reads that say so
}

// Waiting reports whether nobody holds the ticket's claim at now.
func (t *Ticket) Waiting(now time.Time) bool {
	return t.Status == TicketOpen && (t.Officer == "" || !now.Before(t.LeaseUntil))
}

// MovedToYou reports whether the open ticket was transferred to officer,
// who has not answered it yet.
func (t *Ticket) MovedToYou(officer string) bool {
	return t.Status == TicketOpen && officer != "" && t.MovedTo == officer
}

// HeldBy returns the officer holding the claim at now, "" for none.
func (t *Ticket) HeldBy(now time.Time) string {
	if t.Waiting(now) {
		return ""
	}
	return t.Officer
}

// Senders of ticket messages.
const (
	FromOwner   = "owner"
	FromOfficer = "officer"
	FromDesk    = "desk" // a note of the desk: a transfer (Officer moved it to TransferTo)
)

// TicketMsg is one message of a ticket. Owner texts are stored masked
// (MaskNumbers): a ticket is read by officers, who see the registration's
// data on its own page.
type TicketMsg struct {
	ID       string        `json:"id,omitempty"` // the chat message's id: a turn run again adds it once
	At       time.Time     `json:"at"`
	From     string        `json:"from"`              // FromOwner or FromOfficer
	Officer  string        `json:"officer,omitempty"` // the officer's account, for FromOfficer
	Kind     bot.Kind      `json:"kind"`
	Text     string        `json:"text,omitempty"`
	Media    *bot.Media    `json:"media,omitempty"`
	Location *bot.Location `json:"location,omitempty"`
	// TransferTo is the officer a FromDesk note moved the ticket to.
	TransferTo string `json:"transfer_to,omitempty"`
	// BeforeHandover marks what the owner wrote to the bot (not understood)
	// before asking for an officer.
	BeforeHandover bool `json:"before,omitempty"`
}

// TicketMsgOf converts an owner's message for a ticket, masking NIK and
// phone numbers in its text.
func TicketMsgOf(m bot.Message, at time.Time) TicketMsg {
	tm := TicketMsg{ID: m.ID, At: at, From: FromOwner, Kind: m.Kind, Text: bot.MaskNumbers(m.Text), Media: m.Media, Location: m.Location}
	if m.Kind == bot.KindContact && m.Contact != nil {
		tm.Text = strings.TrimSpace(m.Contact.Name + " " + phone.Mask(m.Contact.Phone))
	}
	return tm
}

// ErrTicketHeld is returned (wrapped in a *HeldError) when another officer
// holds a ticket's claim.
var ErrTicketHeld = errors.New("ticket held by another officer")

// ErrTicketClosed is returned when a closed ticket is changed.
var ErrTicketClosed = errors.New("ticket closed")

// ErrTransferTarget is returned when a ticket is moved to nobody or to
// the officer who holds it.
var ErrTransferTarget = errors.New("no other officer to transfer to")

// HeldError says who holds a ticket.
type HeldError struct {
	Officer string
	Until   time.Time
}

func (e *HeldError) Error() string { return fmt.Sprintf("ticket held by %s", e.Officer) }

// Unwrap makes errors.Is(err, ErrTicketHeld) true.
func (e *HeldError) Unwrap() error { return ErrTicketHeld }

// TicketStore keeps tickets (the flow's side).
type TicketStore interface {
	// OpenTicket stores a new ticket with its first message and returns
	// its id and its place among the open tickets (1 = first).
	OpenTicket(ctx context.Context, t *Ticket, first TicketMsg) (id string, position int, err error)
	// OpenTicketOf returns the id of the conversation's open ticket, "" none.
	OpenTicketOf(ctx context.Context, c bot.Conversation) (string, error)
	// AddTicketMsg appends a message to an open ticket.
	AddTicketMsg(ctx context.Context, id string, m TicketMsg) error
	// CloseTicket closes a ticket (by "owner" or an officer's name).
	CloseTicket(ctx context.Context, id, by, outcome string, at time.Time) error
}

// OfficeHours are when the Dinas's front desk answers, in WIB. A region
// file sets them in its [hours] table; without one DefaultOfficeHours
// applies, marked Default so the owner is told they are to be confirmed
// by the Dinas.
type OfficeHours struct {
	Days     []int    `toml:"days"`     // ISO weekdays open: 1 Monday … 7 Sunday
	Open     string   `toml:"open"`     // "08:00" WIB
	Close    string   `toml:"close"`    // "16:00" WIB
	Holidays []string `toml:"holidays"` // closed dates, "2026-12-25"
	Source   string   `toml:"source"`   // where the hours come from
	Default  bool     `toml:"-"`        // not from the region file: the Dinas must confirm them
}

// DefaultOfficeHours are the usual hours of an Indonesian local-government
// office (Monday to Friday, 08:00–16:00 WIB) with no holidays known. They
// are a placeholder until the region file has the Dinas's own.
func DefaultOfficeHours() OfficeHours {
	return OfficeHours{Days: []int{1, 2, 3, 4, 5}, Open: "08:00", Close: "16:00", Default: true}
}

// Validate checks the hours' syntax.
func (h OfficeHours) Validate() error {
	o, err1 := hhmm(h.Open)
	c, err2 := hhmm(h.Close)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("office hours: %w", err)
	}
	if c <= o {
		return fmt.Errorf("office hours: close %s is not after open %s", h.Close, h.Open)
	}
	for _, d := range h.Days {
		if d < 1 || d > 7 {
			return fmt.Errorf("office hours: day %d is not 1 (Monday) … 7 (Sunday)", d)
		}
	}
	for _, d := range h.Holidays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return fmt.Errorf("office hours: holiday %q is not YYYY-MM-DD", d)
		}
	}
	return nil
}

func hhmm(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// workday reports whether the office opens on day (any time of it, WIB).
func (h OfficeHours) workday(day time.Time) bool {
	wd := int(day.Weekday())
	if wd == 0 {
		wd = 7
	}
	return slices.Contains(h.Days, wd) && !slices.Contains(h.Holidays, day.Format(time.DateOnly))
}

// IsOpen reports whether the office answers at now.
func (h OfficeHours) IsOpen(now time.Time) bool {
	o, err1 := hhmm(h.Open)
	c, err2 := hhmm(h.Close)
	if err1 != nil || err2 != nil {
		return false
	}
	now = now.In(bot.Jakarta)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, bot.Jakarta)
	since := now.Sub(day)
	return h.workday(day) && since >= o && since < c
}

// Holiday reports whether now's date is one of the holidays.
func (h OfficeHours) Holiday(now time.Time) bool {
	return slices.Contains(h.Holidays, now.In(bot.Jakarta).Format(time.DateOnly))
}

// NextOpen returns when the office opens next after now (now itself when
// it is open); zero when it never opens.
func (h OfficeHours) NextOpen(now time.Time) time.Time {
	if h.IsOpen(now) {
		return now
	}
	o, err := hhmm(h.Open)
	if err != nil {
		return time.Time{}
	}
	now = now.In(bot.Jakarta)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, bot.Jakarta)
	for i := 0; i < 60; i++ {
		d := day.AddDate(0, 0, i)
		if at := d.Add(o); h.workday(d) && at.After(now) {
			return at
		}
	}
	return time.Time{}
}
