package whatsapp

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types/events"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// connClient is a fake client that can connect.
type connClient struct {
	fakeClient
	connects, disconnects atomic.Int64
}

func (c *connClient) Connect() error {
	c.connects.Add(1)
	c.setConnected(true)
	return nil
}

func (c *connClient) Disconnect() {
	c.disconnects.Add(1)
	c.setConnected(false)
}

// crashable passes lease calls through until it "crashes": then the
// process neither renews nor releases, as if it had died.
type crashable struct {
	Leaser
	dead   atomic.Bool
	claims atomic.Int64
}

func (c *crashable) ClaimLease(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if c.dead.Load() {
		<-ctx.Done()
		return false, ctx.Err()
	}
	c.claims.Add(1)
	return c.Leaser.ClaimLease(ctx, key, owner, ttl)
}

func (c *crashable) ReleaseLease(ctx context.Context, key, owner string) error {
	if c.dead.Load() {
		return nil
	}
	return c.Leaser.ReleaseLease(ctx, key, owner)
}

// eventually polls cond for up to 10 s (no timing is asserted: slow
// machines only make it poll longer).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting until %s", what)
}

type runner struct {
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

// run starts a.Run; the test stops it (stop) or its cleanup does.
func run(t *testing.T, a *Adapter) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *runner) stop(t *testing.T) {
	t.Helper()
	if r.stopped {
		return
	}
	r.stopped = true
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
}

// Only the lease holder connects; when it dies another process takes over.
func TestRunOneConnectionAndTakeover(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, store.Options{Prefix: prefix})
	key := st.Key("wa", "connection")
	cfg := func(owner string) Config {
		return Config{LeaseKey: key, LeaseTTL: 300 * time.Millisecond, Owner: owner, SendWait: time.Second}
	}
	leaseA, leaseB := &crashable{Leaser: st}, &crashable{Leaser: st}
	clientA, clientB := &connClient{}, &connClient{}
	a := New(cfg("A"), clientA, nil, Options{Lease: leaseA})
	b := New(cfg("B"), clientB, nil, Options{Lease: leaseB})

	ra := run(t, a)
	eventually(t, "A connects", clientA.IsConnected)
	rb := run(t, b)
	n := leaseB.claims.Load()
	eventually(t, "B tries the lease a few times", func() bool { return leaseB.claims.Load() >= n+3 })
	if clientB.connects.Load() != 0 {
		t.Fatal("B connected while A holds the lease")
	}
	if owner, _ := rdb.Get(context.Background(), key).Result(); owner != "A" {
		t.Fatalf("lease held by %q, want A", owner)
	}

	leaseA.dead.Store(true) // A dies: no renewal, no release
	eventually(t, "B takes over", clientB.IsConnected)
	if owner, _ := rdb.Get(context.Background(), key).Result(); owner != "B" {
		t.Errorf("lease held by %q, want B", owner)
	}
	ra.stop(t)

	// B shuts down cleanly: disconnected, lease released.
	rb.stop(t)
	if clientB.IsConnected() || clientB.disconnects.Load() == 0 {
		t.Error("B did not disconnect on shutdown")
	}
	if n, _ := rdb.Exists(context.Background(), key).Result(); n != 0 {
		t.Error("B kept the lease after shutdown")
	}
}

