package flows_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

// tripCounter is a go-redis hook that counts round trips (a command, or a
// pipeline), commands, and the bytes of the keys and arguments passed to
// scripts (Redis's Lua hashes every byte of each).
type tripCounter struct{ trips, cmds, scriptBytes atomic.Int64 }

func (c *tripCounter) count(cmd redis.Cmder) {
	c.cmds.Add(1)
	args := cmd.Args()
	if len(args) < 3 || (cmd.Name() != "evalsha" && cmd.Name() != "eval") {
		return
	}
	n := 0
	for _, a := range args[3:] {
		switch v := a.(type) {
		case string:
			n += len(v)
		case []byte:
			n += len(v)
		case interface{ MarshalBinary() ([]byte, error) }: // the store's own arguments
			b, _ := v.MarshalBinary()
			n += len(b)
		default:
			n += len(fmt.Sprint(v))
		}
	}
	c.scriptBytes.Add(int64(n))
}

// handshake reports whether cmd is part of a new connection's handshake
// (HELLO, CLIENT SETNAME/SETINFO): the pool's, not a turn's round trip.
func handshake(cmd redis.Cmder) bool {
	n := cmd.Name()
	return n == "hello" || n == "client"
}

func (c *tripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *tripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if handshake(cmd) {
			return next(ctx, cmd)
		}
		c.trips.Add(1)
		c.count(cmd)
		return next(ctx, cmd)
	}
}
func (c *tripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && handshake(cmds[0]) {
			return next(ctx, cmds)
		}
		c.trips.Add(1)
		for _, cmd := range cmds {
			c.count(cmd)
		}
		return next(ctx, cmds)
	}
}

// quietDispatcher runs the turns of w with the background work (sweeps,
// resends, batched acks) out of the way, so the Redis calls counted are
// the turns'.
func quietDispatcher(w *world, send bot.Sender) *bot.Dispatcher {
	w.outbox.Register(bot.Console, send)
	return bot.NewDispatcher(bot.DispatcherConfig{Owner: "rt", Sweep: time.Hour, SendPoll: time.Hour, AckEvery: time.Hour},
		w.store, w.engine, w.outbox, w.catalog, "id", nil)
}

// TestTurnRoundTrips walks a whole registration one message at a time and
// counts the Redis round trips of each turn: a step that needs no look-up
// of its own takes two (the ingest that takes the conversation with its
// state and profile, and the commit), and none takes more than three.
// Held (messages from a channel that keeps them until taken, Telegram's
// poll journal), such a step takes one: its turn is committed in the step
// that takes the message.
func TestTurnRoundTrips(t *testing.T) {
	for _, held := range []bool{false, true} {
		t.Run(fmt.Sprintf("held=%v/clear", held), func(t *testing.T) { testTurnRoundTrips(t, newWorld(t), held) })
		// With a data key the NIK and phone answers are sealed where the
		// state is encoded: no round trip more.
		t.Run(fmt.Sprintf("held=%v/sealed", held), func(t *testing.T) {
			w := newWorld(t)
			seal(t, w)
			testTurnRoundTrips(t, w, held)
		})
	}
}

