package web

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The officers' inbox of hand-over tickets (issue 14): owners who asked
// for a person in the chat. An officer claims a ticket (a lease: nobody
// else answers it meanwhile), reads the owner's data and messages, replies
// and closes it with a short outcome. Replies are queued into the owner's
// conversation through the dispatcher, so they go out on the owner's own
// channel through the durable outbox, in order with the bot's replies and
// under the same rate limits, and are retried while the channel is down.

// TicketDesk keeps tickets (the officers' side).
type TicketDesk interface {
	Tickets(ctx context.Context, closed bool, max int) ([]*umkm.Ticket, error)
	Ticket(ctx context.Context, id string, msgs bool) (*umkm.Ticket, error)
	// ClaimTicket gives the claim to officer; a *umkm.HeldError names another holder.
	ClaimTicket(ctx context.Context, id, officer string, lease time.Duration, now time.Time) (*umkm.Ticket, error)
	// AnswerTicket records a reply of the claim's holder (taking a free
	// claim) and returns its number in the ticket.
	AnswerTicket(ctx context.Context, id, officer, text string, lease time.Duration, now time.Time) (int, error)
	CloseTicket(ctx context.Context, id, by, outcome string, at time.Time) error
}

// ConversationPoster queues a message into a conversation (the
// dispatcher's Submit): an officer's reply, a closed ticket.
type ConversationPoster interface {
	Submit(ctx context.Context, msg bot.Message) error
}

const (
	ticketLease    = 15 * time.Minute // how long a claim lasts without a reply
	ticketsShown   = 200
	maxTicketReply = 1000
	maxOutcome     = 200
)

var ticketViews = []string{"open", "mine", "waiting", "closed"}

type ticketListView struct {
	View    string
	Views   []string
	Tickets []*umkm.Ticket
	Now     time.Time
}

func (s *Server) ticketsOn(w http.ResponseWriter, r *http.Request) bool {
	if s.deps.Tickets == nil || s.deps.Poster == nil {
		s.fail(w, r, http.StatusNotFound, "web.error.not_found")
		return false
	}
	return true
}

// ticketList is the inbox: open tickets oldest first, those the officer
// holds, those nobody holds, or the latest closed. The page refreshes
// itself every 30 seconds (no script needed).
func (s *Server) ticketList(w http.ResponseWriter, r *http.Request) {
	if !s.ticketsOn(w, r) {
		return
	}
	v := ticketListView{View: r.URL.Query().Get("view"), Views: ticketViews, Now: s.cfg.Now()}
	if v.View == "" || !strings.Contains(strings.Join(ticketViews, " "), v.View) {
		v.View = "open"
	}
	all, err := s.deps.Tickets.Tickets(r.Context(), v.View == "closed", ticketsShown)
	if err != nil {
		s.unavailable(w, r, "list tickets", err)
		return
	}
	me := officerOf(r).officer.Name
	for _, t := range all {
		if !s.inRegion(t) {
			continue
		}
		switch v.View {
		case "mine":
			if t.HeldBy(v.Now) != me {
				continue
			}
		case "waiting":
			if !t.Waiting(v.Now) {
				continue
			}
		}
		v.Tickets = append(v.Tickets, t)
	}
	s.render(w, r, http.StatusOK, "tickets", "web.tickets.title", v)
}

// inRegion: a deployment's console shows its own region's tickets.
func (s *Server) inRegion(t *umkm.Ticket) bool {
	code := s.cfg.Region.Code
	return code == "" || t.Region == "" || t.Region == code || strings.HasPrefix(t.Region, code+".")
}

type ticketView struct {
	Ticket   *umkm.Ticket
	Reg      *umkm.Registration // the owner's registration, names masked for pengamat
	Owner    string
	Phone    string
	HeldBy   string // who holds the claim now ("" nobody)
	Mine     bool
	Error    string // message id
	ErrorArg string
	Done     string // "claimed", "sent", "closed"
	Reply    string // as typed, when refused, or a canned reply picked
	Canned   []CannedReply
	Now      time.Time
}

