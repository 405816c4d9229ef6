package console

import (
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
