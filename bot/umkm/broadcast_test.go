package umkm

import (
	"testing"

	"github.com/umkmbot/umkmbot/bot"
)

func TestAudienceMatch(t *testing.T) {
	r := &Registration{Kecamatan: "Babakancikao", Sector: "kuliner", SizeClass: "mikro", Conv: bot.Conversation{Channel: bot.WhatsApp, User: "62812"}}
	tests := []struct {
		a    Audience
		want bool
	}{
		{Audience{}, true},
		{Audience{Kecamatan: []string{"Babakan Cikao"}}, true},
		{Audience{Kecamatan: []string{"plered", "BABAKANCIKAO"}}, true},
		{Audience{Kecamatan: []string{"Plered"}}, false},
		{Audience{Sectors: []string{"fesyen", "kuliner"}, Sizes: []string{"mikro"}}, true},
		{Audience{Sectors: []string{"kuliner"}, Sizes: []string{"kecil"}}, false},
		{Audience{Channels: []bot.ChannelID{bot.Telegram}}, false},
		{Audience{Channels: []bot.ChannelID{bot.Telegram, bot.WhatsApp}, Sectors: []string{"kuliner"}}, true},
		{Audience{Trainings: []string{"12"}}, true}, // checked by Participates
	}
	for i, tt := range tests {
		if got := tt.a.Match(r); got != tt.want {
			t.Errorf("%d: %+v.Match = %v, want %v", i, tt.a, got, tt.want)
		}
	}
	if !(Audience{}).IsZero() || (Audience{Sizes: []string{"mikro"}}).IsZero() {
		t.Error("IsZero")
	}
}

func TestBroadcastCounts(t *testing.T) {
	c := BroadcastCounts{Audience: 10, Sent: 4, Failed: 1, Skipped: 2, Unknown: 1}
	if c.Done() != 8 || c.Remaining() != 2 {
		t.Fatalf("done %d remaining %d", c.Done(), c.Remaining())
	}
	if (BroadcastCounts{Audience: 1, Sent: 3}).Remaining() != 0 {
		t.Fatal("remaining below zero")
	}
}