func testTurnRoundTrips(t *testing.T, w *world, held bool) {
	var n tripCounter
	w.store.Client().AddHook(&n)
	got := make(chan struct{}, 16)
	d := quietDispatcher(w, bot.SenderFunc(func(ctx context.Context, to bot.Conversation, r bot.Reply) error {
		got <- struct{}{}
		return nil
	}))
	defer d.Close()
	ctx := context.Background()
	submit, plainTrips := d.Submit, int64(2)
	if held {
		submit, plainTrips = d.SubmitHeld, 1
	}
	// say sends one message as user and waits for its turn to be done;
	// it returns the round trips the turn took.
	say := func(user, id, text string) int64 {
		before := n.trips.Load()
		if err := submit(ctx, bot.Message{ID: id, Conv: bot.Conversation{Channel: bot.Console, User: user}, Kind: bot.KindText, Text: text}); err != nil {
			t.Fatal(err)
		}
		if err := d.Idle(ctx); err != nil {
			t.Fatal(err)
		}
		for len(got) > 0 {
			<-got
		}
		return n.trips.Load() - before
	}
	// A whole registration of someone else first, uncounted, so that
	// every script is loaded (a script's first call is answered NOSCRIPT,
	// loaded and sent again).
	warmUp := append(append([]string{"halo", "halo"}, loop[:len(loop)-1]...), "ya")
	for i, text := range warmUp {
		if text == "3214015503900001" {
			text = "3214015503900002"
		}
		say("warm", fmt.Sprint("w", i), text)
	}
	warm := bot.Conversation{Channel: bot.Console, User: "warm"}
	if r, err := w.store.RegistrationFor(ctx, w.deps.Region.Code, warm); err != nil || r == nil {
		t.Fatalf("the warm-up registration was not made: %v", err)
	}
	say("rt", "rt-1", "halo")
	plain := 0
	for i, text := range loop[:len(loop)-1] {
		trips := say("rt", fmt.Sprint("rt", i), text)
		t.Logf("%-22q %d round trips", text, trips)
		if trips > 3 {
			t.Errorf("turn %q took %d round trips, want at most 3", text, trips)
		}
		if trips <= plainTrips {
			plain++
		}
		if text == "Warung Siti" && trips != plainTrips {
			t.Errorf("the name step (no look-up) took %d round trips, want %d", trips, plainTrips)
		}
		// Held, every step but those with a look-up of their own (the
		// registration check of "daftar", the NIK's) is one: also the one
		// after the consent, which wrote the profile (its draft).
		if held && trips > 1 && i != 0 && text != "3214015503900001" {
			t.Errorf("turn %q took %d round trips held, want 1", text, trips)
		}
	}
	if plain < len(loop)/2 {
		t.Errorf("only %d of %d turns took %d round trips", plain, len(loop)-1, plainTrips)
	}
	// The confirmation makes the registration (a script of its own); the
	// menu after it knows the person is registered without reading it
	// back.
	trips := say("rt", fmt.Sprint("rt", len(loop)), "ya")
	t.Logf("%-22q %d round trips", "ya", trips)
	if trips > plainTrips+1 {
		t.Errorf("the confirmation took %d round trips, want at most %d (the registration and the turn's)", trips, plainTrips+1)
	}
}

