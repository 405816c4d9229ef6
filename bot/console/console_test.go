package console

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/umkmbot/umkmbot/bot"
)

func TestParse(t *testing.T) {
	tests := []struct {
		line string
		want bot.Message
	}{
		{"halo", bot.Message{Kind: bot.KindText, Text: "halo"}},
		{"", bot.Message{Kind: bot.KindText, Text: ""}},
		{"!stiker", bot.Message{Kind: bot.KindUnsupported, Media: &bot.Media{Type: "sticker"}}},
		{"!suara", bot.Message{Kind: bot.KindUnsupported, Media: &bot.Media{Type: "voice"}}},
		{"!lokasi -6.55 107.44", bot.Message{Kind: bot.KindLocation, Location: &bot.Location{Lat: -6.55, Lon: 107.44}}},
		{"!lokasi nowhere", bot.Message{Kind: bot.KindText, Text: "!lokasi nowhere"}},
		{"!kontak 0812 3456 7890", bot.Message{Kind: bot.KindContact, Contact: &bot.Contact{Phone: "0812 3456 7890", Self: true}}},
		{"!unknown", bot.Message{Kind: bot.KindText, Text: "!unknown"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Parse(tt.line)); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.line, diff)
		}
	}
}

// TestSendToOtherUser: a notification for another person carries that
// person's id on every line; one for the person typing does not.
func TestSendToOtherUser(t *testing.T) {
	var out strings.Builder
	c := New(strings.NewReader(""), &out, "demo", false, nil)
	ctx := context.Background()
	if err := c.Send(ctx, bot.Conversation{Channel: bot.Console, User: "demo"}, bot.Reply{Text: "Halo"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, bot.Conversation{Channel: bot.Console, User: "budi"}, bot.Reply{Text: "Kursi tersedia\nKetik ya"}); err != nil {
		t.Fatal(err)
	}
	want := "Halo\n\n[→ budi] Kursi tersedia\n[→ budi] Ketik ya\n\n"
	if out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
}
