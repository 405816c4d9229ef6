package store_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
)

// TestQueueStats: the inbox depth counts the conversations with queued
// messages, the oldest age follows the conversation queued first, and a
// drained conversation leaves the count.
func TestQueueStats(t *testing.T) {
	ctx := context.Background()
	rdb, _, prefix := clientPair(t)
	now := time.Now().Truncate(time.Millisecond)
	clock := func() time.Time { return now }
	s := store.New(rdb, store.Options{Prefix: prefix, Now: clock})
	if st, err := s.QueueStats(ctx); err != nil || st != (bot.QueueStats{}) {
		t.Fatalf("empty queues: %+v, %v", st, err)
	}
	a := bot.Conversation{Channel: bot.Telegram, User: "501"}
	b := bot.Conversation{Channel: bot.WhatsApp, User: "6281234567890"}
	put := func(c bot.Conversation, id string) {
		t.Helper()
		if _, err := s.Ingest(ctx, bot.Message{ID: id, Conv: c, Kind: bot.KindText, Text: "halo"}, lease("p1"), noFlood); err != nil {
			t.Fatal(err)
		}
	}
	put(a, "1")
	now = now.Add(30 * time.Second)
	put(b, "1")
	put(a, "2")
	put(a, "2") // a repeat is not queued
	now = now.Add(15 * time.Second)
	st, err := s.QueueStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.InboxDepth != 2 || st.InboxOldest != 45*time.Second || st.OutboxDepth != 0 {
		t.Fatalf("stats %+v, want 2 conversations waiting, oldest 45s", st)
	}
	for _, c := range []bot.Conversation{a, b} {
		version := int64(0)
		for _, id := range []string{"1", "2"} {
			if c == b && id == "2" {
				break
			}
			cm, err := s.Commit(ctx, c, id, lease("p1"), bot.TurnResult{State: bot.State{Version: version, LastMsg: id}}, nil)
			if err != nil || cm.Gone || cm.Lost || cm.Conflict {
				t.Fatalf("commit %s of %s: %+v, %v", id, c.Channel, cm, err)
			}
			version = cm.Version
		}
	}
	if st, err := s.QueueStats(ctx); err != nil || st.InboxDepth != 0 {
		t.Fatalf("drained queues: %+v, %v", st, err)
	}
	for i := range 1200 { // more than a shard each
		put(bot.Conversation{Channel: bot.Telegram, User: strconv.Itoa(9000 + i)}, "x")
	}
	if st, err := s.QueueStats(ctx); err != nil || st.InboxDepth != 1200 {
		t.Fatalf("1200 conversations: %+v, %v", st, err)
	}
}

// BenchmarkQueueStats reads the queues with 1,000 conversations waiting
// (a backlog; a healthy service has a handful).
func BenchmarkQueueStats(b *testing.B) {
	ctx := context.Background()
	rdb, _, prefix := clientPair(b)
	s := store.New(rdb, store.Options{Prefix: prefix})
	for i := range 1000 {
		if _, err := s.Ingest(ctx, bot.Message{ID: "x", Conv: bot.Conversation{Channel: bot.Telegram, User: strconv.Itoa(i)}}, lease("p1"), noFlood); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := s.QueueStats(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
