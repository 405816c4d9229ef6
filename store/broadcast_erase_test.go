package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
)

// TestBroadcastSkipsErasedRecipients: owners who erase their data after a
// broadcast's audience was queued (their entries stay in the queue) get
// nothing: each is counted skipped, recorded "not_registered"; everyone
// else gets the broadcast once.
func TestBroadcastSkipsErasedRecipients(t *testing.T) {
	w, _ := newBCWorld(t)
	ctx := context.Background()
	regs := population(t, w.s, 10, 0)
	b := w.create(t, umkm.Audience{})
	f := w.newFanout(t, w.s, "O", map[bot.ChannelID]store.Rate{bot.Telegram: {N: 1000, Per: time.Second}, bot.WhatsApp: {N: 1000, Per: time.Second}}, time.Minute)
	if started, err := f.Expand(ctx, b.ID); err != nil || !started {
		t.Fatalf("expand: %v, %v", started, err)
	}
	erased := []bot.Conversation{regs[3].Conv, regs[4].Conv} // one on each channel
	for _, c := range erased {
		if e, err := w.s.ErasePerson(ctx, []string{bcRegion}, c); err != nil || e.Registration == "" {
			t.Fatalf("erase %s: %+v, %v", c, e, err)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	fdone := make(chan struct{})
	go func() { defer close(fdone); f.Run(runCtx) }()
	done := w.waitStatus(t, b.ID, umkm.BroadcastDone, time.Minute)
	cancel()
	<-fdone
	checkCounts(t, done)
	if c := done.Counts; c.Audience != 10 || c.Sent != 8 || c.Skipped != 2 {
		t.Fatalf("counts %+v, want 8 sent and the 2 erased skipped", c)
	}
	w.channel.mu.Lock()
	defer w.channel.mu.Unlock()
	for _, c := range erased {
		if w.channel.got[c] != 0 {
			t.Errorf("erased %s got the broadcast", c)
		}
		if rec, _ := w.s.DeliveryRecord(ctx, b.ID, c); rec != "skipped:"+umkm.ReasonNotRegistered {
			t.Errorf("erased %s recorded %q", c, rec)
		}
	}
	if got := w.channel.got[regs[5].Conv]; got != 1 {
		t.Errorf("a registered owner got it %d times", got)
	}
}
