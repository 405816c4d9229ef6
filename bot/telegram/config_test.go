package telegram_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot/telegram"
)

// TestConfigValidate holds the rules of the Telegram configuration (the
// command line reports the same errors under its variables' names).
func TestConfigValidate(t *testing.T) {
	const tok = "123:AAbb_cc-dd"
	tests := []struct {
		name  string
		cfg   telegram.Config
		field string // the field of the one ConfigError expected, "" for none
	}{
		{"token only", telegram.Config{Token: tok}, ""},
		{"no token", telegram.Config{}, "Token"},
		{"bad token", telegram.Config{Token: "hello"}, "Token"},
		{"api url", telegram.Config{Token: tok, APIURL: "http://127.0.0.1:8081/"}, ""},
		{"bad api url", telegram.Config{Token: tok, APIURL: "localhost:8081"}, "APIURL"},
		{"webhook", telegram.Config{Token: tok, WebhookURL: "https://umkm.example.id/tg", WebhookSecret: "abc_DEF-1"}, ""},
		{"webhook not https", telegram.Config{Token: tok, WebhookURL: "http://umkm.example.id/tg"}, "WebhookURL"},
		{"webhook not a url", telegram.Config{Token: tok, WebhookURL: "umkm.example.id"}, "WebhookURL"},
		{"secret without webhook", telegram.Config{Token: tok, WebhookSecret: "abc"}, "WebhookSecret"},
		{"bad secret", telegram.Config{Token: tok, WebhookURL: "https://x.id/", WebhookSecret: "a b"}, "WebhookSecret"},
		{"long secret", telegram.Config{Token: tok, WebhookURL: "https://x.id/", WebhookSecret: strings.Repeat("a", 257)}, "WebhookSecret"},
		{"keyboard", telegram.Config{Token: tok, Keyboard: "buttons"}, "Keyboard"},
		{"inline keyboard", telegram.Config{Token: tok, Keyboard: telegram.InlineKeyboard}, ""},
		{"group rate too low", telegram.Config{Token: tok, RatePerGroup: 1}, "RatePerGroup"},
		{"group rate too high", telegram.Config{Token: tok, RatePerGroup: 1001}, "RatePerGroup"},
		{"group rate as per chat", telegram.Config{Token: tok, RatePerGroup: -1}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var ce *telegram.ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("error %v, want a ConfigError of %s", err, tc.field)
			}
			if strings.Contains(err.Error(), tc.cfg.Token) && tc.cfg.Token != "" || tc.cfg.WebhookSecret != "" && strings.Contains(err.Error(), tc.cfg.WebhookSecret) {
				t.Errorf("error %q shows a secret", err)
			}
		})
	}
	if err := (telegram.Config{}).Validate(); !errors.Is(err, telegram.ErrNoToken) {
		t.Errorf("no token: %v, want ErrNoToken", err)
	}
	// Every problem at once.
	err := telegram.Config{Token: "x", Keyboard: "buttons", WebhookURL: "ftp://x"}.Validate()
	for _, f := range []string{"Token", "Keyboard", "WebhookURL"} {
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("error %v does not name %s", err, f)
		}
	}
	// New refuses what Validate refuses, before any request.
	if _, err := telegram.New(context.Background(), telegram.Config{Token: tok, WebhookURL: "http://x.id/"}); err == nil {
		t.Error("New accepted an http webhook")
	}
}
