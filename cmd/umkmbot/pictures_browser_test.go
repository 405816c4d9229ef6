package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// testPNG draws a small picture a browser can decode.
func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{R: uint8(x * 4), G: 120, B: uint8(y * 5), A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPicturesInBrowser: an officer reviews an application and sees the
// product's photo fetched through its channel (a fake Telegram download),
// and composes a broadcast with a picture that the preview shows above
// the message.
func TestPicturesInBrowser(t *testing.T) {
	ctx := browser(t)
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	const password = "sandi-petugas-2026"
	umkmbot(t, env, password+"\n", "admin", "user", "add", "budi", "--role", "petugas", "--full-name", "Budi Petugas")
	pic := testPNG(t)
	var (
		mu      sync.Mutex
		fetched []string
	)
	app, ts := consoleFor(t, env, func(a *App) {
		a.media.add(bot.Telegram, func(_ context.Context, ref string) ([]byte, error) {
			mu.Lock()
			defer mu.Unlock()
			fetched = append(fetched, ref)
			return pic, nil
		})
	})
	owner := bot.Conversation{Channel: bot.Telegram, User: "5001"}
	bg := context.Background()
	if err := app.Store.SaveProduct(bg, owner, &umkm.Product{Name: "Keripik singkong", Category: "kuliner",
		Photos: []bot.Media{{Type: "photo", Ref: "tg-file-1"}}}); err != nil {
		t.Fatal(err)
	}
	application := &umkm.Application{Region: app.Region.Code, Conv: owner, RegistrationID: "UMKM-3214-000001",
		Business: "Keripik Bu Siti", Target: "menong", TargetName: "Galeri Menong", Products: []string{"Keripik singkong"}, CreatedAt: time.Now()}
	if err := app.Store.SubmitApplication(bg, application); err != nil {
		t.Fatal(err)
	}
	dir := t.ArtifactDir()
	file := filepath.Join(t.TempDir(), "poster.png")
	if err := os.WriteFile(file, pic, 0o644); err != nil {
		t.Fatal(err)
	}
	type css = chromedp.CSS
	loaded := func(sel string) string {
		return `(() => { const i = document.querySelector(` + "`" + sel + "`" + `); return i !== null && i.complete && i.naturalWidth === 64 })()`
	}

	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/lang?to=id&back=%2Fcuration%2F"+application.ID),
		chromedp.WaitVisible(css(`#password`)),
		chromedp.SendKeys(css(`#name`), "budi"),
		chromedp.SendKeys(css(`#password`), password),
		chromedp.Submit(css(`#password`)),
		chromedp.WaitVisible(css(`.photos img`)),
	)
	if err != nil {
		t.Fatalf("review page: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](loaded(".photos img"))); err != nil {
		t.Fatalf("the product photo did not load: %v", err)
	}
	mu.Lock()
	if len(fetched) == 0 || fetched[0] != "tg-file-1" {
		t.Fatalf("fetched %v, want the Telegram file of the product", fetched)
	}
	mu.Unlock()
	if err := chromedp.Do(ctx, shot(dir, "15-application-photos")); err != nil {
		t.Fatal(err)
	}

	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/broadcasts/new"),
		chromedp.WaitVisible(css(`#text`)),
		chromedp.SendKeys(css(`#text`), "Pameran produk UMKM di alun-alun hari Sabtu."),
		chromedp.SetUploadFiles(css(`#image`), []string{file}),
		chromedp.Submit(css(`#text`)),
		chromedp.WaitVisible(css(`.bubble img`)),
	)
	if err != nil {
		t.Fatalf("compose with a picture: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](loaded(".bubble img"))); err != nil {
		t.Fatalf("the preview does not show the picture: %v", err)
	}
	if err := chromedp.Do(ctx, shot(dir, "16-broadcast-preview-picture")); err != nil {
		t.Fatal(err)
	}

	// An owner's question answered with a photo: the officer uploads it
	// with the reply; the ticket shows it and the owner's chat gets it as
	// a picture with the reply as caption.
	ownerChat := &photoChat{}
	app.Outbox.Register(bot.Console, ownerChat)
	asker := bot.Conversation{Channel: bot.Console, User: "5002"}
	if _, err := app.Engine.Handle(bg, bot.Message{ID: "ask-photo", Conv: asker, Kind: bot.KindText,
		Text: "petugas contoh label kemasan yang benar seperti apa?"}); err != nil {
		t.Fatal(err)
	}
	ticket, err := app.Store.OpenTicketOf(bg, asker)
	if err != nil || ticket == "" {
		t.Fatalf("no ticket opened: %v", err)
	}
	const caption = "Contoh label yang benar ada di foto ini."
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/tickets/"+ticket),
		chromedp.WaitVisible(css(`#claim`)),
		chromedp.Submit(css(`#claim`)),
		chromedp.WaitVisible(css(`#done-claimed`)),
		chromedp.SendKeys(css(`#text`), caption),
		chromedp.SetUploadFiles(css(`#file`), []string{file}),
		chromedp.Submit(css(`#text`)),
		chromedp.WaitVisible(css(`#done-sent`)),
		chromedp.WaitVisible(css(`img.reply-photo`)),
	)
	if err != nil {
		t.Fatalf("answer a ticket with a photo: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](loaded("img.reply-photo"))); err != nil {
		t.Fatalf("the ticket does not show the photo sent: %v", err)
	}
	if err := chromedp.Do(ctx, shot(dir, "17-ticket-photo-reply")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if p, c := ownerChat.last(); p != nil {
			if !bytes.Equal(p.Data, pic) || !strings.Contains(c, caption) || !strings.Contains(c, "Budi Petugas") {
				t.Fatalf("the owner got a photo of %d bytes with %q", len(p.Data), c)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the owner did not get the photo")
		}
	}
}

// photoChat is a console owner's chat that shows pictures.
type photoChat struct {
	mu      sync.Mutex
	photo   *bot.Photo
	caption string
}

func (c *photoChat) Send(context.Context, bot.Conversation, bot.Reply) error { return nil }

func (c *photoChat) SendPhoto(_ context.Context, _ bot.Conversation, p bot.Photo, caption bot.Reply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.photo, c.caption = &p, caption.Text
	return nil
}

func (c *photoChat) last() (*bot.Photo, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.photo, c.caption
}
