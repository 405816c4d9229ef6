package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// FuzzAttachmentName: whatever name a browser sends with an uploaded PDF,
// the owner's document gets a short, one-element, printable name ending in
// .pdf.
func FuzzAttachmentName(f *testing.F) {
	for _, s := range []string{"formulir.pdf", `C:\Users\rina\Dokumen\surat izin.PDF`, "../../etc/passwd", "", ".", "a\u202egpj.pdf",
		"\x00\x01.pdf", strings.Repeat("nama panjang ", 20), "laporan\"2026\".pdf", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := attachmentName(in)
		if !utf8.ValidString(got) && utf8.ValidString(in) {
			t.Fatalf("%q → invalid UTF-8 %q", in, got)
		}
		if !strings.HasSuffix(strings.ToLower(got), ".pdf") || strings.ContainsAny(got, `/\"`) || utf8.RuneCountInString(got) > 84 {
			t.Fatalf("%q → %q", in, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) {
				t.Fatalf("%q → %q has control or bidi character %U", in, got, r)
			}
		}
	})
}

func TestAttachmentName(t *testing.T) {
	for in, want := range map[string]string{
		"formulir.pdf":                         "formulir.pdf",
		`C:\Users\rina\Dokumen\surat izin.PDF`: "surat izin.PDF",
		"../../etc/passwd":                     "passwd.pdf",
		"":                                     "dokumen.pdf",
		"laporan\"2026\".pdf":                  "laporan2026.pdf",
	} {
		if got := attachmentName(in); got != want {
			t.Errorf("attachmentName(%q) = %q, want %q", in, got, want)
		}
	}
}

// recordingPoster keeps what the console queued into conversations.
type recordingPoster struct {
	mu   sync.Mutex
	msgs []bot.Message
}

func (p *recordingPoster) Submit(_ context.Context, m bot.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, m)
	return nil
}

