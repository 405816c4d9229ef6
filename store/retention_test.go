package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
)

// clock is a settable time source for the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestBroadcastRecordRetention: who received a broadcast is kept while it
// runs and for the retention after it ends, then removed; a second pass
// changes nothing.
func TestBroadcastRecordRetention(t *testing.T) {
	ctx := context.Background()
	rdb, _, prefix := clientPair(t)
	clk := &clock{t: time.Now()}
	s := store.New(rdb, store.Options{Prefix: prefix, Now: clk.Now})
	b := &umkm.Broadcast{Region: "32.14", Text: "Pengumuman", CreatedAt: clk.Now(), At: clk.Now()}
	if err := s.CreateBroadcast(ctx, b); err != nil {
		t.Fatal(err)
	}
	to := bot.Conversation{Channel: bot.Telegram, User: "42"}
	sms := bot.Conversation{Channel: "sms", User: "43"} // a channel the program registers besides the built-in ones
	if err := s.Enqueue(ctx, b.ID, []bot.Conversation{to, sms}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Settle(ctx, umkm.Delivery{Broadcast: b.ID, Entry: "0-1", To: to}, umkm.OutcomeSkipped, "opted_out"); err != nil {
		t.Fatal(err)
	}
	rec := prefix + ":{b:" + b.ID + "}:rec"
	queue := prefix + ":{b:" + b.ID + "}:q:telegram"
	smsQueue := prefix + ":{b:" + b.ID + "}:q:sms"
	const ttl = 90 * 24 * time.Hour
	channels := []bot.ChannelID{bot.Telegram, bot.WhatsApp, "sms"}

	if c, err := s.ExpireBroadcastRecords(ctx, ttl, channels); err != nil || c.Broadcasts != 0 {
		t.Fatalf("while scheduled: %+v, %v; want it left alone", c, err)
	}
	if d := rdb.PTTL(ctx, rec).Val(); d != -1 {
		t.Fatalf("records of a running broadcast expire in %v", d)
	}
	if _, err := s.ControlBroadcast(ctx, b.ID, umkm.BroadcastCancel); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	if c, err := s.ExpireBroadcastRecords(ctx, ttl, channels); err != nil || c != (store.RetentionCounts{Broadcasts: 1, Scheduled: 1}) {
		t.Fatalf("first pass after the end: %+v, %v", c, err)
	}
	if d := rdb.PTTL(ctx, rec).Val(); d < ttl-2*time.Hour || d > ttl {
		t.Fatalf("records expire in %v, want about %v after the end", d, ttl)
	}
	for _, q := range []string{queue, smsQueue} {
		if d := rdb.PTTL(ctx, q).Val(); d < ttl-2*time.Hour {
			t.Fatalf("queue %s expires in %v", q, d)
		}
	}
	if c, _ := s.ExpireBroadcastRecords(ctx, ttl, channels); c.Scheduled != 0 || c.Removed != 0 {
		t.Fatalf("second pass: %+v, want nothing new", c)
	}
	if v, err := s.DeliveryRecord(ctx, b.ID, to); err != nil || v == "" {
		t.Fatalf("record before the deadline = %q, %v", v, err)
	}

	// Past the deadline (a Redis that was down, or TTLs that did not run
	// on the embedded store): the pass removes them.
	clk.Add(ttl)
	if c, err := s.ExpireBroadcastRecords(ctx, ttl, channels); err != nil || c.Removed != 1 {
		t.Fatalf("pass after the deadline: %+v, %v", c, err)
	}
	if n := rdb.Exists(ctx, rec, queue, smsQueue).Val(); n != 0 {
		t.Fatalf("%d record keys left", n)
	}
	if got, err := s.Broadcast(ctx, b.ID); err != nil || got.Status != umkm.BroadcastCancelled {
		t.Fatalf("the broadcast itself = %+v, %v; want it kept", got, err)
	}
	if c, _ := s.ExpireBroadcastRecords(ctx, ttl, channels); c.Removed != 0 {
		t.Fatalf("third pass: %+v", c)
	}
}
