package bot_test

import (
	"context"
	"errors"
	"fmt"
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

// faults is a go-redis hook that fails the Nth call (a command or a
// pipeline) counted from arm: before sending it (Redis never sees it) or
// after (Redis applied it, the answer is lost).
type faults struct {
	n     atomic.Int64 // calls since arm
	fail  int64        // which call fails (1-based); 0: none
	after bool
	fired atomic.Bool
}

var errInjected = errors.New("injected fault")

func (f *faults) hit() bool {
	return f.n.Add(1) == f.fail && !f.fired.Swap(true)
}

func (f *faults) DialHook(next redis.DialHook) redis.DialHook { return next }
func (f *faults) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !f.hit() {
			return next(ctx, cmd)
		}
		if f.after {
			next(ctx, cmd)
		}
		cmd.SetErr(errInjected)
		return errInjected
	}
}
func (f *faults) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !f.hit() {
			return next(ctx, cmds)
		}
		if f.after {
			next(ctx, cmds)
		}
		for _, c := range cmds {
			c.SetErr(errInjected)
		}
		return errInjected
	}
}

// turnProc is a process for the turn-path tests: its own client (with a
// fault hook), store, engine, outbox and dispatcher.
type turnProc struct {
	store *store.Store
	out   *recorder
	disp  *bot.Dispatcher
	w     *watch
	held  bool // messages come as from a channel that holds them (SubmitHeld)
}

func newTurnProc(t *testing.T, prefix, name string, hook redis.Hook, cfg bot.DispatcherConfig, send bot.Sender) *turnProc {
	t.Helper()
	rdb := redistest.ClientWithPrefix(t, prefix)
	if hook != nil {
		rdb.AddHook(hook)
	}
	st := store.New(rdb, store.Options{Prefix: prefix, SendDeadline: 100 * time.Millisecond})
	cat := testCatalog(t)
	w := &watch{h: bot.NewEngine(bot.EngineConfig{ResumeAfter: time.Hour}, catatFlow(), st, st, cat, nil)}
	out := &recorder{}
	ob := bot.NewOutbox(cat, st, "id", nil)
	if send == nil {
		send = out
	}
	ob.Register(bot.Console, send)
	cfg.Owner = name
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Millisecond
	}
	if cfg.Sweep == 0 {
		cfg.Sweep = 20 * time.Millisecond
	}
	if cfg.SendPoll == 0 {
		cfg.SendPoll = 20 * time.Millisecond
	}
	d := bot.NewDispatcher(cfg, st, w, ob, cat, "id", nil)
	return &turnProc{store: st, out: out, disp: d, w: w}
}

func (p *turnProc) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.disp.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// submit delivers msg as a platform does: again until it is taken.
func submit(t *testing.T, d *bot.Dispatcher, msg bot.Message) { submitAs(t, d, msg, false) }

// submit delivers msg to p, held by its channel when p.held.
func (p *turnProc) submit(t *testing.T, msg bot.Message) { submitAs(t, p.disp, msg, p.held) }

