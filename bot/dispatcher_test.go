package bot_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }

// testCatalog has the few messages the engine itself needs.
func testCatalog(t testing.TB) *bot.Catalog {
	t.Helper()
	var b strings.Builder
	for _, id := range []string{"core.error", "core.unavailable", "core.menu.title", "core.menu.next", "core.unknown",
		"core.welcome", "catat.title", "catat.ask", "core.choice.invalid"} {
		fmt.Fprintf(&b, "[%q]\nother = %q\n", id, id)
	}
	cat, err := bot.NewCatalog(fstest.MapFS{"test.id.toml": {Data: []byte(b.String())}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// catatFlow records every answer in order, and panics on "boom".
func catatFlow() *bot.Registry {
	r := mustRegistry(
		&bot.Flow{ID: "catat", Title: "catat.title", Triggers: []string{"catat"}, Menu: 1, Steps: []*bot.Step{{
			ID: "ask", Prompt: "catat.ask",
			Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
				if in.Text == "boom" {
					panic("boom")
				}
				t.Set("log", t.Get("log")+in.Text+",")
				return bot.Result{Next: bot.Stay, Quiet: true, Say: []bot.Out{bot.Say(bot.Raw("ok " + in.Text))}}, nil
			},
		}}},
	)
	return r
}

// recorder is a Sender that keeps what it was given.
type recorder struct {
	mu      sync.Mutex
	replies []string
}

func (r *recorder) Send(ctx context.Context, to bot.Conversation, rep bot.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replies = append(r.replies, rep.Text)
	return nil
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.replies...)
}

// watch wraps a handler to count turns and detect two turns of one
// conversation running at the same time.
type watch struct {
	h       bot.Handler
	running atomic.Int32
	overlap atomic.Bool
	turns   atomic.Int32
	fail    atomic.Int32 // fail this many turns first
}

func (w *watch) Turn(ctx context.Context, l *bot.Loaded) (bot.TurnResult, error) {
	if w.running.Add(1) > 1 {
		w.overlap.Store(true)
	}
	defer w.running.Add(-1)
	if w.fail.Add(-1) >= 0 {
		return bot.TurnResult{}, errors.New("store down")
	}
	w.turns.Add(1)
	return w.h.Turn(ctx, l)
}

type proc struct {
	store *store.Store
	out   *recorder
	watch *watch
	disp  *bot.Dispatcher
}

// newProc builds one "process": its own Redis client, engine and dispatcher.
func newProc(t *testing.T, prefix, name string, w *watch) *proc {
	t.Helper()
	rdb := redistest.ClientWithPrefix(t, prefix)
	st := store.New(rdb, store.Options{Prefix: prefix})
	cat := testCatalog(t)
	eng := bot.NewEngine(bot.EngineConfig{ResumeAfter: time.Hour}, catatFlow(), st, st, cat, nil)
	if w == nil {
		w = &watch{}
	}
	w.h = eng
	out := &recorder{}
	ob := bot.NewOutbox(cat, st, "id", nil)
	ob.Register(bot.Console, out)
	d := bot.NewDispatcher(bot.DispatcherConfig{Owner: name, Backoff: time.Millisecond, Sweep: 20 * time.Millisecond}, st, w, ob, cat, "id", nil)
	return &proc{store: st, out: out, watch: w, disp: d}
}

func (p *proc) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.disp.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

var demo = bot.Conversation{Channel: bot.Console, User: "demo"}

func text(id, s string) bot.Message {
	return bot.Message{ID: id, Conv: demo, Kind: bot.KindText, Text: s}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDispatcherOrderAndNoLoss submits many messages of one person at once
// from several goroutines into two processes sharing Redis: every message
// is handled exactly once, never two at a time, and each sender's messages
// in the order it sent them.
func TestDispatcherOrderAndNoLoss(t *testing.T) {
	_, prefix := redistest.Client(t)
	shared := &watch{}
	a, b := newProc(t, prefix, "a", shared), newProc(t, prefix, "b", shared)
	a.run(t)
	b.run(t)
	ctx := context.Background()
	if err := a.disp.Submit(ctx, text("start", "catat")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "flow start", func() bool { return shared.turns.Load() == 1 })
	const senders, each = 6, 30
	var wg sync.WaitGroup
	for g := 0; g < senders; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := a
			if g%2 == 1 {
				p = b
			}
			for i := 0; i < each; i++ {
				if err := p.disp.Submit(ctx, text(fmt.Sprintf("g%d-%d", g, i), fmt.Sprintf("g%d-%d", g, i))); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	// Committed turns, not the handler's count: the handler counts a turn
	// before its commit lands, and the state read below raced the last one.
	waitFor(t, "all turns", func() bool { return a.disp.Stats.Turns.Load()+b.disp.Stats.Turns.Load() == 1+senders*each })
	if shared.overlap.Load() {
		t.Fatal("two turns of one conversation ran at the same time")
	}
	st, err := a.store.LoadState(ctx, demo)
	if err != nil {
		t.Fatal(err)
	}
	logged := strings.Split(strings.TrimSuffix(st.Answers["log"], ","), ",")
	if len(logged) != senders*each {
		t.Fatalf("state holds %d answers, want %d: answers were lost", len(logged), senders*each)
	}
	next := make([]int, senders)
	for _, e := range logged {
		var g, i int
		fmt.Sscanf(e, "g%d-%d", &g, &i)
		if i != next[g] {
			t.Fatalf("sender %d: got message %d, want %d: order not kept", g, i, next[g])
		}
		next[g]++
	}
	// A reply committed behind one the other process has not acknowledged
	// yet goes out a moment later, from the outbox.
	waitFor(t, "all replies", func() bool { return len(a.out.all())+len(b.out.all()) >= 1+senders*each })
	time.Sleep(100 * time.Millisecond) // room for a double to show
	if n := len(a.out.all()) + len(b.out.all()); n != 1+senders*each {
		t.Fatalf("%d replies sent, want %d", n, 1+senders*each)
	}
}

func TestDispatcherDuplicateDelivery(t *testing.T) {
	_, prefix := redistest.Client(t)
	shared := &watch{}
	a, b := newProc(t, prefix, "a", shared), newProc(t, prefix, "b", shared)
	a.run(t)
	b.run(t)
	ctx := context.Background()
	for _, p := range []*proc{a, b, a} {
		if err := p.disp.Submit(ctx, text("same-id", "halo")); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the turn", func() bool { return shared.turns.Load() >= 1 })
	a.disp.Idle(ctx)
	b.disp.Idle(ctx)
	if n := shared.turns.Load(); n != 1 {
		t.Fatalf("%d turns for one message delivered three times", n)
	}
	if d := a.disp.Stats.Duplicates.Load() + b.disp.Stats.Duplicates.Load(); d != 2 {
		t.Fatalf("duplicates counted = %d, want 2", d)
	}
}

func TestDispatcherRecoversPanic(t *testing.T) {
	_, prefix := redistest.Client(t)
	p := newProc(t, prefix, "a", nil)
	p.run(t)
	ctx := context.Background()
	for i, s := range []string{"catat", "boom", "after"} {
		if err := p.disp.Submit(ctx, text(fmt.Sprint(i), s)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "three replies", func() bool { return len(p.out.all()) == 3 })
	got := p.out.all()
	if got[1] != "core.error" || got[2] != "ok after" {
		t.Fatalf("replies = %q; want the error notice, then the next message handled", got)
	}
	if p.disp.Stats.Panics.Load() != 1 {
		t.Fatalf("panics counted = %d", p.disp.Stats.Panics.Load())
	}
}

// TestDispatcherRetriesFailedTurn: a turn that fails (store trouble) is
// retried until it works; the person is told once, and answered once.
func TestDispatcherRetriesFailedTurn(t *testing.T) {
	_, prefix := redistest.Client(t)
	w := &watch{}
	w.fail.Store(3)
	p := newProc(t, prefix, "a", w)
	p.run(t)
	if err := p.disp.Submit(context.Background(), text("1", "halo")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the answer", func() bool { return len(p.out.all()) == 2 })
	got := p.out.all()
	if got[0] != "core.unavailable" || got[1] != "core.welcome" {
		t.Fatalf("replies = %q", got)
	}
}

// TestDispatcherRecoversQueue: a message taken by a process that died
// before handling it is handled by the next one to start.
func TestDispatcherRecoversQueue(t *testing.T) {
	_, prefix := redistest.Client(t)
	dead := newProc(t, prefix, "dead", nil)
	in, err := dead.store.Ingest(context.Background(), text("orphan", "halo"), bot.Lease{Owner: "dead", TTL: 50 * time.Millisecond}, bot.FloodLimit{})
	if err != nil || in.Result != bot.Taken {
		t.Fatal(in, err)
	}
	p := newProc(t, prefix, "new", nil)
	p.run(t)
	waitFor(t, "the recovered answer", func() bool { return len(p.out.all()) == 1 })
}

// TestDispatcherRedisDown: with Redis unreachable the person is told and
// the channel gets an error (so it does not acknowledge); when Redis is
// back, messages flow again without a restart.
func TestDispatcherRedisDown(t *testing.T) {
	srv := redistest.NewServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	st := store.New(rdb, store.Options{Prefix: "down"})
	cat := testCatalog(t)
	eng := bot.NewEngine(bot.EngineConfig{}, catatFlow(), st, st, cat, nil)
	out := &recorder{}
	ob := bot.NewOutbox(cat, st, "id", nil)
	ob.Register(bot.Console, out)
	d := bot.NewDispatcher(bot.DispatcherConfig{Owner: "p", Backoff: time.Millisecond}, st, eng, ob, cat, "id", nil)
	defer d.Close()
	ctx := context.Background()

	srv.Stop()
	if err := d.Submit(ctx, text("1", "halo")); err == nil {
		t.Fatal("Submit succeeded with Redis down; the channel would acknowledge a lost message")
	}
	if got := out.all(); len(got) != 1 || got[0] != "core.unavailable" {
		t.Fatalf("replies with Redis down = %q", got)
	}
	srv.Start()
	waitFor(t, "Redis back", func() bool { return d.Submit(ctx, text("1", "halo")) == nil })
	waitFor(t, "the answer", func() bool { return len(out.all()) >= 2 })
	if got := out.all(); got[len(got)-1] != "core.welcome" {
		t.Fatalf("replies after recovery = %q", got)
	}
}

func TestDispatcherStopped(t *testing.T) {
	_, prefix := redistest.Client(t)
	p := newProc(t, prefix, "a", nil)
	p.disp.Close()
	if err := p.disp.Submit(context.Background(), text("1", "halo")); !errors.Is(err, bot.ErrStopped) {
		t.Fatalf("Submit after Close: %v", err)
	}
}

// TestWorkers: Go never waits for a busy goroutine (every function runs
// at once), a goroutine that finished takes the next function, and Stop
// returns only after the running functions ended.
func TestWorkers(t *testing.T) {
	var w bot.Workers
	const n = 50
	release := make(chan struct{})
	var running, ended atomic.Int64
	for i := 0; i < n; i++ {
		w.Go(func() {
			running.Add(1)
			<-release
			ended.Add(1)
		})
	}
	waitFor(t, "every function running at once", func() bool { return running.Load() == n })
	close(release)
	waitFor(t, "the functions to end", func() bool { return ended.Load() == n })
	// The goroutines wait now; each next function is taken by one of them.
	done := make(chan int, n)
	for i := 0; i < n; i++ {
		w.Go(func() { done <- i })
	}
	for i := 0; i < n; i++ {
		<-done
	}
	slow := make(chan struct{})
	var finished atomic.Bool
	w.Go(func() { <-slow; finished.Store(true) })
	go func() { time.Sleep(20 * time.Millisecond); close(slow) }()
	w.Stop()
	if !finished.Load() {
		t.Fatal("Stop returned while a function was running")
	}
}
