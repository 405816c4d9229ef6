package ops_test

import (
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/ops"
)

// BenchmarkObserveTurn is what the metrics cost a turn: one Turn (counter
// and histogram) and one Ingest.
func BenchmarkObserveTurn(b *testing.B) {
	m := ops.New(ops.Options{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Ingest(bot.Telegram, "queued")
			m.Turn(bot.Telegram, "daftar", 700*time.Microsecond, "ok")
		}
	})
}
