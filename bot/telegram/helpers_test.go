package telegram_test

// Shared helpers of the end-to-end tests: a loopback Bot API server, a real
// Redis, and "processes" each made of the real adapter, dispatcher, engine,
// flows and store, the way cmd/umkmbot wires them.

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/telegram"
	"github.com/umkmbot/umkmbot/bot/telegram/telegramtest"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/locales"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }

const token = "123456789:AAH-test_token-do-not-log"

// waitFor bounds every wait of these tests; waits end as soon as their
// condition holds.
const waitFor = 20 * time.Second

// rig is one test's world: the fake Telegram and a Redis key space.
type rig struct {
	t      testing.TB
	tg     *telegramtest.Server
	prefix string
	store  *store.Store // a client of its own, for assertions
	cat    *bot.Catalog
	region umkm.Region
	logs   *redistest.SyncBuffer
	procs  []*proc
	seen   map[int64]int // messages of each chat already returned by turn
	// journal is the poll journal every process shares, as they share
	// Redis in production (cmd/umkmbot keeps it there).
	journal *memJournal
}

func newRig(t testing.TB) *rig {
	t.Helper()
	tg := telegramtest.New(token)
	t.Cleanup(tg.Close)
	rdb, prefix := redistest.Client(t)
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	region, err := flows.LoadRegion("purwakarta")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, tg: tg, prefix: prefix, store: store.New(rdb, store.Options{Prefix: prefix}),
		cat: cat, region: region, logs: &redistest.SyncBuffer{}, seen: map[int64]int{}, journal: &memJournal{kept: map[int][]byte{}}}
	t.Cleanup(func() {
		for _, p := range r.procs {
			p.stop()
		}
		if strings.Contains(r.logs.String(), token) {
			t.Errorf("the bot token appears in the logs")
		}
	})
	return r
}

// proc is one umkmbot process on the rig.
type proc struct {
	name    string
	a       *telegram.Adapter
	disp    *bot.Dispatcher
	store   *store.Store
	outbox  *bot.Outbox
	cancel  context.CancelFunc
	done    chan struct{}
	stopped bool
	sub     telegram.Submitter // what the adapter submits to (the dispatcher unless replaced)
}

// headerClient names the process on every request to the fake server.
type headerClient struct {
	name string
	rt   http.RoundTripper
}

func (h headerClient) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set(telegramtest.ClientHeader, h.name)
	return h.rt.RoundTrip(req)
}

// config is the adapter configuration of a test process.
func (r *rig) config(name string) telegram.Config {
	return telegram.Config{
		Token:       token,
		APIURL:      r.tg.URL,
		Labels:      telegram.Labels{ShareContact: r.cat.Render("id", bot.T("telegram.share_contact")), ShareLocation: r.cat.Render("id", bot.T("telegram.share_location"))},
		Commands:    []telegram.Command{{Name: "daftar", Description: r.cat.Render("id", bot.T("telegram.command.daftar"))}},
		PollTimeout: time.Second,
		Owner:       name,
		Backoff:     50 * time.Millisecond,
		RatePerChat: 100, // the limiter has its own tests; here it would only slow the conversations
		Shared:      r.store.Limiter(map[bot.ChannelID]store.Rate{telegram.LimitKey(token): {N: 30, Per: time.Second}}),
		Journal:     r.journal,
		HTTPClient:  &http.Client{Transport: headerClient{name: name, rt: http.DefaultTransport}},
		Log:         slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("proc", name),
	}
}

// build makes a process without starting it; edit changes its config and
// wrap, if set, stands between the adapter and the dispatcher.
func (r *rig) build(name string, edit func(*telegram.Config), wrap func(telegram.Submitter) telegram.Submitter) *proc {
	t := r.t
	t.Helper()
	st := store.New(redistest.ClientWithPrefix(t, r.prefix), store.Options{Prefix: r.prefix})
	log := slog.New(slog.NewTextHandler(r.logs, nil)).With("proc", name)
	out := bot.NewOutbox(r.cat, st, "id", log)
	reg, err := flows.New(flows.Deps{Region: r.region, Registrations: st, Notifier: out})
	if err != nil {
		t.Fatal(err)
	}
	eng := bot.NewEngine(bot.EngineConfig{DefaultLang: "id"}, reg, st, st, r.cat, log)
	disp := bot.NewDispatcher(bot.DispatcherConfig{Owner: name, LeaseTTL: 5 * time.Second, Backoff: 50 * time.Millisecond},
		st, eng, out, r.cat, "id", log)
	cfg := r.config(name)
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	a, err := telegram.New(ctx, cfg)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	out.Register(bot.Telegram, a)
	p := &proc{name: name, a: a, disp: disp, store: st, outbox: out, sub: disp}
	if wrap != nil {
		p.sub = wrap(disp)
	}
	return p
}

