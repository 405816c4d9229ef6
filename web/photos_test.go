package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// fakeMedia serves files by channel and reference, and counts fetches.
type fakeMedia struct {
	mu      sync.Mutex
	files   map[string][]byte // channel + "|" + ref
	fetched []string
}

func (f *fakeMedia) FetchMedia(_ context.Context, ch bot.ChannelID, ref string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fetched = append(f.fetched, string(ch)+"|"+ref)
	b, ok := f.files[string(ch)+"|"+ref]
	if !ok {
		return nil, errors.New("no such file")
	}
	return b, nil
}

// A JPEG's first bytes are enough for the sniffer.
var jpeg = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, make([]byte, 64)...)

// photoWorld has an application for two products of a Telegram owner: one
// with two photos (a JPEG, and an HTML page passed off as a photo), one
// without.
func photoWorld(t *testing.T) (*world, *fakeMedia, *umkm.Application) {
	t.Helper()
	fm := &fakeMedia{files: map[string][]byte{
		"telegram|file-jpeg": jpeg,
		"telegram|file-html": []byte("<!doctype html><script>alert(1)</script>"),
	}}
	var w *world
	w = newWorldDeps(t, func(d *Deps) { d.Media = fm; d.Products = d.Registrations.(Products) })
	ctx := context.Background()
	owner := bot.Conversation{Channel: bot.Telegram, User: "u77"}
	for _, p := range []*umkm.Product{
		{Name: "Keripik Pedas", Category: "kuliner", Photos: []bot.Media{{Type: "photo", Ref: "file-jpeg"}, {Type: "photo", Ref: "file-html"}}},
		{Name: "Rengginang", Category: "kuliner"},
	} {
		if err := w.store.SaveProduct(ctx, owner, p); err != nil {
			t.Fatal(err)
		}
	}
	app := &umkm.Application{Region: w.cfg.Region.Code, Conv: owner, RegistrationID: "UMKM-3214-000009", Business: "Keripik Bu Ani",
		Target: "menong", TargetName: "Galeri Menong", Products: []string{"Keripik Pedas", "Rengginang", "Dodol"}}
	if err := w.store.SubmitApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	return w, fm, app
}

func TestCurationShowsProductPhotos(t *testing.T) {
	w, fm, app := photoWorld(t)
	c := w.login("pengamat")
	res := c.get("/curation/" + app.ID)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("review page: %d", res.StatusCode)
	}
	for _, want := range []string{
		`<img src="/curation/` + app.ID + `/photos/0"`, `src="/curation/` + app.ID + `/photos/1"`,
		w.cfg.Catalog.Render("id", bot.T("web.curation.no_photos")),    // Rengginang
		w.cfg.Catalog.Render("id", bot.T("web.curation.product_gone")), // Dodol
	} {
		if !strings.Contains(res.text, want) {
			t.Errorf("review page lacks %q", want)
		}
	}
	if strings.Contains(res.body, "file-jpeg") {
		t.Error("the page shows a channel file reference")
	}
	if len(fm.fetched) != 0 {
		t.Errorf("the page fetched photos itself: %v", fm.fetched)
	}

	res = c.get("/curation/" + app.ID + "/photos/0")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" || res.body != string(jpeg) {
		t.Fatalf("photo 0: %d %q, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(res.body))
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") || !strings.Contains(cc, "private") {
		t.Errorf("photo Cache-Control %q: a proxy may keep it", cc)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("photo without nosniff")
	}
	if got := fm.fetched; len(got) != 1 || got[0] != "telegram|file-jpeg" {
		t.Errorf("fetched %v, want the Telegram file", got)
	}

	// What is not a picture is not passed on, whatever the chat called it.
	if res := c.get("/curation/" + app.ID + "/photos/1"); res.StatusCode != http.StatusUnsupportedMediaType || strings.Contains(res.body, "<script>") {
		t.Errorf("an HTML 'photo': %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, n := range []string{"2", "-1", "x"} {
		if res := c.get("/curation/" + app.ID + "/photos/" + n); res.StatusCode != http.StatusNotFound {
			t.Errorf("photo %s: %d, want 404", n, res.StatusCode)
		}
	}
}

// Photos are for signed-in officers only.
func TestCurationPhotoNeedsSession(t *testing.T) {
	w, fm, app := photoWorld(t)
	res := w.client().get("/curation/" + app.ID + "/photos/0")
	if res.StatusCode == http.StatusOK || strings.Contains(res.body, string(jpeg[:4])) {
		t.Fatalf("signed out: %d", res.StatusCode)
	}
	if len(fm.fetched) != 0 {
		t.Fatalf("a signed-out request fetched %v", fm.fetched)
	}
}

// A channel that cannot deliver the photo leaves the review usable.
func TestCurationPhotoFetchFails(t *testing.T) {
	w, fm, app := photoWorld(t)
	fm.files = nil
	c := w.login("petugas")
	if res := c.get("/curation/" + app.ID + "/photos/0"); res.StatusCode != http.StatusBadGateway {
		t.Fatalf("failed fetch: %d", res.StatusCode)
	}
	if res := c.get("/curation/" + app.ID); res.StatusCode != http.StatusOK {
		t.Fatalf("review page after a failed fetch: %d", res.StatusCode)
	}
}
