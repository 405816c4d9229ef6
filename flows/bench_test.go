package flows_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// loop is a registration answered to the summary, then cancelled, so a
// person can go round it forever: every turn does real work (validation,
// state write, reply).
var loop = []string{"daftar", "1", "Siti Aminah", "3214015503900001", "081234567890", "Warung Siti", "1", "1",
	"Ciseureuh", "Jl. Raya Anjun 5", "keripik", "1", "1", "3", "lewati", "1", "batal"}

// waiter is a Sender that wakes the person waiting for a reply.
type waiter struct {
	mu      sync.Mutex
	waiting map[string]chan struct{}
}

func (w *waiter) Send(ctx context.Context, to bot.Conversation, r bot.Reply) error {
	w.mu.Lock()
	ch := w.waiting[to.User]
	w.mu.Unlock()
	select {
	case ch <- struct{}{}:
	default:
	}
	return nil
}

// BenchmarkTurn measures one full message turn: the dispatcher's durable
// put and dedupe, the per-conversation lease, the engine with the real
// registration flow, the compare-and-set state write on real Redis, and
// the reply. Run: go test ./flows -run XXX -bench Turn
func BenchmarkTurn(b *testing.B) {
	for _, users := range []int{1, 16} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) { benchTurns(b, users) })
	}
}

func benchTurns(b *testing.B, users int) {
	w := newWorld(b)
	st := w.store
	wt := &waiter{waiting: map[string]chan struct{}{}}
	w.outbox.Register(bot.Console, wt)
	d := bot.NewDispatcher(bot.DispatcherConfig{Owner: "bench"}, st, w.engine, w.outbox, w.catalog, "id", nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	defer func() { cancel(); <-done }()

	var seq atomic.Int64
	var next atomic.Int64
	b.ResetTimer()
	var cpu0 time.Duration
	if processCPU != nil {
		cpu0 = processCPU()
	}
	var wg sync.WaitGroup
	for u := 0; u < users; u++ {
		user := fmt.Sprint("bench", u)
		ch := make(chan struct{}, 64)
		wt.mu.Lock()
		wt.waiting[user] = ch
		wt.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			chatLoop(ctx, b, d.Submit, user, ch, loop, &next, &seq)
		}()
	}
	wg.Wait()
	if processCPU != nil {
		// The CPU the bot's process spent per turn (Redis is a process of
		// its own), steadier than ns/op on a machine others share: time
		// waiting for Redis or for a core is not in it.
		b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// processCPU returns the CPU time this process has used so far (user and
// system), where the platform tells it (cpu_test.go); nil elsewhere.
var processCPU func() time.Duration

// chatLoop is one simulated person of a turn benchmark: it sends the
// lines of loop in turn, each after the reply to the one before, until
// the benchmark's b.N turns are taken (next counts them, seq numbers the
// messages).
func chatLoop(ctx context.Context, b *testing.B, submit func(context.Context, bot.Message) error, user string, replies chan struct{}, loop []string, next, seq *atomic.Int64) {
	for i := 0; next.Add(1) <= int64(b.N); i++ {
		msg := bot.Message{ID: fmt.Sprint(seq.Add(1)), Conv: bot.Conversation{Channel: bot.Console, User: user},
			Kind: bot.KindText, Text: loop[i%len(loop)]}
		if err := submit(ctx, msg); err != nil {
			b.Error(err)
			return
		}
		select {
		case <-replies:
		case <-time.After(10 * time.Second):
			b.Error("no reply")
			return
		}
		for len(replies) > 0 { // a turn may send two replies
			<-replies
		}
	}
}