func (s *Server) loadTicket(w http.ResponseWriter, r *http.Request) (*umkm.Ticket, bool) {
	if !s.ticketsOn(w, r) {
		return nil, false
	}
	t, err := s.deps.Tickets.Ticket(r.Context(), r.PathValue("id"), true)
	if errors.Is(err, bot.ErrNotFound) || (err == nil && !s.inRegion(t)) {
		s.fail(w, r, http.StatusNotFound, "web.error.not_found")
		return nil, false
	}
	if err != nil {
		s.unavailable(w, r, "load ticket", err)
		return nil, false
	}
	return t, true
}

func (s *Server) ticketViewOf(r *http.Request, t *umkm.Ticket) ticketView {
	now := s.cfg.Now()
	me := officerOf(r).officer
	v := ticketView{Ticket: t, HeldBy: t.HeldBy(now), Now: now, Done: r.URL.Query().Get("done"), Canned: s.cfg.Canned}
	// ?canned=N puts canned reply N into the box (a link: no script needed).
	if n, err := strconv.Atoi(r.URL.Query().Get("canned")); err == nil && n >= 1 && n <= len(v.Canned) {
		v.Reply = v.Canned[n-1].Text
	}
	v.Mine = v.HeldBy == me.Name
	if t.RegID != "" {
		if reg, err := s.deps.Registrations.Registration(r.Context(), t.RegID); err == nil {
			v.Reg, v.Owner, v.Phone = reg, reg.OwnerName, phone.Mask(reg.Phone)
			if !me.Role.CanChange() {
				v.Owner = maskName(reg.OwnerName)
			}
		}
	}
	return v
}

func (s *Server) ticketDetail(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTicket(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "ticket", "web.tickets.ticket", s.ticketViewOf(r, t))
}

// ticketRefused shows the ticket again with why the action was refused.
func (s *Server) ticketRefused(w http.ResponseWriter, r *http.Request, id string, err error, reply string) {
	t, terr := s.deps.Tickets.Ticket(r.Context(), id, true)
	if terr != nil {
		s.unavailable(w, r, "load ticket", terr)
		return
	}
	v := s.ticketViewOf(r, t)
	v.Reply = reply
	var held *umkm.HeldError
	status := http.StatusConflict
	switch {
	case errors.As(err, &held):
		v.Error, v.ErrorArg = "web.tickets.error.held", held.Officer
	case errors.Is(err, umkm.ErrTicketClosed):
		v.Error = "web.tickets.error.closed"
	default:
		status, v.Error = http.StatusUnprocessableEntity, err.Error()
	}
	s.render(w, r, status, "ticket", "web.tickets.ticket", v)
}

