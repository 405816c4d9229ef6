package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
)

func TestRegistryRejectsBadFlows(t *testing.T) {
	ok := func(context.Context, *bot.Turn, bot.In) (bot.Result, error) { return bot.Result{}, nil }
	tests := []struct {
		name string
		add  []*bot.Flow
		want string
	}{
		{"empty id", []*bot.Flow{{Steps: []*bot.Step{{ID: "a", Handle: ok}}}}, "empty id"},
		{"duplicate", []*bot.Flow{{ID: "x", Steps: []*bot.Step{{ID: "a", Handle: ok}}}, {ID: "x", Steps: []*bot.Step{{ID: "a", Handle: ok}}}}, "twice"},
		{"no steps", []*bot.Flow{{ID: "x"}}, "no steps"},
		{"duplicate step", []*bot.Flow{{ID: "x", Steps: []*bot.Step{{ID: "a", Handle: ok}, {ID: "a", Handle: ok}}}}, "duplicate step"},
		{"next nowhere", []*bot.Flow{{ID: "x", Steps: []*bot.Step{{ID: "a", Handle: ok, Next: "zz"}}}}, "does not exist"},
		{"no answer", []*bot.Flow{{ID: "x", Steps: []*bot.Step{{ID: "a"}}}}, "takes no answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(r.(string), tt.want) {
					t.Fatalf("panic = %v, want one containing %q", r, tt.want)
				}
			}()
			reg := bot.NewRegistry()
			for _, f := range tt.add {
				reg.Add(f)
			}
		})
	}
}

func TestRupiah(t *testing.T) {
	for n, want := range map[int64]string{0: "Rp0", 999: "Rp999", 1000: "Rp1.000", 1500000: "Rp1.500.000", -25000: "-Rp25.000"} {
		if got := bot.Rupiah(n); got != want {
			t.Errorf("Rupiah(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestReplyPlainText(t *testing.T) {
	r := bot.Reply{Text: "Pilih:", Options: []bot.ReplyOption{{Key: "1", Label: "Ya"}, {Key: "2", Label: "Tidak"}}}
	if got, want := r.PlainText(), "Pilih:\n\n1. Ya\n2. Tidak"; got != want {
		t.Fatalf("PlainText = %q, want %q", got, want)
	}
}

func TestConversationMasked(t *testing.T) {
	c := bot.Conversation{Channel: bot.WhatsApp, User: "6281234567890"}
	if got := c.Masked(); got != "whatsapp:****7890" {
		t.Fatalf("Masked = %q", got)
	}
	if got := (bot.Conversation{Channel: bot.Console, User: "ab"}).Masked(); got != "console:****" {
		t.Fatalf("Masked short = %q", got)
	}
}
