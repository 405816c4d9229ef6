package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
)

// fakePairing is a pairing source that shows the codes a test sets.
type fakePairing struct {
	mu      sync.Mutex
	p       Pairing
	phone   string // the last phone pairing was started with
	started int
	paired  bool
	busy    bool // another serve process is pairing
	out     int  // log-outs
}

func (f *fakePairing) Pairing(context.Context) (Pairing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.p, nil
}

func (f *fakePairing) StartPairing(_ context.Context, phone string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paired {
		return ErrPaired
	}
	if f.busy {
		return ErrPairingElsewhere
	}
	if phone != "" && strings.Trim(phone, "0123456789+ -") != "" {
		return ErrBadPhone
	}
	f.started++
	f.phone = phone
	f.p = Pairing{Active: true, QR: "2@first-code"}
	if phone != "" {
		f.p = Pairing{Active: true, PhoneCode: "ABCD-EFGH"}
	}
	return nil
}

func (f *fakePairing) LogOut(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out++
	f.paired = false
	return nil
}

// rotate shows the next QR code, as whatsmeow's channel does every 20 s.
func (f *fakePairing) rotate(code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.p.QR = code
}

func pairingWorld(t *testing.T) (*world, *fakePairing) {
	fp := &fakePairing{}
	w := newWorldDeps(t, func(d *Deps) { d.Pairing = fp })
	return w, fp
}

func TestPairByQRShowsRotatingCode(t *testing.T) {
	w, fp := pairingWorld(t)
	c := w.login("admin")
	res := c.get("/whatsapp")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, `action="/whatsapp/pair"`) {
		t.Fatalf("pair page: %d, no pairing form:\n%s", res.StatusCode, res.body)
	}
	res = c.post("/whatsapp/pair", url.Values{"by": {"qr"}})
	if res.StatusCode != http.StatusSeeOther || fp.started != 1 || fp.phone != "" {
		t.Fatalf("start QR pairing: %d, started %d with %q", res.StatusCode, fp.started, fp.phone)
	}
	first, _ := qrSVG("2@first-code")
	res = c.get("/whatsapp")
	if !strings.Contains(res.body, string(first)) {
		t.Fatalf("the page does not show the first code's QR:\n%s", res.body)
	}
	if !strings.Contains(res.body, `http-equiv="refresh"`) {
		t.Fatal("a page showing a QR code does not reload itself as codes rotate")
	}
	fp.rotate("2@second-code")
	second, _ := qrSVG("2@second-code")
	res = c.get("/whatsapp")
	if !strings.Contains(res.body, string(second)) || strings.Contains(res.body, string(first)) {
		t.Fatal("after the code rotated the page does not show the new QR code only")
	}
	if strings.Contains(res.body, "second-code") {
		t.Fatal("the QR code's text is on the page besides the picture")
	}

	fp.mu.Lock()
	fp.p = Pairing{Paired: true}
	fp.mu.Unlock()
	res = c.get("/whatsapp")
	if strings.Contains(res.body, "<svg") || strings.Contains(res.body, `http-equiv="refresh"`) ||
		!strings.Contains(res.text, w.cfg.Catalog.Render("id", bot.T("web.pair.done"))) {
		t.Fatalf("after pairing the page still shows a code or reloads:\n%s", res.body)
	}
}

