package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
	"github.com/umkmbot/umkmbot/web"
)

// fakeDevice stands in for the device store shared by the serve
// processes (PostgreSQL in production) and for their connections: a
// number is paired or not; a session runs until the number is unlinked
// through it or its process stops.
type fakeDevice struct {
	mu       sync.Mutex
	paired   bool
	started  chan string // each session started: "<process>#<n>"
	stopped  chan string // each session ended
	sessions int
}

func newFakeDevice() *fakeDevice {
	return &fakeDevice{started: make(chan string, 20), stopped: make(chan string, 20)}
}

// opener is process proc's waChannel.open. With a store its sessions
// connect as the adapter does: only while holding the WhatsApp lease
// (waLeaseKey), renewed; a stopped process's lease lapses after ttl.
func (d *fakeDevice) opener(proc string, st *store.Store, ttl time.Duration) func(context.Context) (*waSession, error) {
	return func(ctx context.Context) (*waSession, error) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if !d.paired {
			return nil, nil
		}
		d.sessions++
		name := fmt.Sprintf("%s#%d", proc, d.sessions)
		out := make(chan struct{}) // closed when unlinked through this session
		var holds, gone atomic.Bool
		s := &waSession{
			holds: holds.Load,
			logOut: func(context.Context) error {
				if !holds.Load() {
					return errors.New("not connected")
				}
				d.mu.Lock()
				d.paired = false
				d.mu.Unlock()
				if !gone.Swap(true) {
					close(out)
				}
				return nil
			},
			unlinked: gone.Load,
		}
		s.run = func(ctx context.Context) error {
			if st == nil {
				holds.Store(true) // a single process connects at once
			}
			d.started <- name
			defer func() { holds.Store(false); d.stopped <- name }()
			if st == nil {
				select {
				case <-ctx.Done():
				case <-out:
				}
				return nil
			}
			tick := time.NewTicker(ttl / 5)
			defer tick.Stop()
			for {
				ok, err := st.ClaimLease(ctx, waLeaseKey(st), proc, ttl)
				holds.Store(err == nil && ok)
				select {
				case <-ctx.Done():
					return nil // the lease lapses (a process that died) or another takes it
				case <-out:
					st.ReleaseLease(context.WithoutCancel(ctx), waLeaseKey(st), proc)
					return nil
				case <-tick.C:
				}
			}
		}
		return s, nil
	}
}

func (d *fakeDevice) pair() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.paired = true
}

// within waits for a value on ch, failing the test (not timing it) when
// nothing comes in a generous while.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not happen", what)
		panic("unreachable")
	}
}

// TestPairingFromThePageConnectsWithoutRestart: serve's WhatsApp channel
// starts with no number paired; an admin pairs one on the console (the
// fake pairing source of the page tests) and the running channel
// connects it; logging out on the page stops it, and pairing again
// connects again, all without a restart.
func TestPairingFromThePageConnectsWithoutRestart(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	const password = "sandi-admin-2026"
	umkmbot(t, env, password+"\n", "admin", "user", "add", "sari", "--role", "admin", "--full-name", "Sari Admin")

	dev := newFakeDevice()
	ch := newWAChannel(slog.New(slog.DiscardHandler))
	ch.open = dev.opener("serve", nil, 0)
	ch.pairer = &waPairer{} // nothing pairs through it here: Run only waits for it
	fp := &fakePairing{onPaired: func() { dev.pair(); ch.Paired() }, unlink: ch.LogOut}
	_, ts := consoleFor(t, env, func(a *App) { a.pairing = fp })

	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- ch.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("channel: %v", err)
		}
	})
	if err := ch.Ready(ctx); err == nil {
		t.Fatal("ready with no number paired")
	}

	c, status := signIn(t, ts, "sari", password)
	if status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", status)
	}
	page := func() string {
		t.Helper()
		res, err := c.Get(ts.URL + "/whatsapp")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		buf := make([]byte, 64<<10)
		for {
			n, err := res.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				return b.String()
			}
		}
	}

	for round := 1; round <= 2; round++ {
		select {
		case n := <-dev.started:
			t.Fatalf("round %d: session %s started before pairing", round, n)
		default:
		}
		if status := postForm(t, c, ts, "/whatsapp/pair", url.Values{"by": {"qr"}}); status != http.StatusSeeOther {
			t.Fatalf("round %d: pair: %d", round, status)
		}
		if !strings.Contains(page(), `class="qr"`) {
			t.Fatalf("round %d: no QR code on the page", round)
		}
		fp.succeed() // the phone scanned the code
		if n, want := within(t, dev.started, "connecting the paired number"), fmt.Sprintf("serve#%d", round); n != want {
			t.Fatalf("round %d: session %s started", round, n)
		}
		if !strings.Contains(page(), "tanpa dijalankan ulang") {
			t.Fatalf("round %d: the page does not say the number is used without a restart", round)
		}
		if status := postForm(t, c, ts, "/whatsapp/logout", nil); status != http.StatusSeeOther {
			t.Fatalf("round %d: log out: %d", round, status)
		}
		if n, want := within(t, dev.stopped, "the channel stopping after the log-out"), fmt.Sprintf("serve#%d", round); n != want {
			t.Fatalf("round %d: session %s stopped", round, n)
		}
		fp.mu.Lock()
		fp.p = web.Pairing{}
		fp.mu.Unlock()
	}
}

