package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/ops"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/web"
)

// Hand-over tickets (issue 14): TICKET_TTL, TICKET_REMIND_AFTER, the
// reminder service and the metrics of tickets.

// TicketConfig tunes the hand-over to officers.
type TicketConfig struct {
	TTL         time.Duration // TICKET_TTL: how long a closed ticket is kept (default 90 days)
	RemindAfter time.Duration // TICKET_REMIND_AFTER: a ticket nobody took this long reminds the officers, once (default 30m)
	RemindEvery time.Duration // how often waiting tickets are looked for (1 minute)
	// TICKET_CANNED: a TOML file of the inbox's ready replies ([[reply]]
	// title, text); empty: the built-in ones (web/canned.toml).
	Canned []web.CannedReply
}

func loadTicketConfig(getenv func(string) string, errs *[]string) TicketConfig {
	c := TicketConfig{TTL: 90 * 24 * time.Hour, RemindAfter: 30 * time.Minute, RemindEvery: time.Minute}
	c.TTL = envDuration(getenv, "TICKET_TTL", c.TTL, errs)
	c.RemindAfter = envDuration(getenv, "TICKET_REMIND_AFTER", c.RemindAfter, errs)
	var data []byte
	if path := getenv("TICKET_CANNED"); path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			*errs = append(*errs, fmt.Sprintf("TICKET_CANNED: %v", err))
		}
	}
	canned, err := web.ParseCanned(data)
	if err != nil {
		*errs = append(*errs, fmt.Sprintf("TICKET_CANNED: %v", err))
	}
	c.Canned = canned
	return c
}

func init() { addService("ticket-reminders", runTicketReminders) }

// runTicketReminders looks every minute for tickets nobody took within
// TICKET_REMIND_AFTER and reminds the officers once per ticket: a log line,
// a metrics event and a chat message to the admins of ADMIN_TELEGRAM_IDS
// and ADMIN_WHATSAPP_NUMBERS.
func runTicketReminders(ctx context.Context, a *App) error {
	t := time.NewTicker(a.Cfg.Tickets.RemindEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := remindTickets(ctx, a.Store, officeHours(a.Region), a.Cfg.Tickets.RemindAfter, a.Outbox, a.Observer, adminChats(a.Channels), a.Log, time.Now()); err != nil && ctx.Err() == nil {
			a.Log.Warn("ticket reminders", "err", err)
		}
	}
}

// officeHours are the front desk's hours the owners are told (the
// deployment's region file's, else umkm.DefaultOfficeHours).
func officeHours(r umkm.Region) umkm.OfficeHours {
	if r.Hours != nil {
		return *r.Hours
	}
	return umkm.DefaultOfficeHours()
}

// remindTickets sends one round of reminders and returns how many tickets
// it reminded of. Outside office hours and on holidays nobody is reminded:
// the tickets wait, as the owners were told, and those that waited long
// enough are reminded of once when the office opens.
func remindTickets(ctx context.Context, s *store.Store, hours umkm.OfficeHours, wait time.Duration, n bot.Notifier, obs bot.Observer,
	to []bot.Conversation, log *slog.Logger, now time.Time) (int, error) {
	if !hours.IsOpen(now) {
		return 0, nil
	}
	due, err := s.RemindTickets(ctx, wait, now)
	if len(due) == 0 {
		return 0, err
	}
	for range due {
		obs.Event("ticket_reminder")
	}
	log.Warn("hand-over tickets waiting for an officer", "count", len(due), "oldest", due[0].ID, "waited", now.Sub(due[0].Opened).Round(time.Minute))
	for _, c := range to {
		if nerr := n.Notify(ctx, c, bot.Say(bot.N("petugas.reminder", len(due), "Minutes", int(wait.Minutes())))); nerr != nil {
			log.Warn("remind officer", "channel", c.Channel, "err", nerr)
		}
	}
	return len(due), err
}