func TestPairByPhoneCode(t *testing.T) {
	w, fp := pairingWorld(t)
	c := w.login("admin")
	res := c.post("/whatsapp/pair", url.Values{"by": {"code"}, "phone": {"nomor saya"}})
	if res.StatusCode != http.StatusUnprocessableEntity || fp.started != 0 ||
		!strings.Contains(res.text, w.cfg.Catalog.Render("id", bot.T("web.pair.error.phone"))) ||
		!strings.Contains(res.text, `value="nomor saya"`) {
		t.Fatalf("a bad phone: %d, started %d\n%s", res.StatusCode, fp.started, res.body)
	}
	res = c.post("/whatsapp/pair", url.Values{"by": {"code"}, "phone": {""}})
	if res.StatusCode != http.StatusUnprocessableEntity || fp.started != 0 {
		t.Fatalf("no phone: %d, started %d", res.StatusCode, fp.started)
	}
	res = c.post("/whatsapp/pair", url.Values{"by": {"code"}, "phone": {"6281234567890"}})
	if res.StatusCode != http.StatusSeeOther || fp.phone != "6281234567890" {
		t.Fatalf("start code pairing: %d, phone %q", res.StatusCode, fp.phone)
	}
	res = c.get("/whatsapp")
	if !strings.Contains(res.body, `id="paircode">ABCD-EFGH<`) || strings.Contains(res.body, "<svg") {
		t.Fatalf("the page does not show the pairing code (alone):\n%s", res.body)
	}
	entries, err := w.store.AuditLog(0).Recent(context.Background(), 5)
	if err != nil || len(entries) == 0 || entries[0].Action != "whatsapp_pair" || entries[0].Actor != "web:admin" {
		t.Fatalf("pairing is not in the audit log: %+v %v", entries, err)
	}
}

func TestPairRefusedWhenPairedAndLogOut(t *testing.T) {
	w, fp := pairingWorld(t)
	fp.paired = true
	c := w.login("admin")
	res := c.post("/whatsapp/pair", url.Values{"by": {"qr"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(res.text, w.cfg.Catalog.Render("id", bot.T("web.pair.error.paired"))) {
		t.Fatalf("pairing over a paired number: %d\n%s", res.StatusCode, res.body)
	}
	res = c.post("/whatsapp/logout", nil)
	if res.StatusCode != http.StatusSeeOther || fp.out != 1 || fp.paired {
		t.Fatalf("log out: %d, log-outs %d", res.StatusCode, fp.out)
	}
}

// Only admins reach the number: a petugas or pengamat neither sees nor
// changes it.
func TestPairOnlyAdmins(t *testing.T) {
	w, fp := pairingWorld(t)
	for _, name := range []string{"petugas", "pengamat"} {
		c := w.login(name)
		if res := c.get("/whatsapp"); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s opens /whatsapp: %d", name, res.StatusCode)
		}
		if res := c.get("/"); strings.Contains(res.body, `href="/whatsapp"`) {
			t.Errorf("%s sees the WhatsApp menu entry", name)
		}
		for _, p := range []string{"/whatsapp/pair", "/whatsapp/logout"} {
			if res := c.post(p, url.Values{"by": {"qr"}}); res.StatusCode != http.StatusForbidden {
				t.Errorf("%s posts %s: %d", name, p, res.StatusCode)
			}
		}
	}
	if fp.started != 0 || fp.out != 0 {
		t.Fatalf("a non-admin started pairing (%d) or logged out (%d)", fp.started, fp.out)
	}
}

// Without a pairing source (`umkmbot admin` alone) the page says where
// pairing is done and refuses to start.
func TestPairWithoutSource(t *testing.T) {
	w := newWorld(t)
	c := w.login("admin")
	res := c.get("/whatsapp")
	if res.StatusCode != http.StatusOK || strings.Contains(res.body, `action="/whatsapp/pair"`) {
		t.Fatalf("no source: %d, offers pairing:\n%s", res.StatusCode, res.body)
	}
	if res := c.post("/whatsapp/pair", url.Values{"by": {"qr"}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("no source, pair: %d", res.StatusCode)
	}
}

// While another serve process is pairing, the page says so and starts
// nothing (two pairings would link two devices).
func TestPairRefusedWhilePairingElsewhere(t *testing.T) {
	w, fp := pairingWorld(t)
	fp.busy = true
	c := w.login("admin")
	res := c.post("/whatsapp/pair", url.Values{"by": {"qr"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(res.text, w.cfg.Catalog.Render("id", bot.T("web.pair.error.elsewhere"))) {
		t.Fatalf("pairing while another process pairs: %d\n%s", res.StatusCode, res.body)
	}
	if fp.started != 0 {
		t.Fatal("a pairing was started")
	}
}