// start builds and runs a process.
func (r *rig) start(name string, edit func(*telegram.Config), wrap func(telegram.Submitter) telegram.Submitter) *proc {
	r.t.Helper()
	p := r.build(name, edit, wrap)
	r.run(p)
	return p
}

// run starts p's dispatcher and adapter.
func (r *rig) run(p *proc) {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.disp.Run(ctx) }()
	go func() {
		defer wg.Done()
		if err := p.a.Run(ctx, p.sub); err != nil {
			r.t.Errorf("%s: adapter: %v", p.name, err)
		}
	}()
	go func() { wg.Wait(); close(p.done) }()
	r.procs = append(r.procs, p)
}

// stop ends p (adapter first, then the dispatcher's turns in flight) and
// waits for it.
func (p *proc) stop() {
	if p.stopped {
		return
	}
	p.stopped = true
	p.cancel()
	<-p.done
}

// idle waits until every running process has finished its turns.
func (r *rig) idle() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for _, p := range r.procs {
		if !p.stopped {
			if err := p.disp.Idle(ctx); err != nil {
				r.t.Fatalf("%s not idle: %v", p.name, err)
			}
		}
	}
}

// turn has the user do something (push an update) and returns the bot's
// replies to it: it waits for the first one, then for the turn to end.
func (r *rig) turn(u telegramtest.User, push func()) []telegramtest.Sent {
	r.t.Helper()
	before := r.seen[u.ID]
	push()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, err := r.tg.WaitSent(ctx, u.ID, before+1); err != nil {
		r.t.Fatalf("no reply: %v", err)
	}
	r.idle()
	all := r.tg.Sent(u.ID)
	r.seen[u.ID] = len(all)
	for _, m := range all[before:] {
		r.t.Logf("< %s", m.Text)
	}
	return all[before:]
}

// say sends text and returns the replies.
func (r *rig) say(u telegramtest.User, text string) []telegramtest.Sent {
	r.t.Helper()
	return r.turn(u, func() { r.tg.Text(u, text) })
}

// last returns the text of the last reply, failing on none.
func last(t *testing.T, got []telegramtest.Sent) telegramtest.Sent {
	t.Helper()
	if len(got) == 0 {
		t.Fatal("no reply")
	}
	return got[len(got)-1]
}

// expect checks that the last reply contains want.
func expect(t *testing.T, got []telegramtest.Sent, want string) telegramtest.Sent {
	t.Helper()
	m := last(t, got)
	if !strings.Contains(m.Text, want) {
		t.Fatalf("reply %q does not contain %q", m.Text, want)
	}
	return m
}

// eventually polls cond until it holds or the wait ends.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// submitFunc adapts a function to telegram.Submitter.
type submitFunc func(ctx context.Context, msg bot.Message) error

func (f submitFunc) Submit(ctx context.Context, msg bot.Message) error { return f(ctx, msg) }

// memJournal is the poll journal in memory, shared by a rig's processes.
type memJournal struct {
	mu   sync.Mutex
	kept map[int][]byte
}

func (j *memJournal) Keep(_ context.Context, id int, batch []byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.kept[id] = append([]byte(nil), batch...)
	return nil
}

func (j *memJournal) Drop(_ context.Context, id int) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.kept, id)
	return nil
}

func (j *memJournal) Kept(context.Context) ([][]byte, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	ids := make([]int, 0, len(j.kept))
	for id := range j.kept {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	out := make([][]byte, len(ids))
	for i, id := range ids {
		out[i] = j.kept[id]
	}
	return out, nil
}

func (j *memJournal) len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.kept)
}

// observed records what an adapter reports to its bot.Observer.
type observed struct {
	bot.NopObserver
	mu     sync.Mutex
	sends  []string
	events map[string]int
}

func (o *observed) Send(_ bot.ChannelID, result string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sends = append(o.sends, result)
}

func (o *observed) Event(name string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.events == nil {
		o.events = map[string]int{}
	}
	o.events[name]++
}

func (o *observed) results() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.sends...)
}

func (o *observed) count(event string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.events[event]
}
