package whatsapp

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// recObserver records what the adapter reports for metrics.
type recObserver struct {
	bot.NopObserver
	mu     sync.Mutex
	events []string
	sends  []string
}

func (o *recObserver) Event(name string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, name)
}

func (o *recObserver) Send(ch bot.ChannelID, result string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sends = append(o.sends, string(ch)+":"+result)
}

func (o *recObserver) count(list *[]string, s string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, e := range *list {
		if e == s {
			n++
		}
	}
	return n
}

func (o *recObserver) eventCount(name string) int  { return o.count(&o.events, name) }
func (o *recObserver) sendCount(result string) int { return o.count(&o.sends, "whatsapp:"+result) }

// waited reports whether the clock was asked to wait d at least once.
func (c *fakeClock) waited(d time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.waits {
		if w == d {
			return true
		}
	}
	return false
}

// countingLease counts releases of a real lease.
type countingLease struct {
	Leaser
	releases atomic.Int64
}

func (c *countingLease) ReleaseLease(ctx context.Context, key, owner string) error {
	c.releases.Add(1)
	return c.Leaser.ReleaseLease(ctx, key, owner)
}

// W2: whatsmeow does not reconnect after a ConnectFailure. The adapter
// drops the connection and the lease (so a standby can take over) and
// connects again after a pause that grows while failures repeat.
func TestRunReconnectsAfterConnectFailure(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, store.Options{Prefix: prefix})
	lease := &countingLease{Leaser: st}
	clock := newFakeClock()
	client := &connClient{}
	obs := &recObserver{}
	a := New(Config{LeaseKey: st.Key("wa", "connection"), LeaseTTL: 3 * time.Second, Owner: "A"}, client, nil,
		Options{Lease: lease, Clock: clock, Observer: obs})
	run(t, a)
	eventually(t, "connected", client.IsConnected)

	a.HandleEvent(&events.ConnectFailure{Reason: events.ConnectFailureGeneric, Message: "bad request"})
	eventually(t, "connected again", func() bool { return client.connects.Load() == 2 && client.IsConnected() })
	if client.disconnects.Load() == 0 || lease.releases.Load() == 0 {
		t.Errorf("disconnects %d, lease releases %d; want the connection and the lease given up", client.disconnects.Load(), lease.releases.Load())
	}
	if !clock.waited(5 * time.Second) {
		t.Errorf("no 5 s pause before connecting again (waits %v)", clock.waits)
	}
	a.HandleEvent(&events.ConnectFailure{Reason: events.ConnectFailureGeneric})
	eventually(t, "connected a third time", func() bool { return client.connects.Load() == 3 })
	if !clock.waited(10 * time.Second) {
		t.Errorf("the pause did not grow (waits %v)", clock.waits)
	}
	if obs.eventCount("whatsapp_connect_failure") != 2 {
		t.Errorf("observer events %v", obs.events)
	}
}

// W4: a temporary ban that names no end does not lead to an immediate
// reconnect: the adapter waits Config.BanWait.
func TestRunWaitsAfterBanWithoutEnd(t *testing.T) {
	clock := newFakeClock()
	client := &connClient{}
	statuses := &memStatus{}
	a := New(Config{LeaseTTL: 3 * time.Second, BanWait: 2 * time.Hour}, client, nil, Options{Clock: clock, Status: statuses})
	run(t, a)
	eventually(t, "connected", client.IsConnected)
	banned := clock.Now()
	a.HandleEvent(&events.TemporaryBan{Code: events.TempBanSentTooManySameMessage, Expire: 0})
	if s := statuses.get(); s.Restriction != RestrictionTempBan || !s.RestrictedUntil.Equal(banned.Add(2*time.Hour)) {
		t.Errorf("recorded %+v, want a ban until 2 h later", s)
	}
	eventually(t, "connected again", func() bool { return client.connects.Load() == 2 })
	if waited := clock.Now().Sub(banned); waited < 2*time.Hour {
		t.Errorf("connected again after %s, want 2h", waited)
	}
}

// W3: after another client replaced the connection, the adapter does not
// reconnect at once (two clients would replace each other forever): it
// waits ReplacedWait, twice as long the next time, and records the pause
// so that every process honours it.
func TestRunBacksOffAfterStreamReplaced(t *testing.T) {
	clock := newFakeClock()
	client := &connClient{}
	statuses := &memStatus{}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	a := New(Config{LeaseTTL: 3 * time.Second}, client, nil, Options{Clock: clock, Status: statuses, Log: log})
	run(t, a)
	eventually(t, "connected", client.IsConnected)

	for i, want := range []time.Duration{10 * time.Minute, 20 * time.Minute} {
		from := clock.Now()
		a.HandleEvent(&events.StreamReplaced{})
		eventually(t, "connected again", func() bool { return client.connects.Load() == int64(i+2) })
		if waited := clock.Now().Sub(from); waited < want {
			t.Errorf("replacement %d: connected again after %s, want %s", i+1, waited, want)
		}
		if s := statuses.get(); s.Replaced != i+1 || !s.ReplacedUntil.Equal(from.Add(want)) {
			t.Errorf("replacement %d: recorded %d until %v", i+1, s.Replaced, s.ReplacedUntil)
		}
	}
	if !strings.Contains(logs.String(), "another client is using this number") {
		t.Error("no loud log naming the other client")
	}

	// Another process sees the recorded pause and waits for it too.
	other := newFakeClock()
	until := t0.Add(40 * time.Minute)
	client2 := &connClient{}
	b := New(Config{LeaseTTL: 3 * time.Second}, client2, nil, Options{Clock: other, Status: &memStatus{s: Status{Replaced: 3, ReplacedUntil: until}}})
	run(t, b)
	eventually(t, "the other process connects", client2.IsConnected)
	if other.Now().Before(until) {
		t.Errorf("the other process connected at %v, before the recorded pause ended at %v", other.Now(), until)
	}
}

