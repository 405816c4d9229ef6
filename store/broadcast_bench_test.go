package store_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/jobs"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/locales"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// countHook counts the Redis commands a client sends.
type countHook struct{ n atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(int64(len(cmds))); return next(ctx, cmds) }
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisCPU is the Redis server's CPU time (INFO cpu).
func redisCPU(b *testing.B, rdb *redis.Client) time.Duration {
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}

// queued creates a running broadcast with n Telegram recipients queued,
// without registrations (the fan-out is what is measured).
func queued(b *testing.B, s *store.Store, n int) string {
	b.Helper()
	ctx := context.Background()
	bc := &umkm.Broadcast{Text: "Pelatihan kemasan 1 Desember pukul 09.00 di aula DKUPP.", CreatedAt: time.Now(), At: time.Now()}
	if err := s.CreateBroadcast(ctx, bc); err != nil {
		b.Fatal(err)
	}
	to := make([]bot.Conversation, 0, 1000)
	for i := range n {
		to = append(to, bot.Conversation{Channel: bot.Telegram, User: strconv.Itoa(1_000_000 + i)})
		if len(to) == cap(to) || i == n-1 {
			if err := s.Enqueue(ctx, bc.ID, to); err != nil {
				b.Fatal(err)
			}
			to = to[:0]
		}
	}
	if ok, err := s.ClaimExpansion(ctx, bc.ID, "bench", time.Minute); err != nil || !ok {
		b.Fatal(ok, err)
	}
	if err := s.StartBroadcast(ctx, bc.ID, int64(n), time.Now()); err != nil {
		b.Fatal(err)
	}
	return bc.ID
}

func benchFanout(b *testing.B, rate store.Rate, workers int) (perRecipient, cmds, goCPU, redisCPUPer float64, achieved float64) {
	rdb, prefix := redistest.Client(b)
	hook := &countHook{}
	rdb.AddHook(hook)
	w := &bcWorld{channel: newFakeChannel()}
	w.s = store.New(rdb, store.Options{Prefix: prefix})
	w.out = bot.NewOutbox(mustCatalog(b), w.s, "id", nil)
	w.out.Register(bot.Telegram, w.channel)
	n := b.N
	id := queued(b, w.s, n)
	var rates map[bot.ChannelID]store.Rate
	if rate.N > 0 {
		rates = map[bot.ChannelID]store.Rate{bot.Telegram: rate}
	}
	f := jobs.NewFanout(jobs.FanoutConfig{Owner: "bench", Workers: map[bot.ChannelID]int{bot.Telegram: workers}, Poll: 20 * time.Millisecond},
		w.s, w.s, umkm.AudienceSource{}, w.s, w.out, w.s.Limiter(rates), discardLog())
	ctx, cancel := context.WithCancel(context.Background())
	c0, r0, cpu0 := hook.n.Load(), redisCPU(b, rdb), cpuTime()
	start := time.Now()
	b.ResetTimer()
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	for {
		got, err := w.s.Broadcast(context.Background(), id)
		if err != nil {
			b.Fatal(err)
		}
		if got.Status == umkm.BroadcastDone {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	sends := float64(len(w.channel.got))
	if int(sends) != n {
		b.Fatalf("sent %v of %d", sends, n)
	}
	return float64(elapsed.Nanoseconds()) / sends, float64(hook.n.Load()-c0) / sends,
		float64((cpuTime() - cpu0).Microseconds()) / sends, float64((redisCPU(b, rdb) - r0).Microseconds()) / sends,
		sends / elapsed.Seconds()
}

// BenchmarkFanoutPerRecipient measures the overhead of one delivery with
// no rate limit: wall time, Redis commands, and CPU of this process and of
// the Redis server, per recipient.
func BenchmarkFanoutPerRecipient(b *testing.B) {
	_, cmds, goCPU, rCPU, achieved := benchFanout(b, store.Rate{}, 8)
	b.ReportMetric(cmds, "redis-cmds/recipient")
	b.ReportMetric(goCPU, "go-cpu-µs/recipient")
	b.ReportMetric(rCPU, "redis-cpu-µs/recipient")
	b.ReportMetric(achieved, "msgs/s")
}

// BenchmarkFanoutAt1000PerSecond shows that the fan-out sustains a limiter
// of 1,000 messages a second against a fake channel (run with
// -benchtime=20000x or more): with a 1 ms guard it is the fan-out's pace
// that shows; with the default guard (Per/10) the limiter itself holds the
// steady rate to 1000/1.1 s ≈ 909/s after the first second's burst.
func BenchmarkFanoutAt1000PerSecond(b *testing.B) {
	for _, guard := range []time.Duration{time.Millisecond, 0} {
		b.Run("guard="+guard.String(), func(b *testing.B) {
			_, _, _, _, achieved := benchFanout(b, store.Rate{N: 1000, Per: time.Second, Guard: guard}, 8)
			b.ReportMetric(achieved, "msgs/s")
		})
	}
}

func mustCatalog(b *testing.B) *bot.Catalog {
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		b.Fatal(err)
	}
	return cat
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
