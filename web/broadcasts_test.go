package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// TestBroadcastsPage: progress with counts, rate and percent; pause,
// resume and cancel from the page; an action the status no longer allows
// is told, not applied; the dashboard shows what runs.
func TestBroadcastsPage(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	b := &umkm.Broadcast{Region: w.cfg.Region.Code, Text: "Pelatihan <b>kemasan</b> Senin", CreatedAt: time.Now(), At: time.Now()}
	if err := w.store.CreateBroadcast(ctx, b); err != nil {
		t.Fatal(err)
	}
	var to []bot.Conversation
	for i := range 4 {
		to = append(to, bot.Conversation{Channel: bot.Telegram, User: "r" + itoa(i)})
	}
	if err := w.store.Enqueue(ctx, b.ID, to); err != nil {
		t.Fatal(err)
	}
	if err := w.store.StartBroadcast(ctx, b.ID, 4, time.Now().Add(-10*time.Second)); err != nil {
		t.Fatal(err)
	}
	ds, err := w.store.Take(ctx, b.ID, bot.Telegram, "test", 1, time.Minute)
	if err != nil || len(ds) != 1 {
		t.Fatalf("take: %v, %v", ds, err)
	}
	if o, _, err := w.store.Begin(ctx, ds[0]); err != nil || o != umkm.OutcomeGo {
		t.Fatalf("begin: %s, %v", o, err)
	}
	if _, err := w.store.Settle(ctx, ds[0], umkm.OutcomeSent, ""); err != nil {
		t.Fatal(err)
	}
	off := w.login("petugas")
	page := off.get("/broadcasts")
	for _, want := range []string{"1 dari 4 penerima (25%)", "terkirim 1 · gagal 0 · dilewati 0 · tidak pasti 0 · sisa 3", "pesan/detik",
		"Pelatihan &lt;b&gt;kemasan&lt;/b&gt;", `http-equiv="refresh"`, `action="/broadcasts/` + b.ID + `/pause"`} {
		if !strings.Contains(page.body, want) && !strings.Contains(page.text, want) {
			t.Errorf("broadcasts page lacks %q", want)
		}
	}
	var live []liveItem
	if res := off.get("/broadcasts/progress.json"); res.StatusCode != http.StatusOK || json.Unmarshal([]byte(res.body), &live) != nil ||
		len(live) != 1 || live[0].Done != 1 || live[0].Audience != 4 || !live[0].Live || live[0].Progress != "1 dari 4 penerima (25%)" {
		t.Fatalf("progress.json: %d %s", res.StatusCode, res.body)
	}
	if dash := off.get("/"); !strings.Contains(dash.text, "1 dari 4 penerima") {
		t.Errorf("the dashboard does not show the running broadcast")
	}
	for _, step := range []struct {
		action string
		want   umkm.BroadcastStatus
	}{{"pause", umkm.BroadcastPaused}, {"resume", umkm.BroadcastRunning}, {"cancel", umkm.BroadcastCancelled}} {
		res := off.post("/broadcasts/"+b.ID+"/"+step.action, nil)
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "changed=") {
			t.Fatalf("%s: %d %q", step.action, res.StatusCode, res.Header.Get("Location"))
		}
		if got, _ := w.store.Broadcast(ctx, b.ID); got.Status != step.want {
			t.Fatalf("after %s: %s", step.action, got.Status)
		}
	}
	res := off.post("/broadcasts/"+b.ID+"/resume", nil)
	if !strings.Contains(res.Header.Get("Location"), "refused=") {
		t.Fatalf("resuming a cancelled broadcast: %q", res.Header.Get("Location"))
	}
	if page := off.get(res.Header.Get("Location")); !strings.Contains(page.text, "Tidak bisa") || strings.Contains(page.body, `/resume"`) {
		t.Errorf("the refusal is not told, or a cancelled broadcast offers resume")
	}
	if res := off.post("/broadcasts/"+b.ID+"/explode", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown action: %d", res.StatusCode)
	}
	if entries, _ := w.store.AuditLog(0).Recent(ctx, 5); entries[0].Action != "broadcast.cancel" || entries[0].Subject != b.ID {
		t.Fatalf("audit: %+v", entries[0])
	}
}

