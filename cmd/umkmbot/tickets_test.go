package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

type recordedEvents struct {
	bot.NopObserver
	events []string
}

func (r *recordedEvents) Event(name string) { r.events = append(r.events, name) }

// TestTicketReminder: a ticket nobody took reminds the officers once after
// TICKET_REMIND_AFTER, in their chat and in the metrics; a taken one does
// not; the metrics count tickets without their text.
func TestTicketReminder(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	obs := &recordedEvents{}
	tickets := observedTickets{s, obs}
	opened := time.Date(2026, 12, 2, 9, 0, 0, 0, bot.Jakarta)
	var ids []string
	for _, user := range []string{"1", "2"} {
		id, _, err := tickets.OpenTicket(ctx, &umkm.Ticket{Conv: bot.Conversation{Channel: bot.Telegram, User: user}, Opened: opened},
			umkm.TicketMsg{At: opened, From: umkm.FromOwner, Kind: bot.KindText, Text: "rahasia pemilik"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if _, err := tickets.ClaimTicket(ctx, ids[1], "rina", 4*time.Hour, opened.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	var told []string
	n := notifierFunc(func(_ context.Context, to bot.Conversation, outs ...bot.Out) error {
		for _, o := range outs {
			told = append(told, to.String()+" "+o.Texts[0].ID)
		}
		return nil
	})
	admins := []bot.Conversation{{Channel: bot.Telegram, User: "777"}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i, at := range []time.Duration{10 * time.Minute, 31 * time.Minute, 45 * time.Minute, 3 * time.Hour} {
		got, err := remindTickets(ctx, s, 30*time.Minute, n, obs, admins, log, opened.Add(at))
		if err != nil {
			t.Fatal(err)
		}
		if want := map[int]int{1: 1}[i]; got != want {
			t.Fatalf("round %d (%v): reminded of %d tickets, want %d", i, at, got, want)
		}
	}
	if len(told) != 1 || told[0] != "telegram:777 petugas.reminder" {
		t.Fatalf("officers told %v", told)
	}
	if _, err := tickets.AnswerTicket(ctx, ids[0], "budi", "jawaban", time.Hour, opened.Add(50*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := tickets.CloseTicket(ctx, ids[0], "budi", "", opened.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := tickets.ClaimTicket(ctx, ids[1], "budi", time.Hour, opened.Add(6*time.Minute)); err == nil {
		t.Fatal("budi took rina's ticket")
	}
	want := "ticket_opened ticket_opened ticket_claimed ticket_reminder ticket_answered ticket_first_answer_1h ticket_closed ticket_claim_conflict"
	if got := strings.Join(obs.events, " "); got != want {
		t.Fatalf("events\n got %s\nwant %s", got, want)
	}
}

func TestTicketConfig(t *testing.T) {
	var errs []string
	c := loadTicketConfig(func(k string) string { return map[string]string{"TICKET_TTL": "720h", "TICKET_REMIND_AFTER": "10m"}[k] }, &errs)
	if len(errs) > 0 || c.TTL != 720*time.Hour || c.RemindAfter != 10*time.Minute {
		t.Fatalf("%+v %v", c, errs)
	}
	if len(c.Canned) == 0 {
		t.Fatal("no built-in canned replies")
	}
	loadTicketConfig(func(k string) string { return map[string]string{"TICKET_TTL": "lama"}[k] }, &errs)
	if len(errs) != 1 || !strings.Contains(errs[0], "TICKET_TTL") {
		t.Fatalf("bad TICKET_TTL: %v", errs)
	}
	bad := filepath.Join(t.TempDir(), "canned.toml")
	os.WriteFile(bad, []byte("[[reply]]\ntitle = \"kosong\"\n"), 0o644)
	own := filepath.Join(t.TempDir(), "own.toml")
	os.WriteFile(own, []byte("[[reply]]\ntitle = \"Halo\"\ntext = \"Halo Bapak/Ibu.\"\n"), 0o644)
	errs = nil
	loadTicketConfig(func(k string) string { return map[string]string{"TICKET_CANNED": bad}[k] }, &errs)
	if len(errs) != 1 || !strings.Contains(errs[0], "TICKET_CANNED") {
		t.Fatalf("a canned reply without text: %v", errs)
	}
	errs = nil
	if c := loadTicketConfig(func(k string) string { return map[string]string{"TICKET_CANNED": own}[k] }, &errs); len(errs) > 0 || len(c.Canned) != 1 || c.Canned[0].Title != "Halo" {
		t.Fatalf("own canned replies: %+v %v", c.Canned, errs)
	}
}

type notifierFunc func(ctx context.Context, to bot.Conversation, outs ...bot.Out) error

func (f notifierFunc) Notify(ctx context.Context, to bot.Conversation, outs ...bot.Out) error {
	return f(ctx, to, outs...)
}
