package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/umkmbot/umkmbot/bot/telegram/telegramtest"
	"github.com/umkmbot/umkmbot/store/redistest"
)

func TestTelegramConfig(t *testing.T) {
	const tok = "123:AAbb_cc-dd"
	tests := []struct {
		name string
		env  map[string]string
		bad  string // part of the error, "" for none
	}{
		{"off", map[string]string{}, ""},
		{"token only", map[string]string{"TELEGRAM_BOT_TOKEN": tok}, ""},
		// The rules of the values are the adapter's (telegram.TestConfigValidate);
		// here: they are reported under the variables' names.
		{"bad token", map[string]string{"TELEGRAM_BOT_TOKEN": "hello"}, "TELEGRAM_BOT_TOKEN does not look like a bot token"},
		{"webhook not https", map[string]string{"TELEGRAM_BOT_TOKEN": tok, "TELEGRAM_WEBHOOK_URL": "http://umkm.example.id/tg"},
			`TELEGRAM_WEBHOOK_URL="http://umkm.example.id/tg" must be an https URL`},
		{"secret without webhook", map[string]string{"TELEGRAM_WEBHOOK_SECRET": "abc"}, "TELEGRAM_WEBHOOK_SECRET is set but TELEGRAM_WEBHOOK_URL is not"},
		{"groups", map[string]string{"TELEGRAM_ALLOW_GROUPS": "yes please"}, "TELEGRAM_ALLOW_GROUPS"},
		{"rates", map[string]string{"TELEGRAM_RATE_PER_SECOND": "0", "TELEGRAM_RATE_PER_CHAT": "x"}, "TELEGRAM_RATE_PER_CHAT"},
		{"group rate", map[string]string{"TELEGRAM_RATE_PER_GROUP": "twenty"}, "TELEGRAM_RATE_PER_GROUP"},
		{"delete on stop", map[string]string{"TELEGRAM_WEBHOOK_DELETE_ON_STOP": "sometimes"}, "TELEGRAM_WEBHOOK_DELETE_ON_STOP"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadTelegramConfig(func(k string) string { return tc.env[k] })
			if tc.bad == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)) {
				t.Fatalf("error %v, want one about %s", err, tc.bad)
			}
		})
	}
	c, err := loadTelegramConfig(func(k string) string {
		return map[string]string{"TELEGRAM_BOT_TOKEN": tok, "TELEGRAM_RATE_PER_CHAT": "0.5", "TELEGRAM_ALLOW_GROUPS": "true"}[k]
	})
	if err != nil || c.RatePerChat != 0.5 || c.RatePerSecond != 30 || !c.AllowGroups || c.APIURL != "https://api.telegram.org" || c.WebhookListen != ":8443" ||
		c.RatePerGroup != 20 || c.DeleteWebhookOnStop {
		t.Fatalf("config %+v, %v", c, err)
	}
	c, err = loadTelegramConfig(func(k string) string {
		return map[string]string{"TELEGRAM_RATE_PER_GROUP": "15", "TELEGRAM_WEBHOOK_DELETE_ON_STOP": "true"}[k]
	})
	if err != nil || c.RatePerGroup != 15 || !c.DeleteWebhookOnStop {
		t.Fatalf("config %+v, %v", c, err)
	}
}

// TestTelegramWebhookCommands: `telegram webhook info` shows what Telegram
// knows, `telegram webhook delete` deletes it (serve no longer does when a
// process stops).
func TestTelegramWebhookCommands(t *testing.T) {
	const tok = "4243:AAtest_webhook"
	tg := telegramtest.New(tok)
	defer tg.Close()
	resp, err := http.PostForm(tg.URL+"/bot"+tok+"/setWebhook", url.Values{"url": {"https://umkm.example.id/tg"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tg.Text(telegramtest.User{ID: 9002, Name: "Ani"}, "halo")
	env := map[string]string{"TELEGRAM_BOT_TOKEN": tok, "TELEGRAM_API_URL": tg.URL}
	cli := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
		if strings.Contains(out.String()+errOut.String(), tok) {
			t.Fatalf("the token is in the output: %s%s", out.String(), errOut.String())
		}
		return out.String(), err
	}
	out, err := cli("telegram", "webhook", "info")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "https://umkm.example.id/tg") || !strings.Contains(out, "pending:     1 updates") {
		t.Fatalf("info:\n%s", out)
	}
	if tg.Calls("deleteWebhook") != 0 {
		t.Fatal("info deleted the webhook")
	}
	if out, err = cli("telegram", "webhook", "delete"); err != nil {
		t.Fatal(err)
	}
	if u, _ := tg.Webhook(); u != "" || tg.Calls("deleteWebhook") != 1 || tg.Unconfirmed() != 1 {
		t.Fatalf("after delete: webhook %q, %d deleteWebhook calls, %d updates waiting", u, tg.Calls("deleteWebhook"), tg.Unconfirmed())
	}
	t.Logf("delete: %s", out)
	if _, err = cli("telegram", "webhook", "delete", "--drop-pending"); err != nil || tg.Unconfirmed() != 0 {
		t.Fatalf("delete --drop-pending: %v, %d updates waiting", err, tg.Unconfirmed())
	}
	if _, err := cli("telegram", "webhook"); err == nil || !strings.Contains(err.Error(), "needs a command") {
		t.Fatalf("no subcommand: %v", err)
	}
}

// TestRedisJournal: the poll journal keeps batches in Redis by first
// update id and gives them back oldest first.
func TestRedisJournal(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	j := redisJournal{rdb: rdb, key: prefix + ":{tg:1}:poll-journal"}
	ctx := context.Background()
	for _, id := range []int{120, 9, 100} {
		if err := j.Keep(ctx, id, []byte(`[{"update_id":`+strconv.Itoa(id)+`}]`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Drop(ctx, 100); err != nil {
		t.Fatal(err)
	}
	kept, err := j.Kept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range kept {
		got = append(got, string(b))
	}
	if diff := cmp.Diff([]string{`[{"update_id":9}]`, `[{"update_id":120}]`}, got); diff != "" {
		t.Fatalf("kept (-want +got):\n%s", diff)
	}
}

// TestServeTelegram runs `umkmbot serve` against a loopback Bot API server:
// the command menu is registered and an owner gets answers.
func TestServeTelegram(t *testing.T) {
	const tok = "4242:AAtest_serve"
	tg := telegramtest.New(tok)
	defer tg.Close()
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix,
		"TELEGRAM_BOT_TOKEN": tok, "TELEGRAM_API_URL": tg.URL, "TELEGRAM_RATE_PER_CHAT": "100"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, io.Discard)
	}()
	u := telegramtest.User{ID: 9001, Name: "Ani"}
	tg.Text(u, "/daftar")
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	got, err := tg.WaitSent(wctx, u.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got[0].Text, "setuju") {
		t.Fatalf("reply %q", got[0].Text)
	}
	cmds := tg.Commands()
	var names []string
	for _, c := range cmds {
		names = append(names, c.Command)
		if c.Description == "" || strings.HasPrefix(c.Description, "telegram.") {
			t.Errorf("command %s has description %q", c.Command, c.Description)
		}
	}
	t.Logf("commands: %s", strings.Join(names, " "))
	if s := strings.Join(names, " "); !strings.HasPrefix(s, "start menu daftar") || !strings.HasSuffix(s, "batal bantuan") {
		t.Fatalf("commands %q", s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}