// adminChats are the chats of every registered channel's configured
// admins (ADMIN_TELEGRAM_IDS, ADMIN_WHATSAPP_NUMBERS under their
// pseudonyms), in a stable order. The reminder goes through the outbox
// like any message, so on WhatsApp it is paced and held during a ban like
// the bot's replies.
func adminChats(chans *bot.Channels) []bot.Conversation {
	var out []bot.Conversation
	for _, c := range chans.All() {
		if c.Admins == nil {
			continue
		}
		for _, u := range c.Admins() {
			out = append(out, bot.Conversation{Channel: c.ID, User: u})
		}
	}
	slices.SortFunc(out, func(a, b bot.Conversation) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// observedTickets counts what happens to tickets in the metrics (counts,
// never their text): opened, claimed, claim conflicts, answered (with the
// time to the first answer in buckets), transferred, closed; and, when the
// observer is ops.Metrics, the same by topic (the flow the owner was in)
// with the waiting time and the time to the first answer.
type observedTickets struct {
	*store.Store
	obs bot.Observer
}

// topicMetrics is ops.Metrics's per-topic ticket series.
type topicMetrics interface {
	TicketEvent(event, topic string, took time.Duration)
}

func (o observedTickets) topic(event, topic string, took time.Duration) {
	if m, ok := o.obs.(topicMetrics); ok {
		m.TicketEvent(event, topic, took)
	}
}

// touched records an officer's first claim, reply or transfer of a ticket
// that was before as it was before.
func (o observedTickets) touched(before *umkm.Ticket, now time.Time) {
	if before != nil && before.Claimed.IsZero() {
		o.topic(ops.TicketTaken, before.Flow, now.Sub(before.Opened))
	}
}

func (o observedTickets) before(ctx context.Context, id string) *umkm.Ticket {
	t, err := o.Store.Ticket(ctx, id, false)
	if err != nil {
		return nil
	}
	return t
}

func (o observedTickets) OpenTicket(ctx context.Context, t *umkm.Ticket, first umkm.TicketMsg) (string, int, error) {
	had, _ := o.Store.OpenTicketOf(ctx, t.Conv)
	id, pos, err := o.Store.OpenTicket(ctx, t, first)
	if err == nil && had == "" {
		o.obs.Event("ticket_opened")
		o.topic(ops.TicketOpened, t.Flow, 0)
	}
	return id, pos, err
}

func (o observedTickets) ClaimTicket(ctx context.Context, id, officer string, lease time.Duration, now time.Time) (*umkm.Ticket, error) {
	before := o.before(ctx, id)
	t, err := o.Store.ClaimTicket(ctx, id, officer, lease, now)
	switch {
	case err == nil:
		o.obs.Event("ticket_claimed")
		o.touched(before, now)
	case errors.Is(err, umkm.ErrTicketHeld):
		o.obs.Event("ticket_claim_conflict")
	}
	return t, err
}

func (o observedTickets) AnswerTicketMsg(ctx context.Context, id string, m umkm.TicketMsg, lease time.Duration, now time.Time) (int, error) {
	before := o.before(ctx, id)
	n, err := o.Store.AnswerTicketMsg(ctx, id, m, lease, now)
	if err == nil {
		o.obs.Event("ticket_answered")
		o.touched(before, now)
		if before != nil && before.FirstAnswer.IsZero() {
			o.obs.Event("ticket_first_answer_" + waitBucket(now.Sub(before.Opened)))
			o.topic(ops.TicketFirstAnswer, before.Flow, now.Sub(before.Opened))
		}
	}
	return n, err
}

// AnswerTicket is AnswerTicketMsg for a text reply (so the store's own is
// not reached unobserved through the embedding).
func (o observedTickets) AnswerTicket(ctx context.Context, id, officer, text string, lease time.Duration, now time.Time) (int, error) {
	return o.AnswerTicketMsg(ctx, id, umkm.TicketMsg{Officer: officer, Kind: bot.KindText, Text: text}, lease, now)
}

func (o observedTickets) TransferTicket(ctx context.Context, id, from, to string, lease time.Duration, now time.Time) (*umkm.Ticket, error) {
	before := o.before(ctx, id)
	t, err := o.Store.TransferTicket(ctx, id, from, to, lease, now)
	if err == nil {
		o.obs.Event("ticket_transferred")
		o.touched(before, now)
	}
	return t, err
}

func (o observedTickets) CloseTicket(ctx context.Context, id, by, outcome string, at time.Time) error {
	before := o.before(ctx, id)
	err := o.Store.CloseTicket(ctx, id, by, outcome, at)
	if err == nil && before != nil && before.Status == umkm.TicketOpen {
		o.obs.Event("ticket_closed")
		if by == umkm.FromOwner {
			o.topic(ops.TicketClosedOwner, before.Flow, 0)
		} else {
			o.topic(ops.TicketClosedDesk, before.Flow, 0)
		}
	}
	return err
}

// waitBucket names a waiting time for a metrics label.
func waitBucket(d time.Duration) string {
	switch {
	case d <= 15*time.Minute:
		return "15m"
	case d <= time.Hour:
		return "1h"
	case d <= 4*time.Hour:
		return "4h"
	case d <= 24*time.Hour:
		return "1d"
	}
	return "over_1d"
}
