package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

func openTestTicket(t *testing.T, s interface {
	OpenTicket(context.Context, *umkm.Ticket, umkm.TicketMsg) (string, int, error)
}, user string, at time.Time) string {
	t.Helper()
	c := bot.Conversation{Channel: bot.Telegram, User: user}
	id, _, err := s.OpenTicket(context.Background(), &umkm.Ticket{Conv: c, Region: "32.14", Opened: at, Status: umkm.TicketOpen},
		umkm.TicketMsg{At: at, From: umkm.FromOwner, Kind: bot.KindText, Text: "pinjaman modal"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestTicketClaimRace: two officers (two processes) claim the same ticket
// at once, many times over: exactly one wins each time and the other is
// told who holds it; the holder renews, a lapsed lease may be taken.
func TestTicketClaimRace(t *testing.T) {
	ctx := context.Background()
	a, b := twoStores(t)
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, bot.Jakarta)
	for i := 0; i < 20; i++ {
		id := openTestTicket(t, a, "u"+string(rune('a'+i)), now)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		names := []string{"rina", "budi"}
		for k, s := range []interface {
			ClaimTicket(context.Context, string, string, time.Duration, time.Time) (*umkm.Ticket, error)
		}{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[k] = s.ClaimTicket(ctx, id, names[k], 10*time.Minute, now)
			}()
		}
		wg.Wait()
		won := -1
		for k, err := range errs {
			if err == nil {
				if won >= 0 {
					t.Fatalf("ticket %s: both officers won the claim", id)
				}
				won = k
				continue
			}
			var held *umkm.HeldError
			if !errors.As(err, &held) {
				t.Fatalf("ticket %s, %s: %v", id, names[k], err)
			}
			if held.Officer != names[1-k] {
				t.Fatalf("%s was told %q holds it, want %q", names[k], held.Officer, names[1-k])
			}
		}
		if won < 0 {
			t.Fatalf("ticket %s: nobody won the claim", id)
		}
		winner, loser := names[won], names[1-won]
		if _, err := a.ClaimTicket(ctx, id, winner, 10*time.Minute, now.Add(time.Minute)); err != nil {
			t.Fatalf("holder renews: %v", err)
		}
		if _, err := a.AnswerTicket(ctx, id, loser, "jawaban", 10*time.Minute, now.Add(2*time.Minute)); !errors.Is(err, umkm.ErrTicketHeld) {
			t.Fatalf("the other officer answered a held ticket: %v", err)
		}
		tk, err := b.ClaimTicket(ctx, id, loser, 10*time.Minute, now.Add(12*time.Minute))
		if err != nil || tk.Officer != loser {
			t.Fatalf("claim after the lease lapsed: %+v, %v", tk, err)
		}
	}
}

// TestTicketLifecycle: one open ticket per conversation, messages kept in
// order, answers numbered, the reminder fires once, closing frees the
// conversation, and data saya / hapus data see and erase everything.
func TestTicketLifecycle(t *testing.T) {
	ctx := context.Background()
	s, _ := twoStores(t)
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, bot.Jakarta)
	c := bot.Conversation{Channel: bot.Telegram, User: "42"}
	id := openTestTicket(t, s, "42", now)
	again := openTestTicket(t, s, "42", now.Add(time.Minute))
	if again != id {
		t.Fatalf("second open gave %s, want the open %s", again, id)
	}
	other := openTestTicket(t, s, "43", now.Add(time.Minute))
	if _, pos, _ := s.OpenTicket(ctx, &umkm.Ticket{Conv: bot.Conversation{Channel: bot.Telegram, User: "43"}}, umkm.TicketMsg{}); pos != 2 {
		t.Fatalf("queue position of the second ticket = %d, want 2", pos)
	}
	// The same chat message twice (its turn ran again after a conflict): added once.
	for range 2 {
		if err := s.AddTicketMsg(ctx, id, umkm.TicketMsg{ID: "tg-77", At: now, From: umkm.FromOwner, Kind: bot.KindPhoto, Media: &bot.Media{Type: "photo", Ref: "f1"}}); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.OpenTicketOf(ctx, c); got != id {
		t.Fatalf("OpenTicketOf = %q", got)
	}
	// Reminder: only tickets waiting longer than 30 minutes, once.
	if r, err := s.RemindTickets(ctx, 30*time.Minute, now.Add(10*time.Minute)); err != nil || len(r) != 0 {
		t.Fatalf("early reminder: %v, %v", r, err)
	}
	r, err := s.RemindTickets(ctx, 30*time.Minute, now.Add(40*time.Minute))
	if err != nil || len(r) != 2 {
		t.Fatalf("reminder: %d tickets, %v", len(r), err)
	}
	if r, _ := s.RemindTickets(ctx, 30*time.Minute, now.Add(50*time.Minute)); len(r) != 0 {
		t.Fatalf("reminder fired twice: %v", r)
	}
	n, err := s.AnswerTicket(ctx, id, "rina", "Silakan datang ke kantor.", 10*time.Minute, now.Add(time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("answer number %d, %v", n, err)
	}
	tk, err := s.Ticket(ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(tk.Messages) != 3 || tk.Messages[1].Media == nil || tk.Messages[2].From != umkm.FromOfficer || tk.FirstAnswer.IsZero() || tk.Officer != "rina" {
		t.Fatalf("ticket = %+v", tk)
	}
	if err := s.CloseTicket(ctx, id, "rina", "dijawab", now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddTicketMsg(ctx, id, umkm.TicketMsg{Text: "x"}); !errors.Is(err, umkm.ErrTicketClosed) {
		t.Fatalf("message to a closed ticket: %v", err)
	}
	if _, err := s.ClaimTicket(ctx, id, "budi", time.Minute, now.Add(3*time.Hour)); !errors.Is(err, umkm.ErrTicketClosed) {
		t.Fatalf("claim of a closed ticket: %v", err)
	}
	if got, _ := s.OpenTicketOf(ctx, c); got != "" {
		t.Fatalf("still open after closing: %q", got)
	}
	// Kept for TicketTTL after closing (default 90 days), then gone.
	for _, k := range []string{s.Key("tk:"+id, "t"), s.Key("tk:"+id, "m")} {
		if ttl := s.Client().TTL(ctx, k).Val(); ttl < 89*24*time.Hour || ttl > 90*24*time.Hour {
			t.Fatalf("%s expires in %v, want TicketTTL", k, ttl)
		}
	}
	closed, err := s.Tickets(ctx, true, 10)
	if err != nil || len(closed) != 1 || closed[0].Outcome != "dijawab" {
		t.Fatalf("closed list %v, %v", closed, err)
	}
	open, _ := s.Tickets(ctx, false, 10)
	if len(open) != 1 || open[0].ID != other {
		t.Fatalf("open list %v", open)
	}
	id2 := openTestTicket(t, s, "42", now.Add(4*time.Hour))
	if id2 == id {
		t.Fatal("a new question reused the closed ticket")
	}
	mine, err := s.TicketsOf(ctx, c)
	if err != nil || len(mine) != 2 || len(mine[0].Messages) != 3 {
		t.Fatalf("TicketsOf = %v, %v", mine, err)
	}
	if n, err := s.EraseTickets(ctx, c); err != nil || n != 2 {
		t.Fatalf("erase: %d, %v", n, err)
	}
	if mine, _ := s.TicketsOf(ctx, c); len(mine) != 0 {
		t.Fatalf("tickets left after erase: %v", mine)
	}
	if _, err := s.Ticket(ctx, id, true); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("erased ticket still readable: %v", err)
	}
	if got, _ := s.OpenTicketOf(ctx, c); got != "" {
		t.Fatalf("open pointer left after erase: %q", got)
	}
}

// TestTicketTransfer: the holder moves a ticket to a colleague, who then
// holds it; the first officer is refused naming the new holder; a third
// officer cannot move a ticket someone else holds; two transfers racing
// from two processes leave exactly one holder and one note each winner.
func TestTicketTransfer(t *testing.T) {
	ctx := context.Background()
	s, s2 := twoStores(t)
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, bot.Jakarta)
	id := openTestTicket(t, s, "51", now)
	if _, err := s.ClaimTicket(ctx, id, "rina", 15*time.Minute, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	var held *umkm.HeldError
	if _, err := s.TransferTicket(ctx, id, "sari", "sari2", 15*time.Minute, now.Add(2*time.Minute)); !errors.As(err, &held) || held.Officer != "rina" {
		t.Fatalf("a third officer moved rina's ticket: %v", err)
	}
	if _, err := s.TransferTicket(ctx, id, "rina", "rina", 15*time.Minute, now.Add(2*time.Minute)); !errors.Is(err, umkm.ErrTransferTarget) {
		t.Fatalf("transfer to oneself: %v", err)
	}
	tk, err := s.TransferTicket(ctx, id, "rina", "budi", 15*time.Minute, now.Add(3*time.Minute))
	if err != nil || tk.Officer != "budi" {
		t.Fatalf("transfer: %+v, %v", tk, err)
	}
	if _, err := s.AnswerTicket(ctx, id, "rina", "masih saya", 15*time.Minute, now.Add(4*time.Minute)); !errors.As(err, &held) || held.Officer != "budi" {
		t.Fatalf("rina answered after the transfer: %v", err)
	}
	if _, err := s.AnswerTicketMsg(ctx, id, umkm.TicketMsg{Officer: "budi", Kind: bot.KindPhoto, Text: "contoh",
		Media: &bot.Media{Type: bot.AttachPhoto, Ref: "abc", Mime: "image/png"}}, 15*time.Minute, now.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	tk, err = s.Ticket(ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	if !tk.Claimed.Equal(now.Add(time.Minute)) || tk.HeldBy(now.Add(6*time.Minute)) != "budi" {
		t.Fatalf("claimed %v, held by %q", tk.Claimed, tk.HeldBy(now.Add(6*time.Minute)))
	}
	ms := tk.Messages
	if len(ms) != 3 || ms[1].From != umkm.FromDesk || ms[1].Officer != "rina" || ms[1].TransferTo != "budi" ||
		ms[2].Kind != bot.KindPhoto || ms[2].Media == nil || ms[2].Media.Ref != "abc" || ms[2].Officer != "budi" {
		t.Fatalf("messages: %+v", ms)
	}

	// Two processes move budi's ticket at once: one wins, one note.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	targets := []string{"sari", "tono"}
	for i, st := range []interface {
		TransferTicket(context.Context, string, string, string, time.Duration, time.Time) (*umkm.Ticket, error)
	}{s, s2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = st.TransferTicket(ctx, id, "budi", targets[i], 15*time.Minute, now.Add(7*time.Minute))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else if !errors.As(err, &held) {
			t.Fatalf("losing transfer: %v", err)
		}
	}
	tk, _ = s.Ticket(ctx, id, true)
	if won != 1 || len(tk.Messages) != 4 || tk.Messages[3].TransferTo != tk.Officer {
		t.Fatalf("racing transfers: %d won, holder %q, %d messages", won, tk.Officer, len(tk.Messages))
	}
}

// TestEraseTicketsRemovesReplyFiles: hapus data also deletes the pictures
// and documents officers sent in the owner's tickets.
func TestEraseTicketsRemovesReplyFiles(t *testing.T) {
	ctx := context.Background()
	s, _ := twoStores(t)
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, bot.Jakarta)
	id := openTestTicket(t, s, "61", now)
	ref, err := s.SaveImage(ctx, []byte("%PDF-1.4 surat untuk pemilik"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.SaveImage(ctx, []byte("\x89PNG poster siaran"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AnswerTicketMsg(ctx, id, umkm.TicketMsg{Officer: "rina", Kind: bot.KindDocument,
		Media: &bot.Media{Type: bot.AttachDocument, Ref: ref, Name: "surat.pdf"}}, time.Hour, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	n, err := s.EraseTickets(ctx, bot.Conversation{Channel: bot.Telegram, User: "61"})
	if err != nil || n != 1 {
		t.Fatalf("erased %d, %v", n, err)
	}
	if _, err := s.Image(ctx, ref); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("the officer's document survived the erasure: %v", err)
	}
	if _, err := s.Image(ctx, other); err != nil {
		t.Fatalf("an unrelated picture went too: %v", err)
	}
}

// TestTicketFilesLiveAsLongAsTheirTicket: a file an officer sent is kept
// while the ticket is open, however long that is (an upload alone expires
// after 60 days), and expires with the closed ticket after TicketTTL, not
// before it; a picture no ticket uses keeps its upload's expiry.
func TestTicketFilesLiveAsLongAsTheirTicket(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	const ttl = 120 * 24 * time.Hour // longer than an upload's 60 days
	s := store.New(rdb, store.Options{Prefix: prefix, TicketTTL: ttl})
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, bot.Jakarta)
	id := openTestTicket(t, s, "62", now)
	ref, err := s.SaveImage(ctx, []byte("%PDF-1.4 surat keterangan usaha"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.SaveImage(ctx, []byte("\x89PNG poster siaran"))
	if err != nil {
		t.Fatal(err)
	}
	upload := rdb.TTL(ctx, s.Key("img", other)).Val()
	if upload <= 0 || upload > 60*24*time.Hour {
		t.Fatalf("an upload expires in %v", upload)
	}
	if _, err := s.AnswerTicketMsg(ctx, id, umkm.TicketMsg{Officer: "rina", Kind: bot.KindDocument,
		Media: &bot.Media{Type: bot.AttachDocument, Ref: ref, Name: "surat.pdf"}}, time.Hour, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := rdb.TTL(ctx, s.Key("img", ref)).Val(); got != -1 {
		t.Fatalf("the file of an open ticket expires in %v, want kept (-1)", got)
	}
	if err := s.CloseTicket(ctx, id, "rina", "selesai", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	file, tk := rdb.TTL(ctx, s.Key("img", ref)).Val(), rdb.TTL(ctx, s.Key("tk:"+id, "t")).Val()
	if tk <= 60*24*time.Hour || file < tk-time.Minute || file > ttl {
		t.Fatalf("after closing: the ticket expires in %v, its file in %v; want both about %v", tk, file, ttl)
	}
	if got := rdb.TTL(ctx, s.Key("img", other)).Val(); got <= 0 || got > upload {
		t.Fatalf("a picture of no ticket expires in %v, want its upload's %v", got, upload)
	}
	if _, err := s.Image(ctx, ref); err != nil {
		t.Fatalf("the closed ticket's file: %v", err)
	}
}

// TestTicketMovedToYou: a transferred ticket is marked for its new officer
// (also once the claim lapsed unanswered, so it is not lost from their
// inbox) until an officer answers it or another officer claims it.
func TestTicketMovedToYou(t *testing.T) {
	ctx := context.Background()
	s, s2 := twoStores(t)
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, bot.Jakarta)
	read := func(id string) *umkm.Ticket {
		t.Helper()
		tk, err := s2.Ticket(ctx, id, false)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	id := openTestTicket(t, s, "71", now)
	if tk := read(id); tk.MovedToYou("budi") || tk.MovedTo != "" {
		t.Fatalf("a new ticket is marked moved: %+v", tk)
	}
	if _, err := s.TransferTicket(ctx, id, "rina", "budi", 15*time.Minute, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	tk := read(id)
	if !tk.MovedToYou("budi") || tk.MovedBy != "rina" || tk.MovedToYou("rina") {
		t.Fatalf("after the transfer: moved to %q by %q", tk.MovedTo, tk.MovedBy)
	}
	if tk.HeldBy(now.Add(time.Hour)) != "" || !tk.MovedToYou("budi") {
		t.Fatal("the mark went with the lapsed claim")
	}
	if _, err := s.ClaimTicket(ctx, id, "budi", 15*time.Minute, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !read(id).MovedToYou("budi") {
		t.Fatal("budi claiming it unanswered cleared the mark")
	}
	if _, err := s.AnswerTicket(ctx, id, "budi", "baik, saya bantu", 15*time.Minute, now.Add(61*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if tk := read(id); tk.MovedTo != "" {
		t.Fatalf("answered, still marked moved to %q", tk.MovedTo)
	}

	// Moved to sari, who does not take it; tono claims it after the lapse.
	if _, err := s.TransferTicket(ctx, id, "budi", "sari", 15*time.Minute, now.Add(62*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimTicket(ctx, id, "tono", 15*time.Minute, now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if tk := read(id); tk.MovedToYou("sari") {
		t.Fatal("still marked for sari after tono took it")
	}
	// A closed ticket is nobody's new ticket.
	if _, err := s.TransferTicket(ctx, id, "tono", "sari", 15*time.Minute, now.Add(121*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseTicket(ctx, id, "sari", "selesai", now.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if read(id).MovedToYou("sari") {
		t.Fatal("a closed ticket is marked moved")
	}
}
