package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/ops"
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
		got, err := remindTickets(ctx, s, umkm.DefaultOfficeHours(), 30*time.Minute, n, obs, admins, log, opened.Add(at))
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

// TestTicketMetricsByTopic: tickets are counted by topic (the flow the
// owner was in), with the time until an officer took each and until the
// first answer; a ticket opened again (the owner asked twice) counts once;
// no label or value carries the question.
func TestTicketMetricsByTopic(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	m := ops.New(ops.Options{})
	tickets := observedTickets{s, m}
	opened := time.Date(2026, 12, 2, 9, 0, 0, 0, bot.Jakarta)
	open := func(user, flow string) string {
		id, _, err := tickets.OpenTicket(ctx, &umkm.Ticket{Conv: bot.Conversation{Channel: bot.Telegram, User: user}, Flow: flow, Opened: opened},
			umkm.TicketMsg{At: opened, From: umkm.FromOwner, Kind: bot.KindText, Text: "rahasia pinjaman 3214010101010001"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a := open("1", "daftar")
	open("1", "daftar") // asked again while open: the same ticket
	b := open("2", "")
	if _, err := tickets.ClaimTicket(ctx, a, "rina", time.Hour, opened.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := tickets.AnswerTicket(ctx, a, "rina", "jawaban", time.Hour, opened.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := tickets.TransferTicket(ctx, b, "budi", "rina", time.Hour, opened.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := tickets.AnswerTicket(ctx, b, "rina", "jawaban", time.Hour, opened.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := tickets.CloseTicket(ctx, a, umkm.FromOwner, "", opened.Add(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := tickets.CloseTicket(ctx, a, umkm.FromOwner, "", opened.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range families {
		if !strings.Contains(f.GetName(), "ticket") {
			continue
		}
		for _, mt := range f.GetMetric() {
			var labels []string
			for _, l := range mt.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			key := f.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case mt.GetCounter() != nil:
				got[key] = strconv.FormatFloat(mt.GetCounter().GetValue(), 'f', -1, 64)
			case mt.GetHistogram() != nil:
				got[key] = strconv.FormatUint(mt.GetHistogram().GetSampleCount(), 10) + " " + strconv.FormatFloat(mt.GetHistogram().GetSampleSum(), 'f', -1, 64)
			}
			if strings.Contains(key, "rahasia") || strings.Contains(key, "3214") {
				t.Fatalf("a label carries the question: %s", key)
			}
		}
	}
	want := map[string]string{
		"umkmbot_tickets_opened_total{topic=daftar}":          "1",
		"umkmbot_tickets_opened_total{topic=none}":            "1",
		"umkmbot_ticket_wait_seconds{topic=daftar}":           "1 300",
		"umkmbot_ticket_wait_seconds{topic=none}":             "1 7200",
		"umkmbot_ticket_first_answer_seconds{topic=daftar}":   "1 600",
		"umkmbot_ticket_first_answer_seconds{topic=none}":     "1 10800",
		"umkmbot_tickets_closed_total{by=owner,topic=daftar}": "1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("series: %v", got)
	}
}

// TestAdminChats: the reminder goes to every registered channel's admins:
// Telegram's ids, WhatsApp's numbers under their pseudonyms only (a
// conversation keyed by the number would put it in Redis key names and
// remind the admin twice).
func TestAdminChats(t *testing.T) {
	_, prefix := redistest.Client(t)
	a := testApp(context.Background(), t, map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix,
		"ADMIN_TELEGRAM_IDS": "777,778", "ADMIN_WHATSAPP_NUMBERS": "0812-3456-7890"})
	pseudonym, err := a.Store.WhatsAppUser(context.Background(), "6281234567890")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range adminChats(a.Channels) {
		got = append(got, c.String())
	}
	if want := "telegram:777 telegram:778 whatsapp:" + pseudonym; strings.Join(got, " ") != want {
		t.Fatalf("admin chats %v, want %s", got, want)
	}
	if !a.Channels.IsAdmin(bot.Conversation{Channel: bot.WhatsApp, User: pseudonym}) {
		t.Error("the WhatsApp admin's pseudonym is not an admin")
	}
}

// TestTicketReminderWaitsForOfficeHours: a ticket opened on a holiday
// reminds nobody that day nor over the weekend (the owner was told when
// the office opens); it reminds the officers once when the office opens.
func TestTicketReminderWaitsForOfficeHours(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	hours := umkm.OfficeHours{Days: []int{1, 2, 3, 4, 5}, Open: "08:00", Close: "16:00", Holidays: []string{"2026-12-25"}}
	opened := time.Date(2026, 12, 25, 10, 0, 0, 0, bot.Jakarta) // a Friday, Christmas
	if _, _, err := s.OpenTicket(ctx, &umkm.Ticket{Conv: bot.Conversation{Channel: bot.Telegram, User: "9"}, Opened: opened},
		umkm.TicketMsg{At: opened, From: umkm.FromOwner, Kind: bot.KindText, Text: "izin usaha"}); err != nil {
		t.Fatal(err)
	}
	told := 0
	n := notifierFunc(func(context.Context, bot.Conversation, ...bot.Out) error { told++; return nil })
	admins := []bot.Conversation{{Channel: bot.Telegram, User: "777"}}
	log := slog.New(slog.DiscardHandler)
	monday := func(h, m int) time.Time { return time.Date(2026, 12, 28, h, m, 0, 0, bot.Jakarta) }
	for _, c := range []struct {
		at   time.Time
		want int
	}{
		{opened.Add(31 * time.Minute), 0},                     // the holiday
		{opened.Add(5 * time.Hour), 0},                        // still the holiday
		{time.Date(2026, 12, 26, 9, 0, 0, 0, bot.Jakarta), 0}, // Saturday
		{monday(7, 59), 0},                                    // before opening
		{monday(8, 0), 1},                                     // the office opens
		{monday(8, 1), 0},                                     // once
		{monday(15, 59), 0},                                   // still once
	} {
		got, err := remindTickets(ctx, s, hours, 30*time.Minute, n, &recordedEvents{}, admins, log, c.at)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Fatalf("%s: reminded of %d tickets, want %d", c.at.Format("Mon 2006-01-02 15:04"), got, c.want)
		}
	}
	if told != 1 {
		t.Fatalf("the admins were told %d times, want once", told)
	}
}