// A logged-out device stops the channel with nil, so serve keeps running.
func TestRunStopsWhenLoggedOut(t *testing.T) {
	client := &connClient{}
	statuses := &memStatus{}
	a := New(Config{LeaseTTL: time.Second}, client, nil, Options{Status: statuses})
	r := run(t, a)
	eventually(t, "connected", client.IsConnected)
	a.HandleEvent(&events.Connected{})
	a.HandleEvent(&events.LoggedOut{Reason: events.ConnectFailureLoggedOut})
	select {
	case err := <-r.done:
		r.stopped = true
		r.cancel()
		if err != nil {
			t.Fatalf("Run = %v, want nil so the other channels keep running", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop after the logout")
	}
	if client.disconnects.Load() == 0 {
		t.Error("not disconnected")
	}
	if s := statuses.get(); !s.LoggedOut || s.Connected {
		t.Errorf("recorded status %+v, want logged out and not connected", s)
	}
}

// A temporary ban stops bulk sending, and the channel connects again only
// after the ban ends.
func TestRunWaitsOutTemporaryBan(t *testing.T) {
	client := &connClient{}
	statuses := &memStatus{}
	a := New(Config{LeaseTTL: time.Second}, client, nil, Options{Status: statuses})
	run(t, a)
	eventually(t, "connected", client.IsConnected)
	a.HandleEvent(&events.TemporaryBan{Code: events.TempBanSentToTooManyPeople, Expire: 300 * time.Millisecond})
	if ok, until := a.BulkAllowed(); ok || until.IsZero() {
		t.Errorf("BulkAllowed during a ban = %v, %v", ok, until)
	}
	if s := statuses.get(); s.Restriction != RestrictionTempBan || s.RestrictionCode != int(events.TempBanSentToTooManyPeople) {
		t.Errorf("recorded status %+v", s)
	}
	eventually(t, "reconnected after the ban", func() bool { return client.connects.Load() == 2 && client.IsConnected() })
	if ok, _ := a.BulkAllowed(); !ok {
		t.Error("bulk sending still stopped after the ban ended")
	}
}

type memStatus struct {
	mu sync.Mutex
	s  Status
}

func (m *memStatus) LoadStatus(context.Context) (Status, error) { return m.get(), nil }
func (m *memStatus) SaveStatus(_ context.Context, s Status) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s = s
	return nil
}
func (m *memStatus) get() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.s
}

// The handler acknowledges a message only once it is queued; what is not
// for the bot is acknowledged without queueing.
func TestHandleEventAck(t *testing.T) {
	var got []bot.Message
	fail := false
	sub := submitFunc(func(_ context.Context, m bot.Message) error {
		if fail {
			return errors.New("redis down")
		}
		got = append(got, m)
		return nil
	})
	clock := newFakeClock()
	a := New(Config{MaxAge: 10 * time.Minute}, &fakeClient{clock: clock}, sub, Options{Clock: clock})
	if !a.HandleEvent(dm("A1", pnJID(siti), text("halo"))) || len(got) != 1 || got[0].Phone != sitiPhone {
		t.Fatalf("a plain message: queued %v", got)
	}
	fail = true
	if a.HandleEvent(dm("A2", pnJID(siti), text("1"))) {
		t.Error("acknowledged a message the dispatcher did not queue")
	}
	old := dm("A3", pnJID(siti), text("halo"))
	old.Info.Timestamp = t0.Add(-time.Hour)
	group := dm("A4", pnJID(siti), text("halo"))
	group.Info.IsGroup = true
	for _, e := range []*events.Message{old, group} {
		if !a.HandleEvent(e) {
			t.Errorf("%s not acknowledged: it would come back forever", e.Info.ID)
		}
	}
	if len(got) != 1 || a.Stats.Old.Load() != 1 || a.Stats.Skipped.Load() != 1 || a.Stats.SubmitFailed.Load() != 1 {
		t.Errorf("queued %d, old %d, skipped %d, failed %d", len(got), a.Stats.Old.Load(), a.Stats.Skipped.Load(), a.Stats.SubmitFailed.Load())
	}
}

// memRelay is an in-memory Relay.
type memRelay struct{ ch chan []byte }

func (m *memRelay) Push(ctx context.Context, item []byte, limit int) (int64, error) {
	var dropped int64
	for len(m.ch) >= limit {
		<-m.ch
		dropped++
	}
	select {
	case m.ch <- item:
		return dropped, nil
	case <-ctx.Done():
		return dropped, ctx.Err()
	}
}

