package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"

	"github.com/umkmbot/umkmbot/bot"
)

// W5: only the holder counts a relayed reply as sent, and a reply that
// waited on the relay longer than RelayMaxAge (an outage) is dropped,
// counted and logged instead of reaching the person long after.
func TestRelayDropsStaleRepliesAndCountsOnlyHolderSends(t *testing.T) {
	relay := &memRelay{ch: make(chan []byte, 10)}
	standbyClock := newFakeClock()
	standbyObs := &recObserver{}
	standby := New(Config{}, &connClient{}, nil, Options{Relay: relay, Clock: standbyClock, Observer: standbyObs})
	if err := standby.Send(context.Background(), sitiConv, bot.Reply{Text: "Pilih 1-3"}); err != nil {
		t.Fatal(err)
	}
	standbyClock.mu.Lock()
	standbyClock.now = t0.Add(19 * time.Minute)
	standbyClock.mu.Unlock()
	if err := standby.Send(context.Background(), sitiConv, bot.Reply{Text: "Terima kasih"}); err != nil {
		t.Fatal(err)
	}
	if standby.Stats.Sent.Load() != 0 || standbyObs.sendCount("ok") != 0 || standbyObs.eventCount("whatsapp_relayed") != 2 {
		t.Errorf("standby counted sent %d, ok %d, relayed %d; want 0, 0, 2",
			standby.Stats.Sent.Load(), standbyObs.sendCount("ok"), standbyObs.eventCount("whatsapp_relayed"))
	}

	holderClock := newFakeClock()
	holderClock.now = t0.Add(20 * time.Minute) // the first reply is 20 minutes old
	holderClient := &connClient{}
	holderObs := &recObserver{}
	holder := New(Config{SendWait: 5 * time.Second, RelayMaxAge: 15 * time.Minute}, holderClient, nil,
		Options{Relay: relay, Clock: holderClock, Observer: holderObs})
	run(t, holder)
	eventually(t, "the fresh reply is sent", func() bool { return len(holderClient.Sends()) == 1 })
	if got := holderClient.Sends(); got[0].Text != "Terima kasih" {
		t.Errorf("holder sent %q, want only the fresh reply", got[0].Text)
	}
	if holder.Stats.RelayStale.Load() != 1 || holderObs.eventCount("whatsapp_relay_stale") != 1 {
		t.Errorf("stale %d, events %v; want 1", holder.Stats.RelayStale.Load(), holderObs.events)
	}
	if holder.Stats.Sent.Load() != 1 || holderObs.sendCount("ok") != 1 {
		t.Errorf("holder sent %d, ok %d; want 1, 1", holder.Stats.Sent.Load(), holderObs.sendCount("ok"))
	}
}

// W5: the relay is kept to RelayMax items; what overflowed is counted.
func TestRelayBounded(t *testing.T) {
	relay := &memRelay{ch: make(chan []byte, 10)}
	obs := &recObserver{}
	standby := New(Config{RelayMax: 3}, &connClient{}, nil, Options{Relay: relay, Observer: obs})
	for i := range 5 {
		if err := standby.Send(context.Background(), sitiConv, bot.Reply{Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if len(relay.ch) != 3 || standby.Stats.RelayDropped.Load() != 2 || obs.eventCount("whatsapp_relay_dropped") != 2 {
		t.Errorf("relay holds %d, dropped %d, events %v; want 3, 2", len(relay.ch), standby.Stats.RelayDropped.Load(), obs.events)
	}
}

// checkClient answers whether a number is on WhatsApp.
type checkClient struct {
	fakeClient
	isIn bool
}

func (c *checkClient) IsOnWhatsApp(_ context.Context, phones []string) ([]types.IsOnWhatsAppResponse, error) {
	return []types.IsOnWhatsAppResponse{{Query: phones[0], IsIn: c.isIn}}, nil
}

// Send's errors tell the outbox whether to retry: bot.ErrUnreachable for a
// number that left WhatsApp, bot.ErrRejected for refusals for good, plain
// errors for what may pass later; each attempt is reported to the
// observer.
func TestSendErrorsForTheOutbox(t *testing.T) {
	serverErr := func(code int) error { return fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, code) }
	cases := []struct {
		name        string
		user        string
		fail        []error
		isIn        bool
		unreachable bool
		rejected    bool
		results     []string
	}{
		{"sent", siti, nil, true, false, false, []string{"ok"}},
		{"retried", siti, []error{whatsmeow.ErrIQTimedOut}, true, false, false, []string{"retry", "ok"}},
		{"left whatsapp", siti, []error{serverErr(400)}, false, true, false, []string{"unreachable"}},
		{"refused", siti, []error{serverErr(479)}, true, false, true, []string{"rejected"}},
		{"time lock", siti, []error{serverErr(463)}, true, false, true, []string{"rejected"}},
		{"server trouble", siti, []error{serverErr(500)}, true, false, false, []string{"error"}},
		{"rate limited", siti, []error{serverErr(429)}, true, false, false, []string{"error"}},
		{"not a whatsapp user", "budi", nil, true, false, true, []string{"rejected"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := newFakeClock()
			client := &checkClient{fakeClient: fakeClient{clock: clock, connected: true, failNext: c.fail}, isIn: c.isIn}
			obs := &recObserver{}
			a := New(quiet(), client, nil, Options{Clock: clock, Observer: obs})
			err := a.Send(context.Background(), bot.Conversation{Channel: bot.WhatsApp, User: c.user}, bot.Reply{Text: "halo"})
			if got := errors.Is(err, bot.ErrUnreachable); got != c.unreachable {
				t.Errorf("err %v: unreachable %v, want %v", err, got, c.unreachable)
			}
			if got := errors.Is(err, bot.ErrRejected); got != c.rejected {
				t.Errorf("err %v: rejected %v, want %v", err, got, c.rejected)
			}
			if len(c.results) == 1 && c.results[0] == "ok" && err != nil {
				t.Errorf("err %v", err)
			}
			obs.mu.Lock()
			got := fmt.Sprint(obs.sends)
			obs.mu.Unlock()
			want := fmt.Sprint(prefixed(c.results))
			if got != want {
				t.Errorf("observed %s, want %s", got, want)
			}
		})
	}
}

func prefixed(results []string) []string {
	out := make([]string, len(results))
	for i, r := range results {
		out[i] = "whatsapp:" + r
	}
	return out
}
