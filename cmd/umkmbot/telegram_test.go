package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

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
		{"bad token", map[string]string{"TELEGRAM_BOT_TOKEN": "hello"}, "TELEGRAM_BOT_TOKEN"},
		{"bad api url", map[string]string{"TELEGRAM_BOT_TOKEN": tok, "TELEGRAM_API_URL": "localhost:8081"}, "TELEGRAM_API_URL"},
		{"webhook", map[string]string{"TELEGRAM_BOT_TOKEN": tok, "TELEGRAM_WEBHOOK_URL": "https://umkm.example.id/tg", "TELEGRAM_WEBHOOK_SECRET": "abc_DEF-1"}, ""},
		{"webhook not https", map[string]string{"TELEGRAM_BOT_TOKEN": tok, "TELEGRAM_WEBHOOK_URL": "http://umkm.example.id/tg"}, "https"},
		{"secret without webhook", map[string]string{"TELEGRAM_BOT_TOKEN": tok, "TELEGRAM_WEBHOOK_SECRET": "abc"}, "TELEGRAM_WEBHOOK_URL is not"},
		{"bad secret", map[string]string{"TELEGRAM_BOT_TOKEN": tok, "TELEGRAM_WEBHOOK_URL": "https://x.id/", "TELEGRAM_WEBHOOK_SECRET": "a b"}, "TELEGRAM_WEBHOOK_SECRET"},
		{"groups", map[string]string{"TELEGRAM_ALLOW_GROUPS": "yes please"}, "TELEGRAM_ALLOW_GROUPS"},
		{"keyboard", map[string]string{"TELEGRAM_KEYBOARD": "buttons"}, "TELEGRAM_KEYBOARD"},
		{"rates", map[string]string{"TELEGRAM_RATE_PER_SECOND": "0", "TELEGRAM_RATE_PER_CHAT": "x"}, "TELEGRAM_RATE_PER_CHAT"},
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
	if err != nil || c.RatePerChat != 0.5 || c.RatePerSecond != 30 || !c.AllowGroups || c.APIURL != "https://api.telegram.org" || c.WebhookListen != ":8443" {
		t.Fatalf("config %+v, %v", c, err)
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
