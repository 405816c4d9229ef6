package telegram_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/telegram"
	"github.com/umkmbot/umkmbot/bot/telegram/telegramtest"
)

// BenchmarkPollIntake: 2,000 updates from 200 people waiting at Telegram,
// taken by the real adapter, one batch at a time or pipelined, with
// Telegram answering at once or after 20 ms (the network). Submit is a
// stand-in that takes 1 ms (a loaded Redis round trip) and no CPU, so the
// figure is the poll loop's and not the turns'. One op is the intake of all
// 2,000 (use -benchtime 3x); it reports updates taken a second.
func BenchmarkPollIntake(b *testing.B) {
	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		for _, pipelined := range []bool{false, true} {
			name := "sequential"
			if pipelined {
				name = "pipelined"
			}
			b.Run(name+"/latency="+latency.String(), func(b *testing.B) {
				const users, each = 200, 10
				var took time.Duration
				for range b.N {
					b.StopTimer()
					r := newRig(b)
					var taken atomic.Int64
					p := r.build("p1", func(c *telegram.Config) {
						if !pipelined {
							c.Journal = nil
						}
					}, func(telegram.Submitter) telegram.Submitter {
						return submitFunc(func(context.Context, bot.Message) error {
							time.Sleep(time.Millisecond)
							taken.Add(1)
							return nil
						})
					})
					for i := range each {
						for u := range users {
							r.tg.Text(telegramtest.User{ID: int64(8000 + u), Name: "U"}, "pesan "+strconv.Itoa(i))
						}
					}
					r.tg.SetLatency(latency)
					start := time.Now()
					b.StartTimer()
					r.run(p)
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					for taken.Load() < users*each && ctx.Err() == nil {
						time.Sleep(time.Millisecond)
					}
					cancel()
					b.StopTimer()
					took += time.Since(start)
					if n := taken.Load(); n != users*each {
						b.Fatalf("%d of %d updates queued", n, users*each)
					}
					r.tg.SetLatency(0)
					p.stop()
				}
				b.ReportMetric(float64(users*each*b.N)/took.Seconds(), "updates/s")
			})
		}
	}
}