// TestPairerTellsTheChannelOnlyOnSuccess: the pairing's end reaches the
// channel when the phone accepted, not after a timeout or an error.
func TestPairerTellsTheChannelOnlyOnSuccess(t *testing.T) {
	for _, tc := range []struct {
		state web.Pairing
		want  bool
	}{{web.Pairing{Paired: true}, true}, {web.Pairing{Failed: "timeout"}, false}, {web.Pairing{Failed: "error"}, false}} {
		told := false
		p := &waPairer{state: tc.state, onPaired: func() { told = true }}
		p.done()
		if told != tc.want {
			t.Errorf("%+v: channel told %v, want %v", tc.state, told, tc.want)
		}
	}
}

// TestWAChannelOpenFailure: a device store that cannot be opened is
// logged and the channel waits for a pairing instead of ending serve.
func TestWAChannelOpenFailure(t *testing.T) {
	ch := newWAChannel(slog.New(slog.DiscardHandler))
	ch.pairer = &waPairer{}
	calls := make(chan struct{}, 4)
	ch.open = func(context.Context) (*waSession, error) {
		calls <- struct{}{}
		return nil, errors.New("disk gone")
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- ch.Run(ctx) }()
	within(t, calls, "the first open")
	ch.Paired()
	within(t, calls, "a new open after a pairing")
	cancel()
	if err := within(t, ran, "the channel ending"); err != nil {
		t.Fatalf("channel: %v", err)
	}
}

// serveProc is one serve process in a test: its App (console), its
// WhatsApp channel, and a way to stop it as if it died.
type serveProc struct {
	name string
	app  *App
	ts   *httptest.Server
	fp   *fakePairing
	ch   *waChannel
	stop context.CancelFunc
	ran  chan error
}

// twoServes starts two serve processes on one Redis sharing dev, each
// with its console (the fake pairing source of the page tests) and its
// WhatsApp channel watching the pairing generation.
func twoServes(t *testing.T, env map[string]string, dev *fakeDevice, leaseTTL time.Duration) []*serveProc {
	t.Helper()
	var procs []*serveProc
	for _, name := range []string{"serve-a", "serve-b"} {
		p := &serveProc{name: name, ran: make(chan error, 1)}
		p.ch = newWAChannel(slog.New(slog.DiscardHandler))
		p.ch.pairer = &waPairer{}
		p.ch.every = 20 * time.Millisecond
		p.fp = &fakePairing{onPaired: func() { dev.pair(); p.ch.Paired() }, unlink: p.ch.LogOut}
		p.app, p.ts = consoleFor(t, env, func(a *App) { a.pairing = p.fp })
		p.ch.sig = newWASignal(p.app.Store)
		p.ch.open = dev.opener(name, p.app.Store, leaseTTL)
		ctx, cancel := context.WithCancel(context.Background())
		p.stop = cancel
		go func() { p.ran <- p.ch.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-p.ran; err != nil {
				t.Errorf("%s: channel: %v", name, err)
			}
		})
		procs = append(procs, p)
	}
	return procs
}

// postForm posts a console form as a signed-in browser would.
func postForm(t *testing.T, c *http.Client, ts *httptest.Server, path string, form url.Values) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", ts.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// holder waits until one process holds the WhatsApp lease and returns it.
func holder(t *testing.T, procs []*serveProc, not string) *serveProc {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		h, _ := procs[0].app.Redis.Get(context.Background(), waLeaseKey(procs[0].app.Store)).Result()
		for _, p := range procs {
			if h == p.name && p.name != not {
				return p
			}
		}
	}
	t.Fatal("no serve process took the WhatsApp connection")
	return nil
}

// sessions collects n session names from ch, in any order.
func sessions(t *testing.T, ch <-chan string, n int, what string) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	for range n {
		got[strings.Split(within(t, ch, what), "#")[0]] = true
	}
	return got
}