// TestTransferShownToItsTarget: a ticket moved to an officer is shown to
// them, not to others, as "moved to you" on the dashboard (a count linking
// to their tickets), in the inbox (a count and a mark) and on the ticket;
// it stays under "Saya" after the claim lapsed unanswered, and the marks
// go once they answered it.
func TestTransferShownToItsTarget(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, bot.Jakarta)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	w, id := ticketWorld(t, now, clock)
	petugas, budi, admin := w.login("petugas"), w.login("budi"), w.login("admin")
	const mark = "Dialihkan kepada Anda oleh petugas"
	for _, c := range []*client{petugas, budi} {
		if res := c.get("/"); strings.Contains(res.body, `id="moved-to-you"`) {
			t.Fatal("a count of moved tickets before any move")
		}
	}
	if res := petugas.post("/tickets/"+id+"/claim", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("claim: %d", res.StatusCode)
	}
	if res := petugas.post("/tickets/"+id+"/transfer", url.Values{"to": {"budi"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("transfer: %d %s", res.StatusCode, res.text)
	}
	dash := budi.get("/")
	if !strings.Contains(dash.body, `id="moved-to-you"`) || !strings.Contains(dash.text, "1 pertanyaan dialihkan kepada Anda") ||
		!strings.Contains(dash.body, `href="/tickets?view=mine"`) {
		t.Fatalf("budi's dashboard does not count the ticket moved to him:\n%s", dash.text)
	}
	for _, c := range []*client{petugas, admin} {
		if res := c.get("/"); strings.Contains(res.body, `id="moved-to-you"`) {
			t.Fatal("the move is counted for an officer it was not moved to")
		}
		if res := c.get("/tickets"); strings.Contains(res.text, mark) {
			t.Fatal("the move is marked for an officer it was not moved to")
		}
	}
	inbox := budi.get("/tickets")
	if !strings.Contains(inbox.text, "1 pertanyaan dialihkan kepada Anda") || !strings.Contains(inbox.text, mark) {
		t.Fatalf("budi's inbox does not mark the ticket moved to him:\n%s", inbox.text)
	}
	if res := budi.get("/tickets/" + id); !strings.Contains(res.text, mark) {
		t.Fatalf("the ticket page does not say it was moved to budi")
	}

	// An hour later the claim lapsed; budi still finds it under "Saya".
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if res := budi.get("/tickets?view=mine"); !strings.Contains(res.body, "/tickets/"+id) || !strings.Contains(res.text, mark) {
		t.Fatalf("budi lost the ticket moved to him when the claim lapsed:\n%s", res.text)
	}
	if res := budi.post("/tickets/"+id+"/reply", url.Values{"text": {"Baik Bu, saya bantu."}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("budi's reply: %d %s", res.StatusCode, res.text)
	}
	if res := budi.get("/"); strings.Contains(res.body, `id="moved-to-you"`) {
		t.Fatal("still counted as moved to budi after he answered")
	}
	if res := budi.get("/tickets/" + id); strings.Contains(res.text, mark) {
		t.Fatal("still marked as moved to budi after he answered")
	}
}

// ticketWorld is a console with the inbox, a second petugas "budi" and
// one open ticket, whose id it returns.
func ticketWorld(t *testing.T, now time.Time, clock func() time.Time) (*world, string) {
	t.Helper()
	w := newWorld(t, func(c *Config) { c.Now = clock })
	w.srv.deps.Tickets, w.srv.deps.Poster = w.store, &recordingPoster{}
	ctx := context.Background()
	if err := w.store.CreateOfficer(ctx, &umkm.Officer{Name: "budi", FullName: "Budi Santoso", Role: umkm.RolePetugas, PasswordHash: testHash()}); err != nil {
		t.Fatal(err)
	}
	conv := bot.Conversation{Channel: bot.Telegram, User: "501"}
	id, _, err := w.store.OpenTicket(ctx, &umkm.Ticket{Conv: conv, Region: w.cfg.Region.Code, Opened: now, Status: umkm.TicketOpen},
		umkm.TicketMsg{At: now, From: umkm.FromOwner, Kind: bot.KindText, Text: "pinjaman modal"})
	if err != nil {
		t.Fatal(err)
	}
	return w, id
}

// TestTwoOfficersClaimAtOnce: two officers press "Ambil" on the same
// ticket at the same moment, many times over: exactly one gets it, the
// other sees the page again with who holds it, and only the winner may
// reply.
func TestTwoOfficersClaimAtOnce(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, bot.Jakarta)
	w, _ := ticketWorld(t, now, func() time.Time { return now })
	officers := map[string]*client{"petugas": w.login("petugas"), "budi": w.login("budi")}
	names := []string{"petugas", "budi"}
	for round := range 10 {
		id, _, err := w.store.OpenTicket(context.Background(), &umkm.Ticket{Conv: bot.Conversation{Channel: bot.Telegram, User: fmt.Sprint(600 + round)},
			Region: w.cfg.Region.Code, Opened: now, Status: umkm.TicketOpen},
			umkm.TicketMsg{At: now, From: umkm.FromOwner, Kind: bot.KindText, Text: "modal usaha"})
		if err != nil {
			t.Fatal(err)
		}
		res := make([]response, 2)
		var start, wg sync.WaitGroup
		start.Add(1)
		for i, name := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start.Wait()
				res[i] = officers[name].post("/tickets/"+id+"/claim", nil)
			}()
		}
		start.Done()
		wg.Wait()
		winner, loser := -1, -1
		for i, r := range res {
			switch r.StatusCode {
			case http.StatusSeeOther:
				winner = i
			case http.StatusConflict:
				loser = i
			default:
				t.Fatalf("round %d: %s's claim: %d", round, names[i], r.StatusCode)
			}
		}
		if winner < 0 || loser < 0 {
			t.Fatalf("round %d: claims answered %d and %d, want one winner and one refusal", round, res[0].StatusCode, res[1].StatusCode)
		}
		if want := "Pertanyaan ini sedang dipegang " + names[winner]; !strings.Contains(res[loser].text, want) {
			t.Fatalf("round %d: %s was not told %q:\n%s", round, names[loser], want, res[loser].text)
		}
		if r := officers[names[loser]].post("/tickets/"+id+"/reply", url.Values{"text": {"saya jawab"}}); r.StatusCode != http.StatusConflict {
			t.Fatalf("round %d: the loser replied: %d", round, r.StatusCode)
		}
		if r := officers[names[winner]].post("/tickets/"+id+"/reply", url.Values{"text": {"saya bantu"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("round %d: the winner's reply: %d", round, r.StatusCode)
		}
	}
}
