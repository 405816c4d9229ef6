package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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
			d.started <- name
			defer func() { holds.Store(false); d.stopped <- name }()
			if st == nil {
				holds.Store(true)
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
	post := func(path string, form url.Values) *http.Response {
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
		return res
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
		if res := post("/whatsapp/pair", url.Values{"by": {"qr"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("round %d: pair: %d", round, res.StatusCode)
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
		if res := post("/whatsapp/logout", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("round %d: log out: %d", round, res.StatusCode)
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
