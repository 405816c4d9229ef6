package main

import (
	"context"
	"os"
	"os/exec"
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

// chromium returns the path of an installed Chromium or Chrome. Without
// one the browser tests skip, except under CI=true, where .ci/run installs
// Debian's chromium and its absence is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but no Chromium is installed: .ci/run must install Debian's chromium package")
	}
	t.Skip("browser test skipped: no Chromium installed (apt-get install chromium)")
	return ""
}

// browser starts a headless Chromium for the test and returns its context.
// Timeouts are generous: the machine may be busy.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // tests may run as root, where Chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// shot saves a full-page screenshot as PNG under dir.
func shot(dir, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		png, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	})
}

// text returns the visible text of the first element sel matches.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// TestConsoleInBrowser drives the web console in a real headless Chromium:
// an owner registers through the chat, an officer created with `umkmbot
// admin user add` signs in, finds the registration in the list and its
// detail (NIK masked, then revealed), creates a training, which the chat
// then offers, accepts a curation application, which the owner is told;
// every page is photographed at 1280 and at 360 pixels wide (kept with
// go test -artifacts -outputdir DIR).
func TestConsoleInBrowser(t *testing.T) {
	ctx := browser(t)
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	if chat := umkmbot(t, env, registration, "chat"); !strings.Contains(chat, "UMKM-3214-000001") {
		t.Fatalf("chat did not register:\n%s", chat)
	}
	const password = "sandi-petugas-2026"
	umkmbot(t, env, password+"\n", "admin", "user", "add", "budi", "--role", "petugas", "--full-name", "Budi Petugas")
	// a colleague to transfer a ticket to: the ticket page shows the form
	umkmbot(t, env, password+"\n", "admin", "user", "add", "sari", "--role", "petugas", "--full-name", "Sari Wulandari")

	app, ts := consoleFor(t, env)
	dir := t.ArtifactDir()
	t.Logf("screenshots in %s", dir)
	type css = chromedp.CSS

	// Signed out: the console sends the browser to the sign-in page, and
	// after signing in back to the page asked for. Indonesian is chosen
	// with the link in the header (headless Chromium asks for English).
	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/lang?to=id&back=%2Fregistrations"),
		chromedp.WaitVisible(css(`#password`)),
		shot(dir, "01-login"),
		chromedp.SendKeys(css(`#name`), "budi"),
		chromedp.SendKeys(css(`#password`), password),
		chromedp.Submit(css(`#password`)),
		chromedp.WaitVisible(css(`table.list`)),
		shot(dir, "02-registrations"),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	url, _ := chromedp.Run(ctx, chromedp.Location())
	if list := text(t, ctx, "main"); !strings.HasSuffix(url, "/registrations") || !strings.Contains(list, "Keripik Bu Siti") || !strings.Contains(list, "UMKM-3214-000001") {
		t.Fatalf("after sign-in at %s the list shows:\n%s", url, list)
	}

	err = chromedp.Do(ctx,
		chromedp.Click(css(`a[href="/registrations/UMKM-3214-000001"]`)),
		chromedp.WaitVisible(css(`dl.facts`)),
		shot(dir, "03-registration"),
	)
	if err != nil {
		t.Fatalf("detail: %v", err)
	}
	detail := text(t, ctx, "main")
	for _, want := range []string{"Keripik Bu Siti", "Siti Aminah", "3214********0001", "Plered", "Shopee"} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail lacks %q:\n%s", want, detail)
		}
	}
	if strings.Contains(detail, "3214015503900001") {
		t.Fatal("the detail shows the full NIK")
	}
	// Revealing the NIK is a deliberate click.
	err = chromedp.Do(ctx,
		chromedp.Click(css(`form.inline button`)),
		chromedp.WaitVisible(css(`dd .notice`)),
		shot(dir, "03b-registration-nik"),
	)
	if err != nil {
		t.Fatalf("reveal NIK: %v", err)
	}
	if detail := text(t, ctx, "main"); !strings.Contains(detail, "3214015503900001") {
		t.Fatalf("the full NIK is not shown after the click:\n%s", detail)
	}

	const title = "Foto produk pakai HP"
	start := time.Now().In(bot.Jakarta).AddDate(0, 0, 7).Truncate(time.Hour)
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/trainings/new"),
		chromedp.WaitVisible(css(`#title`)),
		chromedp.SendKeys(css(`#title`), title),
		chromedp.SetValue(css(`#topic`), "konten"),
		chromedp.SetValue(css(`#start`), start.Format("2006-01-02T15:04")),
		chromedp.SetValue(css(`#end`), start.Add(3*time.Hour).Format("2006-01-02T15:04")),
		chromedp.SetValue(css(`#capacity`), "25"),
		chromedp.SendKeys(css(`#place`), "Aula DKUPP Purwakarta"),
		chromedp.Click(css(`label[for="kec-0"]`)),
		shot(dir, "04-training-form"),
		chromedp.Submit(css(`#title`)),
		chromedp.WaitVisible(css(`.notice.ok`)),
		shot(dir, "05-trainings"),
	)
	if err != nil {
		t.Fatalf("create training: %v", err)
	}
	if list := text(t, ctx, "main"); !strings.Contains(list, title) || !strings.Contains(list, "0 dari 25 kursi") {
		t.Fatalf("the trainings page lacks the new training:\n%s", list)
	}
	// The training is offered in the chat.
	if chat := umkmbot(t, env, "pelatihan\n", "chat", "--user", "calon-peserta"); !strings.Contains(chat, title) {
		t.Fatalf("the chat does not offer the training made in the console:\n%s", chat)
	}

	// The owner applied for curation (as the galeri flow stores it); an
	// officer accepts it in the console and the owner is told in the chat.
	owner := bot.Conversation{Channel: bot.Console, User: "demo"}
	application := &umkm.Application{Region: app.Region.Code, Conv: owner, RegistrationID: "UMKM-3214-000001",
		Business: "Keripik Bu Siti", Target: "menong", TargetName: "Galeri Menong", Products: []string{"Keripik singkong"},
		CreatedAt: time.Now()}
	if err := app.Store.SubmitApplication(context.Background(), application); err != nil {
		t.Fatal(err)
	}
	const note = "Silakan antar 10 bungkus ke galeri hari Senin."
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/curation"),
		chromedp.WaitVisible(css(`ul.cards`)),
		shot(dir, "07-curation"),
		chromedp.Click(css(`a[href="/curation/`+application.ID+`"]`)),
		chromedp.WaitVisible(css(`#note`)),
		chromedp.Click(css(`label[for="status-diterima"]`)),
		chromedp.SendKeys(css(`#note`), note),
		shot(dir, "08-application"),
		chromedp.Submit(css(`#note`)),
		chromedp.WaitVisible(css(`.notice.ok`)),
		shot(dir, "09-application-accepted"),
	)
	if err != nil {
		t.Fatalf("curation review: %v", err)
	}
	var told []bot.Reply
	app.Outbox.Register(bot.Console, bot.SenderFunc(func(_ context.Context, to bot.Conversation, r bot.Reply) error {
		if to == owner {
			told = append(told, r)
		}
		return nil
	}))
	if _, err := curationNotices(app).Drain(context.Background(), 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if len(told) != 1 || !strings.Contains(told[0].Text, note) || !strings.Contains(told[0].Text, "Galeri Menong") {
		t.Fatalf("the owner was told %+v", told)
	}

	// A broadcast to everyone, composed, previewed and scheduled in the
	// console, goes out through serve's fan-out to the owner's chat while
	// the page shows its progress reach 100 %.
	const news = "Pameran produk UMKM di alun-alun, Sabtu pukul 08.00."
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/broadcasts/new"),
		chromedp.WaitVisible(css(`#text`)),
		chromedp.SendKeys(css(`#text`), news),
		chromedp.Submit(css(`#text`)),
		chromedp.WaitVisible(css(`.bubble`)),
		shot(dir, "10-broadcast-preview"),
		chromedp.Click(css(`button[formaction="/broadcasts"]`)),
		chromedp.WaitVisible(css(`.notice.ok`)),
	)
	if err != nil {
		t.Fatalf("compose broadcast: %v", err)
	}
	// The page stays open: live.js moves the bar without reloading.
	fctx, stopFanout := context.WithCancel(context.Background())
	fanoutDone := make(chan error, 1)
	go func() { fanoutDone <- newFanout(app).Run(fctx) }()
	deadline := time.Now().Add(90 * time.Second)
	for {
		if strings.Contains(text(t, ctx, "ul.cards"), "(100%)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the broadcast did not reach 100 %%:\n%s", text(t, ctx, "main"))
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err := chromedp.Do(ctx, shot(dir, "11-broadcast-done")); err != nil {
		t.Fatal(err)
	}
	stopFanout()
	<-fanoutDone
	if got := len(told); got != 2 || !strings.Contains(told[1].Text, news) {
		t.Fatalf("the owner got %d messages; last %+v", got, told[got-1])
	}

	// The owner asks for an officer in the chat; the officer finds the
	// question in the inbox, takes it and answers; the answer reaches the
	// owner's chat through the dispatcher.
	var mu sync.Mutex
	var answers []string
	app.Outbox.Register(bot.Console, bot.SenderFunc(func(_ context.Context, to bot.Conversation, r bot.Reply) error {
		mu.Lock()
		defer mu.Unlock()
		if to == owner {
			answers = append(answers, r.Text)
		}
		return nil
	}))
	if _, err := app.Engine.Handle(context.Background(), bot.Message{ID: "ask-1", Conv: owner, Kind: bot.KindText,
		Text: "petugas Bagaimana cara mendapatkan sertifikat halal gratis?"}); err != nil {
		t.Fatal(err)
	}
	ticket, err := app.Store.OpenTicketOf(context.Background(), owner)
	if err != nil || ticket == "" {
		t.Fatalf("no ticket opened: %v", err)
	}
	const answer = "Daftar SEHATI lewat ptsp.halal.go.id; kami bantu di kantor Dinas."
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/tickets"),
		chromedp.WaitVisible(css(`a[href="/tickets/`+ticket+`"]`)),
		shot(dir, "13-tickets"),
		chromedp.Click(css(`a[href="/tickets/`+ticket+`"]`)),
		chromedp.WaitVisible(css(`#claim`)),
		chromedp.Submit(css(`#claim`)),
		chromedp.WaitVisible(css(`#done-claimed`)),
		chromedp.SendKeys(css(`#text`), answer),
		shot(dir, "14-ticket-reply"),
		chromedp.Submit(css(`#text`)),
		chromedp.WaitVisible(css(`#done-sent`)),
		shot(dir, "15-ticket-answered"),
	)
	if err != nil {
		t.Fatalf("answer a ticket: %v", err)
	}
	if page := text(t, ctx, "main"); !strings.Contains(page, "sertifikat halal") || !strings.Contains(page, answer) || !strings.Contains(page, "Keripik Bu Siti") {
		t.Fatalf("ticket page:\n%s", page)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		got := strings.Join(answers, "\n")
		mu.Unlock()
		if strings.Contains(got, answer) && strings.Contains(got, "Budi Petugas") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the owner did not get the answer; got %q", got)
		}
	}

	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(css(`ul.bars`)),
		shot(dir, "06-dashboard"),
	)
	if err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	if dash := text(t, ctx, "main"); !strings.Contains(dash, "1 usaha terdaftar") || !strings.Contains(dash, title) {
		t.Fatalf("dashboard:\n%s", dash)
	}

	// A phone: 360 pixels wide. The list becomes one card per row and no
	// page may scroll sideways.
	for _, p := range []struct{ path, wait, name string }{
		{"/", "ul.bars", "dashboard"},
		{"/registrations", "table.list", "registrations"},
		{"/registrations/UMKM-3214-000001", "dl.facts", "registration"},
		{"/trainings", "ul.cards", "trainings"},
		{"/trainings/new", "#title", "training-form"},
		{"/trainings/1", "#checkin", "training"},
		{"/curation?status=diterima", "ul.cards", "curation"},
		{"/broadcasts", "ul.cards", "broadcasts"},
		{"/broadcasts/new", "#text", "compose"},
		{"/curation/" + application.ID, "ul.plain", "application"},
		{"/tickets?view=mine", "ul.cards", "tickets"},
		{"/tickets/" + ticket, "#transfer", "ticket"},
	} {
		err = chromedp.Do(ctx,
			chromedp.EmulateViewport(360, 740),
			chromedp.Navigate(ts.URL+p.path),
			chromedp.WaitVisible(css(p.wait)),
			shot(dir, "360-"+p.name),
		)
		if err != nil {
			t.Fatalf("360 px %s: %v", p.path, err)
		}
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if width > 360 {
			t.Errorf("at 360 px %s is %d px wide: it scrolls sideways", p.path, width)
		}
	}

	// English, with the link in the header.
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(css(`ul.bars`)),
		chromedp.Click(css(`a[hreflang="en"]`)),
		chromedp.WaitVisible(css(`html[lang="en"] ul.bars`)),
		shot(dir, "12-dashboard-en"),
	)
	if err != nil {
		t.Fatalf("English: %v", err)
	}
	if dash := text(t, ctx, "main"); !strings.Contains(dash, "1 business registered") || !strings.Contains(dash, "Upcoming trainings") {
		t.Fatalf("English dashboard:\n%s", dash)
	}

	// Signing out ends the session: the list sends the browser back to sign in.
	err = chromedp.Do(ctx,
		chromedp.Click(css(`form.who button`)),
		chromedp.WaitVisible(css(`#password`)),
		shot(dir, "360-login"),
		chromedp.Navigate(ts.URL+"/registrations"),
		chromedp.WaitVisible(css(`#password`)),
	)
	if err != nil {
		t.Fatalf("sign out: %v", err)
	}
}
