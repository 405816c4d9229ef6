package telegram_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/telegram"
)

const updateJSON = `{"update_id":900,"message":{"message_id":77,"date":1760000000,` +
	`"from":{"id":5001,"is_bot":false,"first_name":"Siti","language_code":"id"},` +
	`"chat":{"id":5001,"type":"private"},"text":"/daftar","entities":[{"type":"bot_command","offset":0,"length":7}]}}`

func post(t *testing.T, url, secret, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(telegram.SecretHeader, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestWebhookSecretChecked(t *testing.T) {
	r := newRig(t)
	p := r.build("p1", func(c *telegram.Config) {
		c.WebhookURL = "https://umkm.example.id/telegram/hook"
		c.WebhookSecret = "s3cret_from-env"
	}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.disp.Run(ctx)
	defer p.disp.Close()
	srv := httptest.NewServer(p.a.WebhookHandler(p.disp))
	defer srv.Close()

	for _, bad := range []string{"", "wrong", "s3cret_from-en"} {
		if resp := post(t, srv.URL, bad, updateJSON); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("secret %q: status %d, want 401", bad, resp.StatusCode)
		}
	}
	if p.disp.Stats.Taken.Load() != 0 || p.a.Stats.Updates.Load() != 0 {
		t.Fatal("a request with a wrong secret was processed")
	}
	if resp := post(t, srv.URL, "s3cret_from-env", updateJSON); resp.StatusCode != http.StatusOK {
		t.Fatalf("right secret: status %d, want 200", resp.StatusCode)
	}
	ictx, icancel := context.WithTimeout(context.Background(), waitFor)
	defer icancel()
	got, err := r.tg.WaitSent(ictx, siti.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, got, "setuju")
	// Telegram resends when our 200 got lost: processed once.
	if resp := post(t, srv.URL, "s3cret_from-env", updateJSON); resp.StatusCode != http.StatusOK {
		t.Fatalf("repeat: status %d, want 200", resp.StatusCode)
	}
	if err := p.disp.Idle(ictx); err != nil {
		t.Fatal(err)
	}
	if n := len(r.tg.Sent(siti.ID)); n != 1 || p.disp.Stats.Duplicates.Load() != 1 {
		t.Fatalf("%d replies and %d duplicates after a resent update, want 1 and 1", n, p.disp.Stats.Duplicates.Load())
	}
	// A body that does not decode is answered 200 (Telegram would resend
	// it forever), counted, and not processed.
	if resp := post(t, srv.URL, "s3cret_from-env", "{not json"); resp.StatusCode != http.StatusOK {
		t.Fatalf("bad body: status %d, want 200", resp.StatusCode)
	}
	if resp := post(t, srv.URL, "s3cret_from-env", `{"update_id":901,"message":{"message_id":"not-a-number"}}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("undecodable update: status %d, want 200", resp.StatusCode)
	}
	if n := p.a.Stats.Undecodable.Load(); n != 2 {
		t.Fatalf("%d undecodable updates counted, want 2", n)
	}
	if !strings.Contains(r.logs.String(), "update=901") {
		t.Fatal("the undecodable update's id is not logged")
	}
}

func TestWebhookNotTakenAnswers500(t *testing.T) {
	r := newRig(t)
	p := r.build("p1", func(c *telegram.Config) { c.WebhookURL = "https://umkm.example.id/hook" }, nil)
	srv := httptest.NewServer(p.a.WebhookHandler(submitFunc(func(context.Context, bot.Message) error {
		return errors.New("redis down")
	})))
	defer srv.Close()
	// No secret configured: it is derived from the token.
	if resp := post(t, srv.URL, telegram.DeriveSecret(token), updateJSON); resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500 so Telegram retries", resp.StatusCode)
	}
}

// TestWebhookModeRegistersAndDeletesWhenConfigured: with
// DeleteWebhookOnStop the webhook is deleted at stop (see
// TestWebhookKeptWhenOneProcessStops for the default).
func TestWebhookModeRegistersAndDeletesWhenConfigured(t *testing.T) {
	r := newRig(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := r.start("p1", func(c *telegram.Config) {
		c.WebhookURL = "https://umkm.example.id/tg"
		c.WebhookListen = addr
		c.WebhookSecret = "abc"
		c.DeleteWebhookOnStop = true
	}, nil)
	eventually(t, "setWebhook", func() bool { u, _ := r.tg.Webhook(); return u != "" })
	if u, s := r.tg.Webhook(); u != "https://umkm.example.id/tg" || s != "abc" {
		t.Fatalf("webhook = %q secret %q", u, s)
	}
	// The handler is served on the configured address and path.
	r.hookTurn("http://"+addr+"/tg", "abc")
	if r.tg.Calls("getUpdates") != 0 {
		t.Fatal("webhook mode polled")
	}
	p.stop()
	if u, _ := r.tg.Webhook(); u != "" {
		t.Fatal("webhook not deleted at stop")
	}
}

// TestWebhookKeptWhenOneProcessStops: two processes take webhook requests;
// one stops (a restart, a scale-down): the webhook stays registered and the
// other keeps answering. Deleting it is an explicit command.
func TestWebhookKeptWhenOneProcessStops(t *testing.T) {
	r := newRig(t)
	var addrs []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, ln.Addr().String())
		ln.Close()
	}
	webhook := func(addr string) func(*telegram.Config) {
		return func(c *telegram.Config) {
			c.WebhookURL = "https://umkm.example.id/tg"
			c.WebhookListen = addr
		}
	}
	p1 := r.start("p1", webhook(addrs[0]), nil)
	r.start("p2", webhook(addrs[1]), nil)
	eventually(t, "both registered", func() bool { return r.tg.Calls("setWebhook") == 2 })
	p1.stop()
	if n := r.tg.Calls("deleteWebhook"); n != 0 {
		t.Fatalf("%d deleteWebhook calls when one of two processes stopped, want 0", n)
	}
	if u, _ := r.tg.Webhook(); u == "" {
		t.Fatal("webhook gone after one process stopped")
	}
	r.hookTurn("http://"+addrs[1]+"/tg", telegram.DeriveSecret(token))
}

// hookTurn posts Siti's /daftar to a webhook once it listens, and waits
// for the bot's answer.
func (r *rig) hookTurn(url, secret string) {
	t := r.t
	t.Helper()
	var resp *http.Response
	eventually(t, "the webhook listening", func() bool {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(updateJSON))
		req.Header.Set(telegram.SecretHeader, secret)
		var err error
		if resp, err = http.DefaultClient.Do(req); err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, err := r.tg.WaitSent(ctx, siti.ID, 1); err != nil {
		t.Fatal(err)
	}
}

// crashy is a lease holder that dies without releasing its lease.
type crashy struct{ telegram.Leaser }

func (crashy) ReleaseLease(context.Context, string, string) error { return nil }

func TestOnePollerAndTakeover(t *testing.T) {
	for _, tc := range []struct {
		name  string
		crash bool
	}{{"clean stop", false}, {"holder dies", true}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			lease := func(c *telegram.Config) {
				c.Leaser = r.store
				if tc.crash {
					c.Leaser = crashy{r.store}
				}
				c.LeaseKey = r.store.Key("tg:123456789", "poll-lease")
				c.LeaseTTL = 3 * time.Second
			}
			a := r.start("A", lease, nil)
			eventually(t, "A polling", func() bool { return r.tg.Polls()["A"] > 0 })
			b := r.start("B", lease, nil)
			expect(t, r.say(siti, "/daftar"), "setuju")
			// B waits for the lease through a few renewals of A's.
			time.Sleep(2 * time.Second)
			expect(t, r.say(siti, "ya"), "nama lengkap")
			if polls := r.tg.Polls(); polls["B"] != 0 || r.tg.Conflicts() != 0 {
				t.Fatalf("B polled while A held the lease: polls %v, %d conflicts", polls, r.tg.Conflicts())
			}
			a.stop()
			took := time.Now()
			got := r.say(siti, "Siti Aminah") // answered once B took over
			expect(t, got, "NIK")
			if el := time.Since(took); el > 3*3*time.Second { // the issue: "within a few seconds" (TTL 3s)
				t.Fatalf("takeover took %v", el)
			}
			if r.tg.Polls()["B"] == 0 || b.a.Stats.Updates.Load() == 0 {
				t.Fatal("B did not take over")
			}
			t.Logf("takeover after %v", time.Since(took))
		})
	}
}

// Without the lease two pollers collide: Telegram answers 409 to one of
// them; each backs off and tries again, and nothing is lost or doubled.
func TestConflictingPollersSurvive409(t *testing.T) {
	r := newRig(t)
	a := r.start("A", nil, nil)
	b := r.start("B", nil, nil)
	eventually(t, "a 409", func() bool { return a.a.Stats.Conflicts.Load()+b.a.Stats.Conflicts.Load() > 0 })
	expect(t, r.say(siti, "/daftar"), "setuju")
	expect(t, r.say(siti, "ya"), "nama lengkap")
	if n := len(r.tg.Sent(siti.ID)); n != 2 {
		t.Fatalf("%d replies, want 2", n)
	}
}
