package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
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
	for name, d := range map[string]*time.Duration{"TICKET_TTL": &c.TTL, "TICKET_REMIND_AFTER": &c.RemindAfter} {
		if v := getenv(name); v != "" {
			if p, err := time.ParseDuration(v); err != nil || p <= 0 {
				*errs = append(*errs, fmt.Sprintf("%s=%q is not a positive duration (e.g. 2160h, 30m)", name, v))
			} else {
				*d = p
			}
		}
	}
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
// a metrics event and a chat message to the admins of ADMIN_TELEGRAM_IDS.
func runTicketReminders(ctx context.Context, a *App) error {
	t := time.NewTicker(a.Cfg.Tickets.RemindEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := remindTickets(ctx, a.Store, a.Cfg.Tickets.RemindAfter, a.Outbox, a.Observer, adminChats(a.Cfg.Broadcast), a.Log, time.Now()); err != nil && ctx.Err() == nil {
			a.Log.Warn("ticket reminders", "err", err)
		}
	}
}

// remindTickets sends one round of reminders and returns how many tickets
// it reminded of.
func remindTickets(ctx context.Context, s *store.Store, wait time.Duration, n bot.Notifier, obs bot.Observer,
	to []bot.Conversation, log *slog.Logger, now time.Time) (int, error) {
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

// adminChats are the chats of the admins named in ADMIN_TELEGRAM_IDS.
func adminChats(b BroadcastConfig) []bot.Conversation {
	var out []bot.Conversation
	for id := range b.AdminTelegram {
		out = append(out, bot.Conversation{Channel: bot.Telegram, User: id})
	}
	return out
}

// observedTickets counts what happens to tickets in the metrics (counts,
// never their text): opened, claimed, claim conflicts, answered (with the
// time to the first answer in buckets), closed.
type observedTickets struct {
	*store.Store
	obs bot.Observer
}

func (o observedTickets) OpenTicket(ctx context.Context, t *umkm.Ticket, first umkm.TicketMsg) (string, int, error) {
	id, pos, err := o.Store.OpenTicket(ctx, t, first)
	if err == nil {
		o.obs.Event("ticket_opened")
	}
	return id, pos, err
}

func (o observedTickets) ClaimTicket(ctx context.Context, id, officer string, lease time.Duration, now time.Time) (*umkm.Ticket, error) {
	t, err := o.Store.ClaimTicket(ctx, id, officer, lease, now)
	switch {
	case err == nil:
		o.obs.Event("ticket_claimed")
	case errors.Is(err, umkm.ErrTicketHeld):
		o.obs.Event("ticket_claim_conflict")
	}
	return t, err
}

func (o observedTickets) AnswerTicketMsg(ctx context.Context, id string, m umkm.TicketMsg, lease time.Duration, now time.Time) (int, error) {
	before, berr := o.Store.Ticket(ctx, id, false)
	n, err := o.Store.AnswerTicketMsg(ctx, id, m, lease, now)
	if err == nil {
		o.obs.Event("ticket_answered")
		if berr == nil && before.FirstAnswer.IsZero() {
			o.obs.Event("ticket_first_answer_" + waitBucket(now.Sub(before.Opened)))
		}
	}
	return n, err
}

func (o observedTickets) CloseTicket(ctx context.Context, id, by, outcome string, at time.Time) error {
	err := o.Store.CloseTicket(ctx, id, by, outcome, at)
	if err == nil {
		o.obs.Event("ticket_closed")
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
