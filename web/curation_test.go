package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// TestCurationReview: the queue shows undecided applications; a petugas
// moves one on with a note (a rejection needs one), each change queues
// the owner's notice; two officers deciding at once: one wins, the other
// is told.
func TestCurationReview(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	submit := func(user, business string) *umkm.Application {
		a := &umkm.Application{Region: w.cfg.Region.Code, Conv: bot.Conversation{Channel: bot.Telegram, User: user},
			RegistrationID: "UMKM-3214-000001", Business: business, Target: "menong", TargetName: "Galeri Menong",
			Products: []string{"Keripik singkong", "Rengginang"}, CreatedAt: time.Now()}
		if err := w.store.SubmitApplication(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := submit("u1", "Keripik Bu Siti")
	b := submit("u2", "Batik Ani")
	off := w.login("petugas")
	if res := off.get("/curation"); !strings.Contains(res.text, "Keripik Bu Siti") || !strings.Contains(res.text, "Batik Ani") || !strings.Contains(res.text, "Rengginang") {
		t.Fatalf("queue lacks the applications")
	}
	res := off.post("/curation/"+a.ID, url.Values{"status": {"ditolak"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.text, "apa yang perlu diperbaiki") {
		t.Fatalf("rejection without a note: %d", res.StatusCode)
	}
	if res := off.post("/curation/"+a.ID, url.Values{"status": {"diajukan"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("back to diajukan: %d", res.StatusCode)
	}
	res = off.post("/curation/"+a.ID, url.Values{"status": {"ditinjau"}, "note": {"Sampel dibawa ke galeri Senin"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ditinjau: %d %s", res.StatusCode, res.body)
	}
	if page := off.get(res.Header.Get("Location")); !strings.Contains(page.text, "Status tersimpan") || !strings.Contains(page.text, "Sampel dibawa ke galeri Senin") {
		t.Fatalf("after the change the page does not show it")
	}
	n, done, ok, err := w.store.NextCurationNotice(ctx, w.cfg.Region.Code, time.Second)
	if err != nil || !ok || n.App != a.ID || n.Status != umkm.StatusReviewing || n.Note != "Sampel dibawa ke galeri Senin" {
		t.Fatalf("owner's notice = %+v, %v, %v", n, ok, err)
	}
	done(ctx)

	// Two officers decide b at the same moment.
	other := w.login("admin")
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, c := range []*client{off, other} {
		status := []string{"diterima", "ditolak"}[i]
		wg.Go(func() {
			codes[i] = c.post("/curation/"+b.ID, url.Values{"from": {"diajukan"}, "status": {status}, "note": {"keputusan " + status}}).StatusCode
		})
	}
	wg.Wait()
	slices.Sort(codes)
	if codes[0] != http.StatusSeeOther || codes[1] != http.StatusConflict {
		t.Fatalf("two decisions at once: %v, want one 303 and one 409", codes)
	}
	got, _ := w.store.Application(ctx, b.ID)
	if len(got.History) != 2 || !got.Status.Final() {
		t.Fatalf("b after two decisions: %+v", got)
	}
	if page := off.get("/curation/" + b.ID); strings.Contains(page.body, `name="status"`) {
		t.Fatalf("a decided application still offers a status change")
	}
	if res := off.get("/curation"); strings.Contains(res.text, "Batik Ani") {
		t.Fatalf("a decided application is still in the undecided queue")
	}
	if res := off.get("/curation?status=" + string(got.Status)); !strings.Contains(res.text, "Batik Ani") {
		t.Fatalf("the decided application is not under its status")
	}
	if res := off.get("/curation/KUR-9999-000001"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown application: %d", res.StatusCode)
	}
}