func (m *memRelay) Pop(ctx context.Context, wait time.Duration) ([]byte, error) {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case b := <-m.ch:
		return b, nil
	case <-t.C:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// A process without the connection hands its replies to the one with it,
// also when they were sent before anyone held the connection.
func TestRelayToTheConnectionHolder(t *testing.T) {
	relay := &memRelay{ch: make(chan []byte, 10)}
	standby := New(Config{}, &connClient{}, nil, Options{Relay: relay})
	reply := bot.Reply{Text: "Pilih pelatihan:", Options: []bot.ReplyOption{{Key: "1", Label: "Kemasan"}}}
	if err := standby.Send(context.Background(), sitiConv, reply); err != nil {
		t.Fatal(err)
	}
	if standby.Stats.Relayed.Load() != 1 {
		t.Fatalf("relayed %d, want 1", standby.Stats.Relayed.Load())
	}
	holderClient := &connClient{}
	holder := New(Config{SendWait: 5 * time.Second}, holderClient, nil, Options{Relay: relay})
	run(t, holder)
	eventually(t, "the holder sends the relayed reply", func() bool { return len(holderClient.Sends()) == 1 })
	if err := standby.Send(context.Background(), sitiConv, bot.Reply{Text: "Terima kasih"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the holder sends the second reply", func() bool { return len(holderClient.Sends()) == 2 })
	got := holderClient.Sends()
	if got[0].Text != "Pilih pelatihan:\n\n1. Kemasan" || got[1].Text != "Terima kasih" || got[0].To != siti+"@s.whatsapp.net" {
		t.Errorf("holder sent %+v", got)
	}
	if holder.Stats.Relayed.Load() != 0 || holder.Stats.Sent.Load() != 2 {
		t.Errorf("holder relayed %d, sent %d; want 0, 2", holder.Stats.Relayed.Load(), holder.Stats.Sent.Load())
	}
}

// A process learns a ban another process recorded: it does not connect
// before the ban ends, and its broadcasts wait.
func TestRunHonoursRecordedBan(t *testing.T) {
	statuses := &memStatus{s: Status{Restriction: RestrictionTempBan, RestrictedUntil: time.Now().Add(1500 * time.Millisecond), RestrictionCode: 101}}
	client := &connClient{}
	a := New(Config{LeaseTTL: time.Second}, client, nil, Options{Status: statuses})
	if ok, _ := a.BulkAllowed(); !ok {
		t.Fatal("nothing loaded yet: bulk should be allowed")
	}
	run(t, a)
	eventually(t, "the recorded ban is known", func() bool { ok, _ := a.BulkAllowed(); return !ok })
	if client.connects.Load() != 0 {
		t.Error("connected during a recorded ban")
	}
	eventually(t, "connected after the ban", client.IsConnected)
}

// countingClock is the real clock, counting waits.
type countingClock struct {
	realClock
	waits atomic.Int64
}

func (c *countingClock) Wait(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	c.waits.Add(1)
	return c.realClock.Wait(ctx, d, wake)
}

// slowConn connects only when the test says so.
type slowConn struct{ connClient }

func (c *slowConn) Connect() error { c.connects.Add(1); return nil }

// While the holder is not connected, relayed replies stay on the relay.
func TestRelayWaitsForTheConnection(t *testing.T) {
	relay := &memRelay{ch: make(chan []byte, 10)}
	clock := &countingClock{}
	client := &slowConn{}
	holder := New(Config{SendWait: 5 * time.Second}, client, nil, Options{Relay: relay, Clock: clock})
	standby := New(Config{}, &connClient{}, nil, Options{Relay: relay})
	if err := standby.Send(context.Background(), sitiConv, bot.Reply{Text: "halo"}); err != nil {
		t.Fatal(err)
	}
	run(t, holder)
	eventually(t, "the holder waits a few times", func() bool { return clock.waits.Load() >= 3 })
	if len(relay.ch) != 1 || len(client.Sends()) != 0 {
		t.Fatalf("relay holds %d, sent %d while disconnected; want 1, 0", len(relay.ch), len(client.Sends()))
	}
	client.setConnected(true)
	holder.HandleEvent(&events.Connected{})
	eventually(t, "sent once connected", func() bool { return len(client.Sends()) == 1 })
}
