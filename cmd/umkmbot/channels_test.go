package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/locales"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// TestExtraChannel registers a channel the program does not have (an SMS
// gateway, say) in a few lines, and finds it everywhere channels are
// iterated: its admin may broadcast, the siaran channel choice offers it
// by its name, the preview counts its owners, the fan-out delivers to
// them through its sender, and the metrics show it.
func TestExtraChannel(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "METRICS_LISTEN": "127.0.0.1:0", "INSTANCE_ID": "p1"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := testApp(ctx, t, env)

	// The channel: what a new channel's registration in cmd looks like.
	got := make(chan string, 16)
	a.addChannel(bot.Channel{ID: "sms", Label: "channel.sms", IsAdmin: func(user string) bool { return user == "boss" },
		Rate: bot.Rate{N: 100, Per: time.Second}, Link: bot.Link{Sender: bot.SenderFunc(
			func(_ context.Context, to bot.Conversation, r bot.Reply) error {
				got <- to.String() + ": " + r.Text
				return nil
			})}})

	owner := bot.Conversation{Channel: "sms", User: "6281234567890"}
	boss := bot.Conversation{Channel: "sms", User: "boss"}
	n := 0
	say := func(c bot.Conversation, text string) bot.Reply {
		t.Helper()
		n++
		rs, err := a.Engine.Handle(ctx, bot.Message{ID: fmt.Sprint("m", n), Conv: c, Kind: bot.KindText, Text: text, Time: time.Now()})
		if err != nil || len(rs) == 0 {
			t.Fatalf("%s says %q: %v (%d replies)", c, text, err, len(rs))
		}
		texts := make([]string, len(rs))
		for i, r := range rs {
			texts[i] = r.Text
		}
		last := rs[len(rs)-1]
		last.Text = strings.Join(texts, "\n")
		return last // every reply's text, the last one's options
	}
	pick := func(r bot.Reply, label string) string {
		t.Helper()
		for _, o := range r.Options {
			if strings.Contains(o.Label, label) {
				return o.Key
			}
		}
		t.Fatalf("no option %q in %q %+v", label, r.Text, r.Options)
		return ""
	}

	// An owner registers on it.
	for _, line := range strings.Split(strings.TrimSpace(registration), "\n") {
		say(owner, line)
	}
	// Admin checks: its admin, and nobody else on it.
	if !a.Channels.IsAdmin(boss) || a.Channels.IsAdmin(owner) {
		t.Fatal("the channel's IsAdmin is not the admin check")
	}
	if r := say(owner, "siaran"); strings.Contains(r.Text, "isi siaran") {
		t.Fatalf("an owner on the channel may broadcast: %q", r.Text)
	}
	// The web console's compose page offers it by its name and counts its
	// owners.
	umkmbot(t, env, "sandi-petugas-1\n", "admin", "user", "add", "rina", "--role", "petugas")
	con, err := newConsole(a)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(con)
	defer ts.Close()
	web, code := signIn(t, ts, "rina", "sandi-petugas-1")
	if code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	page := fetchPage(t, web, ts, "/broadcasts/new", nil)
	token := regexp.MustCompile(`name="token" value="([0-9a-f]{32})"`).FindStringSubmatch(page)
	if !strings.Contains(page, `name="channels" value="sms"`) || token == nil {
		t.Fatalf("the compose page does not offer the channel:\n%s", grep(page, "channel"))
	}
	composed := fetchPage(t, web, ts, "/broadcasts/preview", url.Values{"token": {token[1]}, "text": {"Pasar murah UMKM Sabtu ini."}, "channels": {"sms"}})
	if !strings.Contains(composed, "1 penerima") || !strings.Contains(composed, "<li>channel.sms: 1</li>") {
		t.Fatalf("the console's preview does not count its owner:\n%s", grep(composed, "penerima"))
	}

	// The siaran channel choice offers it (the only channel with owners).
	say(boss, "siaran")
	say(boss, "Pasar murah UMKM Sabtu ini di alun-alun.")
	aud := say(boss, "1") // no photo
	choice := say(boss, pick(aud, "(channel.sms)"))
	if len(choice.Options) != 1 || choice.Options[0].Label != "channel.sms" {
		t.Fatalf("channel choice: %+v", choice.Options)
	}
	preview := say(boss, "1")
	if !strings.Contains(preview.Text, "Penerima: 1 (channel.sms 1)") {
		t.Fatalf("preview:\n%s", preview.Text)
	}
	say(boss, pick(preview, "Kirim sekarang"))
	if r := say(boss, "ya"); !strings.Contains(r.Text, "Siaran #1 tersimpan") {
		t.Fatalf("not created: %q", r.Text)
	}

	// The fan-out delivers to the owner through the channel's sender.
	done := make(chan error, 1)
	go func() { done <- runBroadcasts(ctx, a) }()
	deadline := time.After(30 * time.Second)
	for delivered := false; !delivered; {
		select {
		case msg := <-got:
			delivered = strings.HasPrefix(msg, owner.String()+": Pasar murah UMKM")
		case <-deadline:
			t.Fatal("the broadcast never reached the owner on the extra channel")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// The metrics show it, and its id is a channel label value.
	a.Observer.Send("sms", "ok")
	a.Observer.Send("fax", "ok") // not registered
	rec := httptest.NewRecorder()
	a.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`umkmbot_channel_linked{channel="sms"} 1`, `umkmbot_channel_linked{channel="telegram"} 0`,
		`umkmbot_sends_total{channel="sms",result="ok"} 1`, `umkmbot_sends_total{channel="other",result="ok"} 1`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s:\n%s", want, grep(rec.Body.String(), "channel"))
		}
	}
}

// TestChannelsDescribed: every channel of the program has its name in
// every language, and the terminal is described like any other channel.
func TestChannelsDescribed(t *testing.T) {
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	chans := newChannels(Config{})
	for _, c := range chans.All() {
		for _, lang := range cat.Langs() {
			if !cat.Has(lang, c.Label) {
				t.Errorf("channel %s: its name %q is missing in %s", c.ID, c.Label, lang)
			}
		}
	}
	if ids := chans.IDs(); len(ids) != 3 || ids[0] != bot.Telegram || ids[1] != bot.WhatsApp || ids[2] != bot.Console {
		t.Errorf("channels %v", ids)
	}
	if !chans.IsAdmin(bot.Conversation{Channel: bot.Console, User: "demo"}) ||
		newChannels(Config{Broadcast: BroadcastConfig{ConsoleOwner: true}}).IsAdmin(bot.Conversation{Channel: bot.Console, User: "demo"}) {
		t.Error("the terminal is an admin unless chat --as-owner")
	}
}

// fetchPage gets path (form nil) or posts form to it as the signed-in
// browser c, and returns the page.
func fetchPage(t *testing.T, c *http.Client, ts *httptest.Server, path string, form url.Values) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if form != nil {
		req, _ = http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", ts.URL)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %v", path, res.StatusCode, err)
	}
	return string(b)
}
