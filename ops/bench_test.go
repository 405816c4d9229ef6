package ops_test

import (
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/ops"
)

// BenchmarkObserveTurn is what the metrics cost a turn: one Turn (counter
// and histogram) and one Ingest.
// With the registry watched, each label is checked against it.
func BenchmarkObserveTurn(b *testing.B) {
	for name, r := range map[string]*bot.Channels{"no registry": nil,
		"registry": bot.NewChannels(bot.Channel{ID: bot.Telegram}, bot.Channel{ID: bot.WhatsApp}, bot.Channel{ID: bot.Console})} {
		b.Run(name, func(b *testing.B) { observeTurn(b, r) })
	}
}

func observeTurn(b *testing.B, r *bot.Channels) {
	m := ops.New(ops.Options{})
	if r != nil {
		if err := m.WatchChannels(r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Ingest(bot.Telegram, "queued")
			m.Turn(bot.Telegram, "daftar", 700*time.Microsecond, "ok")
		}
	})
}