// BenchmarkTurnRedis measures a turn of the registration on real Redis
// through the dispatcher, reporting Redis commands and round trips per
// turn (under concurrency the turns of different people share pipelines,
// so round trips per turn fall below two); held, as Telegram's kept
// updates are (SubmitHeld). Run: go test ./flows -run XXX -bench TurnRedis
func BenchmarkTurnRedis(b *testing.B) {
	for _, c := range []struct {
		users int
		held  bool
	}{{1, false}, {32, false}, {1, true}, {32, true}} {
		users := c.users
		name := fmt.Sprintf("users=%d", users)
		if c.held {
			name += "/held"
		}
		b.Run(name, func(b *testing.B) {
			w := newWorld(b)
			var n tripCounter
			w.store.Client().AddHook(&n)
			wt := &waiter{waiting: map[string]chan struct{}{}}
			d := quietDispatcher(w, wt)
			defer d.Close()
			submit := d.Submit
			if c.held {
				submit = d.SubmitHeld
			}
			ctx := context.Background()
			var seq, next atomic.Int64
			var wg sync.WaitGroup
			chans := make([]chan struct{}, users)
			for u := range chans {
				chans[u] = make(chan struct{}, 64)
				wt.mu.Lock()
				wt.waiting[fmt.Sprint("bench", u)] = chans[u]
				wt.mu.Unlock()
			}
			cpu0, calls0 := redisWork(ctx, b, w.store.Client())
			b.ResetTimer()
			n.trips.Store(0)
			n.cmds.Store(0)
			n.scriptBytes.Store(0)
			for u := 0; u < users; u++ {
				user, ch := fmt.Sprint("bench", u), chans[u]
				wg.Add(1)
				go func() {
					defer wg.Done()
					chatLoop(ctx, b, submit, user, ch, loop, &next, &seq)
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(n.trips.Load())/float64(b.N), "trips/turn")
			b.ReportMetric(float64(n.cmds.Load())/float64(b.N), "cmds/turn")
			b.ReportMetric(float64(n.scriptBytes.Load())/float64(b.N), "script-bytes/turn")
			cpu1, calls1 := redisWork(ctx, b, w.store.Client())
			if os.Getenv("CMDSTATS") != "" {
				fmt.Fprintln(os.Stderr, w.store.Client().Info(ctx, "commandstats").Val())
			}
			b.ReportMetric((cpu1-cpu0)*1e6/float64(b.N), "redis-µs/turn")
			b.ReportMetric(float64(calls1-calls0)/float64(b.N), "redis-cmds/turn")
		})
	}
}

// redisWork reads Redis's CPU seconds (user + sys) and the commands it
// has run (INFO commandstats: each EVALSHA and every command its script
// ran), INFO itself left out. The server is the test's own.
func redisWork(ctx context.Context, b *testing.B, rdb redis.UniversalClient) (cpu float64, calls int64) {
	info, err := rdb.Info(ctx, "cpu", "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_cpu_sys:"); ok {
			f, _ := strconv.ParseFloat(v, 64)
			cpu += f
		} else if v, ok := strings.CutPrefix(line, "used_cpu_user:"); ok {
			f, _ := strconv.ParseFloat(v, 64)
			cpu += f
		} else if strings.HasPrefix(line, "cmdstat_") && !strings.HasPrefix(line, "cmdstat_info:") {
			_, rest, _ := strings.Cut(line, "calls=")
			v, _, _ := strings.Cut(rest, ",")
			c, _ := strconv.ParseInt(v, 10, 64)
			calls += c
		}
	}
	return cpu, calls
}

// TestAckRidesNextTurn: a delivered reply's ack waits (AckHold) for the
// person's next turn, whose commit carries it, instead of a round trip of
// its own; without the hold the acker writes each alone.
func TestAckRidesNextTurn(t *testing.T) {
	texts := []string{"halo", "daftar", "1", "Siti Aminah"}
	trips := func(hold time.Duration) []int64 {
		w := newWorld(t)
		var n tripCounter
		w.store.Client().AddHook(&n)
		w.outbox.Register(bot.Console, bot.SenderFunc(func(ctx context.Context, to bot.Conversation, r bot.Reply) error { return nil }))
		d := bot.NewDispatcher(bot.DispatcherConfig{Owner: "ack", Sweep: time.Hour, SendPoll: time.Hour, AckEvery: 5 * time.Millisecond, AckHold: hold},
			w.store, w.engine, w.outbox, w.catalog, "id", nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		conv := bot.Conversation{Channel: bot.Console, User: "ack"}
		var out []int64
		for i, text := range texts {
			before := n.trips.Load()
			if err := d.Submit(ctx, bot.Message{ID: fmt.Sprint("ack", i), Conv: conv, Kind: bot.KindText, Text: text}); err != nil {
				t.Fatal(err)
			}
			if err := d.Idle(ctx); err != nil {
				t.Fatal(err)
			}
			time.Sleep(60 * time.Millisecond) // a dozen acker rounds while the person thinks
			out = append(out, n.trips.Load()-before)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		return out
	}
	held, alone := trips(time.Hour), trips(-1)
	t.Logf("round trips per turn: held %v, alone %v", held, alone)
	for i := 1; i < len(texts); i++ { // the first loads the scripts
		if held[i] > 3 || alone[i] != held[i]+1 {
			t.Errorf("turn %q: %d round trips with the ack held, %d without; want at most 3, and one more without", texts[i], held[i], alone[i])
		}
	}
}
