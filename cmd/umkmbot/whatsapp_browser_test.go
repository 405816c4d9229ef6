package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/umkmbot/umkmbot/store/redistest"
	"github.com/umkmbot/umkmbot/web"
)

// fakePairing stands in for whatsmeow: StartPairing shows a first QR
// code, rotate the next.
type fakePairing struct {
	mu sync.Mutex
	p  web.Pairing
	// onPaired and unlink, when set, stand for the channel: told of a
	// pairing, and unlinking the number (waChannel.LogOut).
	onPaired func()
	unlink   func(context.Context) error
}

func (f *fakePairing) Pairing(context.Context) (web.Pairing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.p, nil
}

func (f *fakePairing) StartPairing(_ context.Context, phone string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.p = web.Pairing{Active: true, QR: "2@first,code"}
	if phone != "" {
		f.p = web.Pairing{Active: true, PhoneCode: "ABCD-EFGH"}
	}
	return nil
}

func (f *fakePairing) LogOut(ctx context.Context) error {
	if f.unlink != nil {
		return f.unlink(ctx)
	}
	return nil
}

// succeed is the phone accepting the code: the page shows it, then the
// channel is told (as waPairer does once its connection closed).
func (f *fakePairing) succeed() {
	f.mu.Lock()
	f.p = web.Pairing{Paired: true}
	f.mu.Unlock()
	if f.onPaired != nil {
		f.onPaired()
	}
}

func (f *fakePairing) rotate(code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.p.QR = code
}

// TestPairingPageInBrowser opens the WhatsApp page as an admin with a fake
// pairing source, asks for a QR code, sees it drawn, and sees the page
// change to the next code by itself when the code rotates.
func TestPairingPageInBrowser(t *testing.T) {
	ctx := browser(t)
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	const password = "sandi-admin-2026"
	umkmbot(t, env, password+"\n", "admin", "user", "add", "sari", "--role", "admin", "--full-name", "Sari Admin")
	fp := &fakePairing{}
	_, ts := consoleFor(t, env, func(a *App) { a.pairing = fp })
	dir := t.ArtifactDir()
	type css = chromedp.CSS

	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/lang?to=id&back=%2Fwhatsapp"),
		chromedp.WaitVisible(css(`#password`)),
		chromedp.SendKeys(css(`#name`), "sari"),
		chromedp.SendKeys(css(`#password`), password),
		chromedp.Submit(css(`#password`)),
		chromedp.WaitVisible(css(`#phone`)),
		shot(dir, "13-whatsapp"),
		chromedp.Click(css(`form[action="/whatsapp/pair"] input[value="qr"] ~ .actions button`)),
		chromedp.WaitVisible(css(`#qr svg`)),
		shot(dir, "14-whatsapp-qr"),
	)
	if err != nil {
		t.Fatalf("pair by QR code: %v", err)
	}
	first, err := chromedp.Run(ctx, chromedp.OuterHTML(css(`#qr svg`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first, "<path") {
		t.Fatalf("no QR code drawn: %s", first)
	}
	// The page reloads itself (every 5 s) and shows the next code.
	fp.rotate("2@second,code")
	// The reload may land between two reads: a failed read is tried again.
	var next string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		if svg, err := chromedp.Run(ctx, chromedp.OuterHTML(css(`#qr svg`))); err == nil && svg != first {
			next = svg
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the page did not show the rotated code by itself")
		}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740), chromedp.Reload(), chromedp.WaitVisible(css(`#qr svg`)), shot(dir, "360-whatsapp-qr")); err != nil {
		t.Fatal(err)
	}
	if next == first {
		t.Fatal("the QR code did not change")
	}
}
