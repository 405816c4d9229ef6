package telegram_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot/telegram"
)

// TestReady: a process is ready once it polls (getUpdates answers) or
// stands by while another holds the polling lease; not before it runs.
func TestReady(t *testing.T) {
	r := newRig(t)
	lease := func(c *telegram.Config) {
		c.Leaser = r.store
		c.LeaseKey = r.store.Key("tg:123456789", "poll-lease")
		c.LeaseTTL = 3 * time.Second
	}
	p1 := r.build("p1", lease, nil)
	ctx := context.Background()
	if err := p1.a.Ready(ctx); !errors.Is(err, telegram.ErrNotReady) {
		t.Fatalf("before Run: Ready = %v, want ErrNotReady", err)
	}
	r.run(p1)
	eventually(t, "p1 polls and is ready", func() bool { return p1.a.Ready(ctx) == nil && r.tg.Calls("getUpdates") > 0 })
	p2 := r.start("p2", lease, nil)
	eventually(t, "p2 stands by and is ready", func() bool { return p2.a.Ready(ctx) == nil })
	if n := r.tg.Calls("getUpdates"); n == 0 {
		t.Fatal("nobody polled")
	}
	p1.stop()
	p2.stop()
}