func (s *Server) ticketDone(w http.ResponseWriter, r *http.Request, id, done string) {
	http.Redirect(w, r, "/tickets/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
}

// ticketClaim takes the ticket for the signed-in officer; when another
// officer holds it, the page says who.
func (s *Server) ticketClaim(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTicket(w, r)
	if !ok {
		return
	}
	me := officerOf(r).officer.Name
	if _, err := s.deps.Tickets.ClaimTicket(r.Context(), t.ID, me, ticketLease, s.cfg.Now()); err != nil {
		if errors.Is(err, umkm.ErrTicketHeld) || errors.Is(err, umkm.ErrTicketClosed) {
			s.ticketRefused(w, r, t.ID, err, "")
			return
		}
		s.unavailable(w, r, "claim ticket", err, "ticket", t.ID)
		return
	}
	s.audit(r, "ticket_claim", t.ID, "")
	s.ticketDone(w, r, t.ID, "claimed")
}

// ticketReply records the officer's reply and queues it to the owner.
func (s *Server) ticketReply(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTicket(w, r)
	if !ok {
		return
	}
	text := strings.TrimSpace(bot.CleanText(r.PostFormValue("text")))
	if text == "" || utf8.RuneCountInString(text) > maxTicketReply {
		s.ticketRefused(w, r, t.ID, errors.New("web.tickets.error.reply"), text)
		return
	}
	me := officerOf(r).officer
	now := s.cfg.Now()
	n, err := s.deps.Tickets.AnswerTicket(r.Context(), t.ID, me.Name, text, ticketLease, now)
	if errors.Is(err, umkm.ErrTicketHeld) || errors.Is(err, umkm.ErrTicketClosed) {
		s.ticketRefused(w, r, t.ID, err, text)
		return
	}
	if err != nil {
		s.unavailable(w, r, "answer ticket", err, "ticket", t.ID)
		return
	}
	name := me.FullName
	if name == "" {
		name = me.Name
	}
	msg := bot.Message{ID: fmt.Sprintf("tk-%s-%d", t.ID, n), Conv: t.Conv, Time: now, Kind: bot.KindOfficer, Name: name, Text: text}
	if err := s.deps.Poster.Submit(r.Context(), msg); err != nil {
		s.unavailable(w, r, "queue ticket reply", err, "ticket", t.ID)
		return
	}
	s.audit(r, "ticket_reply", t.ID, "")
	s.ticketDone(w, r, t.ID, "sent")
}

// ticketClose closes the ticket with a short outcome; the owner is told
// and their conversation returns to the bot.
func (s *Server) ticketClose(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTicket(w, r)
	if !ok {
		return
	}
	outcome := strings.TrimSpace(bot.CleanText(r.PostFormValue("outcome")))
	if utf8.RuneCountInString(outcome) > maxOutcome {
		s.ticketRefused(w, r, t.ID, errors.New("web.tickets.error.outcome"), "")
		return
	}
	me := officerOf(r).officer.Name
	now := s.cfg.Now()
	if h := t.HeldBy(now); h != "" && h != me {
		s.ticketRefused(w, r, t.ID, &umkm.HeldError{Officer: h, Until: t.LeaseUntil}, "")
		return
	}
	if t.Status == umkm.TicketClosed {
		s.ticketRefused(w, r, t.ID, umkm.ErrTicketClosed, "")
		return
	}
	if err := s.deps.Tickets.CloseTicket(r.Context(), t.ID, me, outcome, now); err != nil {
		s.unavailable(w, r, "close ticket", err, "ticket", t.ID)
		return
	}
	msg := bot.Message{ID: "tk-" + t.ID + "-closed", Conv: t.Conv, Time: now, Kind: bot.KindTicketClosed}
	if err := s.deps.Poster.Submit(r.Context(), msg); err != nil {
		s.unavailable(w, r, "queue ticket closed", err, "ticket", t.ID)
		return
	}
	s.audit(r, "ticket_close", t.ID, "")
	s.ticketDone(w, r, t.ID, "closed")
}

// CannedReply is a ready answer the officer puts into the reply box.
type CannedReply struct {
	Title string `toml:"title"`
	Text  string `toml:"text"`
}

//go:embed canned.toml
var defaultCanned []byte

// ParseCanned reads canned replies ([[reply]] tables with title and text);
// empty data gives the built-in ones.
func ParseCanned(data []byte) ([]CannedReply, error) {
	if len(data) == 0 {
		data = defaultCanned
	}
	var f struct {
		Reply []CannedReply `toml:"reply"`
	}
	if err := toml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("canned replies: %w", err)
	}
	for i, c := range f.Reply {
		if strings.TrimSpace(c.Title) == "" || strings.TrimSpace(c.Text) == "" || utf8.RuneCountInString(c.Text) > maxTicketReply {
			return nil, fmt.Errorf("canned reply %d: a title and a text of at most %d characters are needed", i+1, maxTicketReply)
		}
	}
	return f.Reply, nil
}