// TestBroadcastCompose: an officer writes a broadcast, sees it as owners
// will with the recipients per channel, and schedules it once even when
// the form is sent twice; bad text, a past time and an empty audience are
// refused.
func TestBroadcastCompose(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	siti := w.register("Siti", "Keripik", "Plered", "kuliner", "mikro", "+6281234567890")
	w.register("Budi", "Bengkel", "Plered", "jasa", "mikro", "+6281234567891")
	wa := w.register("Ani", "Batik", "Campaka", "fesyen", "kecil", "+6281234567892")
	wa.Conv = bot.Conversation{Channel: bot.WhatsApp, User: "6281234567892"}
	if err := w.store.UpdateRegistration(ctx, wa); err != nil {
		t.Fatal(err)
	}
	tr := w.training("Kemasan", 10)
	if _, err := w.store.Enrol(ctx, umkm.Enrolment{Training: tr.ID, Conv: siti.Conv, Registration: siti.ID, At: time.Now()}, false); err != nil {
		t.Fatal(err)
	}
	off := w.login("petugas")
	page := off.get("/broadcasts/new")
	token := regexp.MustCompile(`name="token" value="([0-9a-f]{32})"`).FindStringSubmatch(page.body)
	if page.StatusCode != http.StatusOK || token == nil {
		t.Fatalf("compose page: %d, token %v", page.StatusCode, token)
	}
	form := url.Values{"token": {token[1]}, "text": {"Pelatihan kemasan <gratis> Senin 09.00 di aula DKUPP."}, "kecamatan": {"Plered"}}
	res := off.post("/broadcasts/preview", form)
	footer := w.cfg.Catalog.Render("id", bot.T("broadcast.footer"))
	if res.StatusCode != http.StatusOK || !strings.Contains(res.text, "2 penerima") || !strings.Contains(res.text, "Telegram: 2") || !strings.Contains(res.text, "WhatsApp: 0") ||
		!strings.Contains(res.text, footer) || !strings.Contains(res.body, "Pelatihan kemasan &lt;gratis&gt;") {
		t.Fatalf("preview: %d\n%s", res.StatusCode, res.text)
	}
	for name, tc := range map[string]struct {
		change url.Values
		want   int
		text   string
	}{
		"everyone":           {url.Values{"kecamatan": nil}, http.StatusOK, "3 penerima|Telegram: 2|WhatsApp: 1"},
		"whatsapp only":      {url.Values{"kecamatan": nil, "channels": {"whatsapp"}}, http.StatusOK, "1 penerima|Telegram: 0|WhatsApp: 1"},
		"training":           {url.Values{"trainings": {tr.ID}}, http.StatusOK, "1 penerima|Telegram: 1"},
		"mikro in campaka":   {url.Values{"kecamatan": {"Campaka"}, "sizes": {"mikro"}}, http.StatusOK, "0 penerima"},
		"too short":          {url.Values{"text": {"hai"}}, http.StatusUnprocessableEntity, "5 sampai 3.500 huruf"},
		"in the past":        {url.Values{"at": {"2020-01-01T09:00"}}, http.StatusUnprocessableEntity, "sudah lewat"},
		"unknown kecamatan ": {url.Values{"kecamatan": {"Atlantis"}}, http.StatusOK, "3 penerima"},
	} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		for k, v := range tc.change {
			f[k] = v
		}
		res := off.post("/broadcasts/preview", f)
		if res.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", name, res.StatusCode, tc.want)
		}
		for _, part := range strings.Split(tc.text, "|") {
			if !strings.Contains(res.text, part) {
				t.Errorf("%s: the page lacks %q", name, part)
			}
		}
	}

	nobody := url.Values{"token": {newToken()}, "text": form["text"], "sectors": {"kriya"}}
	if res := off.post("/broadcasts", nobody); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.text, "Tidak ada usaha yang cocok") {
		t.Fatalf("empty audience: %d", res.StatusCode)
	}
	for range 2 { // a double click
		res = off.post("/broadcasts", form)
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "created=") {
			t.Fatalf("create: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
	}
	all, _ := w.store.Broadcasts(ctx)
	if len(all) != 1 || all[0].Status != umkm.BroadcastScheduled || !slices.Equal(all[0].Audience.Kecamatan, []string{"Plered"}) ||
		all[0].Region != w.cfg.Region.Code {
		t.Fatalf("broadcasts after two sends of one form: %+v", all)
	}
	if page := off.get(res.Header.Get("Location")); !strings.Contains(page.text, "dijadwalkan") {
		t.Errorf("the list does not confirm the new broadcast")
	}
}