// submitAs delivers msg as a platform does, again until it is taken;
// when held, as a channel that keeps it meanwhile (Telegram's poll
// journal: SubmitHeld).
func submitAs(t *testing.T, d *bot.Dispatcher, msg bot.Message, held bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	take := d.Submit
	if held {
		take = d.SubmitHeld
	}
	for take(context.Background(), msg) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("message %s never taken", msg.ID)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestTurnPathFaults fails each Redis call of a conversation's turns in
// turn (the Nth call, for every N a run of five messages makes), once
// before Redis sees it and once after Redis applied it with the answer
// lost. Each time, after recovery every message is applied exactly once
// and in order (the state's history is exact) and answered (replies may
// repeat). It runs with messages submitted as a channel that holds them
// until they are taken (held: Telegram's poll journal, whose turns are
// committed directly) and as one that does not.
func TestTurnPathFaults(t *testing.T) {
	const msgs = 5
	for _, held := range []bool{false, true} {
		t.Run(fmt.Sprintf("held=%v", held), func(t *testing.T) {
			// Count the calls of a clean run first.
			calls := func() int64 {
				_, prefix := redistest.Client(t)
				f := &faults{}
				p := newTurnProc(t, prefix, "p", f, bot.DispatcherConfig{}, nil)
				p.held = held
				p.run(t)
				runFive(t, p, msgs)
				if direct := p.disp.Stats.Direct.Load(); held && direct < msgs {
					t.Fatalf("%d of %d answers were committed directly; the held runs prove nothing", direct, msgs)
				}
				return f.n.Load()
			}()
			if calls < msgs+1 {
				t.Fatalf("a clean run made %d Redis calls; the test proves nothing", calls)
			}
			for _, after := range []bool{false, true} {
				for n := int64(1); n <= calls; n++ {
					t.Run(fmt.Sprintf("after=%v/call=%d", after, n), func(t *testing.T) {
						_, prefix := redistest.Client(t)
						f := &faults{fail: n, after: after}
						p := newTurnProc(t, prefix, "p", f, bot.DispatcherConfig{}, nil)
						p.held = held
						p.run(t)
						runFive(t, p, msgs)
					})
				}
			}
		})
	}
}

// runFive starts the catat flow and sends msgs answers, each after the
// previous one was answered, and checks the outcome.
func runFive(t *testing.T, p *turnProc, msgs int) {
	t.Helper()
	p.submit(t, text("start", "catat"))
	waitFor(t, "the flow to start", func() bool { return len(p.out.all()) >= 1 })
	for i := 0; i < msgs; i++ {
		p.submit(t, text(fmt.Sprint("m", i), fmt.Sprint("a", i)))
		waitFor(t, fmt.Sprint("the answer to m", i), func() bool { return contains(p.out.all(), fmt.Sprint("ok a", i)) })
	}
	st, err := p.store.LoadState(context.Background(), demo)
	if errors.Is(err, errInjected) { // the fault may fall here
		st, err = p.store.LoadState(context.Background(), demo)
	}
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 0; i < msgs; i++ {
		want = append(want, fmt.Sprint("a", i))
	}
	if got := strings.TrimSuffix(st.Answers["log"], ","); got != strings.Join(want, ",") {
		t.Fatalf("state history = %q, want %q: a message was applied twice or lost", got, strings.Join(want, ","))
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// TestTurnPathPendingMarkRefused is the reproduction: Redis
// refuses writes to the pending set for a while (an ACL that makes it
// read-only for the bot's user). The message is refused as a whole (the
// channel does not acknowledge it), nothing is left half queued, and once
// the ACL is restored the redelivered message is answered.
func TestTurnPathPendingMarkRefused(t *testing.T) {
	admin, prefix := redistest.Client(t)
	if redistest.Kind() == redistest.KindEmbedded {
		t.Skip("needs Redis ACLs")
	}
	ctx := context.Background()
	user := "bot" + strings.ReplaceAll(prefix, ":", "")
	allow := func(pendingWritable bool) {
		rule := []any{"ACL", "SETUSER", user, "reset", "on", ">pw", "+@all"}
		if pendingWritable {
			rule = append(rule, "~*")
		} else {
			rule = append(rule, "%R~*", "%W~*c:*", "%W~*outq", "%W~*meta*")
		}
		if err := admin.Do(ctx, rule...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	allow(false)
	t.Cleanup(func() { admin.Do(context.Background(), "ACL", "DELUSER", user) })
	rdb := redis.NewClient(&redis.Options{Addr: admin.Options().Addr, Username: user, Password: "pw"})
	t.Cleanup(func() { rdb.Close() })
	st := store.New(rdb, store.Options{Prefix: prefix})
	cat := testCatalog(t)
	eng := bot.NewEngine(bot.EngineConfig{}, catatFlow(), st, st, cat, nil)
	out := &recorder{}
	ob := bot.NewOutbox(cat, st, "id", nil)
	ob.Register(bot.Console, out)
	d := bot.NewDispatcher(bot.DispatcherConfig{Owner: "p", Backoff: time.Millisecond, Sweep: 20 * time.Millisecond}, st, eng, ob, cat, "id", nil)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); d.Run(runCtx) }()
	defer func() { cancel(); <-done }()

	for i := 0; i < 3; i++ {
		if err := d.Submit(ctx, text("1", "halo")); err == nil {
			t.Fatal("Submit succeeded while the pending mark cannot be written")
		}
	}
	if n := admin.Exists(ctx, st.StateKey(demo)).Val(); n != 0 {
		t.Fatal("a turn ran for a message that was refused")
	}
	if got := out.all(); len(got) != 1 || got[0] != "core.unavailable" {
		t.Fatalf("notices while refused = %q; want one fault notice", got)
	}
	allow(true)
	submit(t, d, text("1", "halo")) // the platform redelivers
	waitFor(t, "the answer", func() bool { return contains(out.all(), "core.welcome") })
}

// TestTurnPathOneNoticePerOutage: with Redis down, each person is told
// once however often their platform redelivers, in their own language;
// after recovery a new outage tells them again.
func TestTurnPathOneNoticePerOutage(t *testing.T) {
	srv := redistest.NewServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	st := store.New(rdb, store.Options{Prefix: "notice"})
	cat := bilingualCatalog(t)
	eng := bot.NewEngine(bot.EngineConfig{}, catatFlow(), st, st, cat, nil)
	var mu sync.Mutex
	got := map[string][]string{}
	ob := bot.NewOutbox(cat, st, "id", nil)
	ob.Register(bot.Console, bot.SenderFunc(func(ctx context.Context, to bot.Conversation, r bot.Reply) error {
		mu.Lock()
		defer mu.Unlock()
		got[to.User] = append(got[to.User], r.Text)
		return nil
	}))
	d := bot.NewDispatcher(bot.DispatcherConfig{Owner: "p", Backoff: time.Millisecond}, st, eng, ob, cat, "id", nil)
	defer d.Close()
	ctx := context.Background()
	ann := bot.Conversation{Channel: bot.Console, User: "ann"}
	bob := bot.Conversation{Channel: bot.Console, User: "bob"}
	if err := st.SetProfile(ctx, ann, bot.FieldLang, "en"); err != nil {
		t.Fatal(err)
	}
	for i, c := range []bot.Conversation{ann, bob} { // both seen once, so their languages are known
		if err := d.Submit(ctx, bot.Message{ID: fmt.Sprint("hi", i), Conv: c, Kind: bot.KindText, Text: "halo"}); err != nil {
			t.Fatal(err)
		}
	}
	d.Idle(ctx)
	count := func(user, text string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range got[user] {
			if s == text {
				n++
			}
		}
		return n
	}
	for outage := 1; outage <= 2; outage++ {
		srv.Stop()
		for i := 0; i < 5; i++ {
			for _, c := range []bot.Conversation{ann, bob} {
				if err := d.Submit(ctx, bot.Message{ID: fmt.Sprint("o", outage), Conv: c, Kind: bot.KindText, Text: "halo"}); err == nil {
					t.Fatal("Submit succeeded with Redis down")
				}
			}
		}
		if n := count("ann", "[en] core.unavailable"); n != outage {
			t.Fatalf("outage %d: ann (English) got %d English notices, want %d; all: %q", outage, n, outage, got["ann"])
		}
		if n := count("bob", "core.unavailable"); n != outage {
			t.Fatalf("outage %d: bob got %d notices, want %d", outage, n, outage)
		}
		srv.Start()
		// This Redis keeps nothing across a restart: give ann her language back.
		waitFor(t, "Redis back", func() bool { return st.SetProfile(ctx, ann, bot.FieldLang, "en") == nil })
		waitFor(t, "Redis back", func() bool {
			return d.Submit(ctx, bot.Message{ID: fmt.Sprint("o", outage), Conv: ann, Kind: bot.KindText, Text: "halo"}) == nil &&
				d.Submit(ctx, bot.Message{ID: fmt.Sprint("o", outage), Conv: bob, Kind: bot.KindText, Text: "halo"}) == nil
		})
		d.Idle(ctx)
	}
}

// bilingualCatalog has the engine's messages in Indonesian (the id itself)
// and English ("[en] " and the id).
func bilingualCatalog(t testing.TB) *bot.Catalog {
	t.Helper()
	var id, en strings.Builder
	for _, m := range []string{"core.error", "core.unavailable", "core.menu.title", "core.menu.next", "core.unknown",
		"core.welcome", "catat.title", "catat.ask", "core.choice.invalid", "core.flood"} {
		fmt.Fprintf(&id, "[%q]\nother = %q\n", m, m)
		fmt.Fprintf(&en, "[%q]\nother = %q\n", m, "[en] "+m)
	}
	cat, err := bot.NewCatalog(fstest.MapFS{"test.id.toml": {Data: []byte(id.String())}, "test.en.toml": {Data: []byte(en.String())}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// platform is a fake channel that can be down (answering as an adapter
// does after its own retries ran out) and records what each chat got.
type platform struct {
	mu    sync.Mutex
	down  bool
	tries int
	got   map[string][]string
}

func (p *platform) Send(ctx context.Context, to bot.Conversation, r bot.Reply) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tries++
	if p.down {
		return errors.New("telegram: send failed after 5 attempts: Internal Server Error")
	}
	p.got[to.User] = append(p.got[to.User], r.Text)
	return nil
}

func (p *platform) setDown(v bool) {
	p.mu.Lock()
	p.down = v
	p.mu.Unlock()
}

func (p *platform) replies(user string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.got[user]...)
}

// TestTurnPathPlatformOutage: the platform is down far longer than the
// adapter's own retries (here 1.5 s against a retry cap of 50 ms, as 2
// minutes against the default 5 minutes would be too slow for a test)
// while 20 people each send six messages to two processes. Their turns
// are applied meanwhile; every reply arrives afterwards, once, in order.
func TestTurnPathPlatformOutage(t *testing.T) {
	_, prefix := redistest.Client(t)
	plat := &platform{got: map[string][]string{}, down: true}
	cfg := bot.DispatcherConfig{SendRetryMax: 50 * time.Millisecond, SendPoll: 10 * time.Millisecond}
	a := newTurnProc(t, prefix, "a", nil, cfg, plat)
	b := newTurnProc(t, prefix, "b", nil, cfg, plat)
	b.held = true // b's turns are committed directly where they can be (when it ran the turn before)
	a.run(t)
	b.run(t)
	const users = 20
	var want []string
	want = append(want, "catat.ask")
	var wg sync.WaitGroup
	for u := 0; u < users; u++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := bot.Conversation{Channel: bot.Console, User: fmt.Sprint("u", u)}
			for i, s := range []string{"catat", "a0", "a1", "a2", "a3", "a4"} {
				p := a
				if (u+i)%2 == 1 {
					p = b
				}
				p.submit(t, bot.Message{ID: fmt.Sprint(u, "-", i), Conv: c, Kind: bot.KindText, Text: s})
			}
		}()
	}
	for i := 0; i < 5; i++ {
		want = append(want, fmt.Sprint("ok a", i))
	}
	wg.Wait()
	waitFor(t, "the turns to be applied", func() bool { return a.w.turns.Load()+b.w.turns.Load() >= users*6 })
	time.Sleep(1500 * time.Millisecond)
	plat.mu.Lock()
	tries := plat.tries
	plat.mu.Unlock()
	if tries < users {
		t.Fatalf("%d sends tried during the outage; the test proves nothing", tries)
	}
	plat.setDown(false)
	for u := 0; u < users; u++ {
		user := fmt.Sprint("u", u)
		waitFor(t, "replies of "+user, func() bool { return len(plat.replies(user)) >= len(want) })
	}
	time.Sleep(200 * time.Millisecond) // room for a double to show up
	for u := 0; u < users; u++ {
		user := fmt.Sprint("u", u)
		if got := plat.replies(user); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("%s got %q, want %q (each once, in order)", user, got, want)
		}
	}
}

// TestTurnPathFlood: a person who floods gets a burst answered, one
// notice in their language, and the rest dropped and counted.
func TestTurnPathFlood(t *testing.T) {
	for _, held := range []bool{false, true} {
		t.Run(fmt.Sprintf("held=%v", held), func(t *testing.T) { testTurnPathFlood(t, held) })
	}
}

func testTurnPathFlood(t *testing.T, held bool) {
	_, prefix := redistest.Client(t)
	rdb := redistest.ClientWithPrefix(t, prefix)
	st := store.New(rdb, store.Options{Prefix: prefix})
	cat := bilingualCatalog(t)
	w := &watch{h: bot.NewEngine(bot.EngineConfig{}, catatFlow(), st, st, cat, nil)}
	obs := &observed{}
	plat := &platform{got: map[string][]string{}}
	ob := bot.NewOutbox(cat, st, "id", nil)
	ob.Register(bot.Console, plat)
	d := bot.NewDispatcher(bot.DispatcherConfig{Owner: "p", Flood: bot.FloodLimit{Burst: 5, PerMinute: 1}, Observer: obs}, st, w, ob, cat, "id", nil)
	defer d.Close()
	ctx := context.Background()
	if err := st.SetProfile(ctx, demo, bot.FieldLang, "en"); err != nil {
		t.Fatal(err)
	}
	submit := d.Submit
	if held {
		submit = d.SubmitHeld
	}
	for i := 0; i < 30; i++ {
		if err := submit(ctx, text(fmt.Sprint("f", i), "halo")); err != nil {
			t.Fatal(err)
		}
		if held {
			d.Idle(ctx) // each turn done before the next message: held, the conversation is free
		}
	}
	d.Idle(ctx)
	got := plat.replies(demo.User)
	notices, answers := 0, 0
	for _, r := range got {
		switch r {
		case "[en] core.flood":
			notices++
		case "[en] core.welcome":
			answers++
		default:
			t.Errorf("unexpected reply %q", r)
		}
	}
	if answers != 5 || notices != 1 {
		t.Fatalf("%d answers and %d flood notices (%q); want the burst of 5 answered and one notice in English", answers, notices, got)
	}
	if n := d.Stats.Flooded.Load(); n != 25 {
		t.Fatalf("flooded counted %d, want 25", n)
	}
	// A turn is computed only for a message the limit takes: a step with
	// effects (a registration) never runs for one it drops.
	if n := w.turns.Load(); n != 5 {
		t.Fatalf("%d turns computed, want 5", n)
	}
	direct := d.Stats.Direct.Load()
	if held && direct == 0 {
		t.Fatal("no turn was committed directly; the held run proves nothing")
	}
	_, ingest := obs.got()
	if n := int64(strings.Count(strings.Join(ingest, "|"), "console direct")); n != direct {
		t.Fatalf("%d deliveries reported direct to the observer, %d committed directly: %q", n, direct, ingest)
	}
}