// TestPairingReachesEveryServe: two serve processes share a Redis and the
// device store. A number paired on the page of one is opened by both
// (the lease lets one connect, the other stands by) without a restart;
// unlinking it on the page of the process WITHOUT the connection stops
// both; paired again on the other page, both open it again; the phone
// dropping the device stops both; and when the process holding the
// connection dies the other takes it over.
func TestPairingReachesEveryServe(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	const password = "sandi-admin-2026"
	umkmbot(t, env, password+"\n", "admin", "user", "add", "sari", "--role", "admin", "--full-name", "Sari Admin")
	dev := newFakeDevice()
	procs := twoServes(t, env, dev, 300*time.Millisecond)
	clients := map[string]*http.Client{}
	for _, p := range procs {
		c, status := signIn(t, p.ts, "sari", password)
		if status != http.StatusSeeOther {
			t.Fatalf("%s: sign in: %d", p.name, status)
		}
		clients[p.name] = c
	}

	// Paired on serve-a's page: both processes open the number.
	a := procs[0]
	if st := postForm(t, clients[a.name], a.ts, "/whatsapp/pair", url.Values{"by": {"qr"}}); st != http.StatusSeeOther {
		t.Fatalf("pair: %d", st)
	}
	a.fp.succeed()
	if got := sessions(t, dev.started, 2, "both processes opening the paired number"); !got["serve-a"] || !got["serve-b"] {
		t.Fatalf("sessions started in %v, want both processes", got)
	}
	h := holder(t, procs, "")
	var other *serveProc
	for _, p := range procs {
		if p != h {
			other = p
		}
	}

	// Unlinked on the page of the process that does not hold the
	// connection: the holder unlinks it, both stop.
	if st := postForm(t, clients[other.name], other.ts, "/whatsapp/logout", nil); st != http.StatusSeeOther {
		t.Fatalf("log out on %s's page (%s holds the connection): %d", other.name, h.name, st)
	}
	if got := sessions(t, dev.stopped, 2, "both processes stopping after the unlinking"); !got["serve-a"] || !got["serve-b"] {
		t.Fatalf("sessions stopped in %v, want both processes", got)
	}
	dev.mu.Lock()
	paired := dev.paired
	dev.mu.Unlock()
	if paired {
		t.Fatal("the number is still paired after the log out")
	}
	select {
	case n := <-dev.started:
		t.Fatalf("session %s started with no number paired", n)
	case <-time.After(200 * time.Millisecond): // ten rounds of watching
	}

	// Paired again, on serve-b's page this time; then the phone drops the
	// device: the holder's session ends by itself and the other stops too.
	b := procs[1]
	pairOnB := func(what string) {
		b.fp.StartPairing(t.Context(), "")
		b.fp.succeed()
		if got := sessions(t, dev.started, 2, what); !got["serve-a"] || !got["serve-b"] {
			t.Fatalf("sessions started in %v, want both processes", got)
		}
	}
	pairOnB("both processes opening the number paired again")
	h = holder(t, procs, "")
	h.ch.mu.Lock()
	cur := h.ch.cur
	h.ch.mu.Unlock()
	if err := cur.logOut(t.Context()); err != nil { // as whatsmeow on the phone's removal: the device is deleted, Run returns
		t.Fatal(err)
	}
	if got := sessions(t, dev.stopped, 2, "both processes stopping after the phone dropped the device"); !got["serve-a"] || !got["serve-b"] {
		t.Fatalf("sessions stopped in %v, want both processes", got)
	}

	// Paired once more; then the holder dies and the other takes over.
	pairOnB("both processes opening the number paired a third time")
	h = holder(t, procs, "")
	h.stop()
	if err := within(t, h.ran, h.name+" stopping"); err != nil {
		t.Fatalf("%s: %v", h.name, err)
	}
	h.ran <- nil // for the cleanup
	if got := holder(t, procs, h.name); got == h {
		t.Fatal("unreachable")
	}
}

// TestTerminalPairingReachesServe: a number paired with `umkmbot whatsapp
// pair` in a terminal (which then tells the serve processes through the
// generation, tellServePaired) is connected by a running serve without a
// restart.
func TestTerminalPairingReachesServe(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	dev := newFakeDevice()
	procs := twoServes(t, env, dev, 300*time.Millisecond)
	select {
	case n := <-dev.started:
		t.Fatalf("session %s started with no number paired", n)
	case <-time.After(100 * time.Millisecond):
	}
	dev.pair() // the terminal's pairing wrote the device store
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := tellServePaired(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if got := sessions(t, dev.started, 2, "serve opening the number paired in a terminal"); !got["serve-a"] || !got["serve-b"] {
		t.Fatalf("sessions started in %v, want both processes", got)
	}
	holder(t, procs, "")
}

// TestWASignalOnEmbeddedStore: the generation and the unlink request work
// on the embedded store too (a single serve on DATA_DIR; it refuses
// SUBSCRIBE, which is why the channels read a key instead).
func TestWASignalOnEmbeddedStore(t *testing.T) {
	emb, err := store.OpenEmbedded(store.EmbeddedOptions{Dir: t.TempDir(), Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	rdb, err := store.Open(t.Context(), store.Endpoint{URL: emb.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	sig := newWASignal(store.New(rdb, store.Options{Prefix: "t"}))
	ctx := t.Context()
	if g, ask, err := sig.read(ctx); err != nil || g != 0 || ask != -1 {
		t.Fatalf("fresh: %d %d %v", g, ask, err)
	}
	if err := sig.askUnlink(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if g, ask, err := sig.read(ctx); err != nil || g != 0 || ask != 0 {
		t.Fatalf("asked: %d %d %v", g, ask, err)
	}
	if err := sig.bump(ctx); err != nil {
		t.Fatal(err)
	}
	if g, ask, err := sig.read(ctx); err != nil || g != 1 || ask != -1 {
		t.Fatalf("bumped: %d %d %v (the bump ends the request)", g, ask, err)
	}
}