// W9: connect failures 403 and 406 are a permanent ban, not a logout to
// fix by pairing again: logged and recorded as such, bulk stays stopped,
// readiness reports it, and the channel stops.
func TestPermanentBan(t *testing.T) {
	for _, reason := range []events.ConnectFailureReason{events.ConnectFailureMainDeviceGone, events.ConnectFailureUnknownLogout} {
		client := &connClient{}
		statuses := &memStatus{}
		obs := &recObserver{}
		var logs bytes.Buffer
		a := New(Config{LeaseTTL: time.Second}, client, nil, Options{Status: statuses, Observer: obs, Log: slog.New(slog.NewTextHandler(&logs, nil))})
		r := run(t, a)
		eventually(t, "connected", client.IsConnected)
		a.HandleEvent(&events.LoggedOut{OnConnect: true, Reason: reason})
		select {
		case err := <-r.done:
			r.stopped = true
			r.cancel()
			if err != nil {
				t.Fatalf("Run = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not stop after the ban")
		}
		s := statuses.get()
		if s.Restriction != RestrictionBanned || s.RestrictionCode != int(reason) || !s.LoggedOut {
			t.Errorf("%d: recorded %+v", reason, s)
		}
		if ok, _ := a.BulkAllowed(); ok {
			t.Errorf("%d: bulk allowed after a permanent ban", reason)
		}
		if up, ban := a.Connection(); up || ban != RestrictionBanned {
			t.Errorf("%d: Connection() = %v, %q", reason, up, ban)
		}
		out := logs.String()
		if !strings.Contains(out, "WHATSAPP NUMBER BANNED") || !strings.Contains(out, "request a review") || strings.Contains(out, "Pair again") {
			t.Errorf("%d: log does not give the ban's advice:\n%s", reason, out)
		}
		if obs.eventCount("whatsapp_permanent_ban") != 1 {
			t.Errorf("%d: observer events %v", reason, obs.events)
		}
	}
	// An ordinary logout is still "pair again".
	a := New(Config{}, &connClient{}, nil, Options{})
	a.HandleEvent(&events.LoggedOut{Reason: events.ConnectFailureLoggedOut})
	if s := a.Status(); s.Restriction != "" || !s.LoggedOut {
		t.Errorf("a logout recorded %+v", s)
	}
}

// presenceClient is a connecting client that can send presence once the
// account's push name is known, as whatsmeow's SendPresence.
type presenceClient struct {
	connClient
	mu       sync.Mutex
	pushName string
	sent     []types.Presence
}

func (p *presenceClient) SendPresence(_ context.Context, state types.Presence) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pushName == "" {
		return whatsmeow.ErrNoPushName
	}
	p.sent = append(p.sent, state)
	return nil
}

func (p *presenceClient) presences() []types.Presence {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]types.Presence(nil), p.sent...)
}

// W6: the adapter goes 'available' after connecting (publishing the push
// name, and so ordinary receipts instead of 'inactive'); when the name is
// not known yet, as soon as the app state sync brings it.
func TestPresenceAfterConnect(t *testing.T) {
	c := &presenceClient{pushName: "UMKM Purwakarta"}
	a := New(Config{}, c, nil, Options{})
	a.HandleEvent(&events.Connected{})
	if got := c.presences(); len(got) != 1 || got[0] != types.PresenceAvailable {
		t.Fatalf("presence after connect: %v", got)
	}

	fresh := &presenceClient{} // just paired: the name comes with the first sync
	a = New(Config{}, fresh, nil, Options{})
	a.HandleEvent(&events.Connected{})
	if got := fresh.presences(); len(got) != 0 {
		t.Fatalf("presence without a name: %v", got)
	}
	fresh.mu.Lock()
	fresh.pushName = "UMKM Purwakarta"
	fresh.mu.Unlock()
	a.HandleEvent(&events.AppStateSyncComplete{Name: "critical_block"})
	a.HandleEvent(&events.PushNameSetting{})
	if got := fresh.presences(); len(got) != 2 || got[0] != types.PresenceAvailable {
		t.Errorf("presence after the name arrived: %v", got)
	}
}

// Connection reports the connection and any ban for readiness checks; a
// standby reports the holder's connection as recorded.
func TestConnectionForReadiness(t *testing.T) {
	obs := &recObserver{}
	clock := newFakeClock()
	a := New(Config{}, &fakeClient{}, nil, Options{Observer: obs, Clock: clock})
	if up, ban := a.Connection(); up || ban != "" {
		t.Errorf("new adapter: %v, %q", up, ban)
	}
	a.HandleEvent(&events.Connected{})
	a.HandleEvent(&events.TemporaryBan{Expire: time.Hour})
	if up, ban := a.Connection(); up || ban != RestrictionTempBan {
		t.Errorf("during a ban: %v, %q", up, ban)
	}
	if obs.eventCount("whatsapp_connected") != 1 || obs.eventCount("whatsapp_disconnected") != 1 || obs.eventCount("whatsapp_ban") != 1 {
		t.Errorf("observer events %v", obs.events)
	}

	statuses := &memStatus{s: Status{Owner: "B", Connected: true}}
	standby := New(Config{}, &fakeClient{}, nil, Options{Status: statuses})
	standby.loadStatus(context.Background())
	if up, _ := standby.Connection(); !up {
		t.Error("a standby does not report the holder's connection")
	}
}
