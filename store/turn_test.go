package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
)

var noFlood = bot.FloodLimit{}

func lease(owner string) bot.Lease { return bot.Lease{Owner: owner, TTL: time.Minute} }

func msg(id, text string) bot.Message {
	return bot.Message{ID: id, Conv: conv, Kind: bot.KindText, Text: text}
}

// TestInbox: ingest dedupes, queues and takes a free conversation with its
// state and profile; commit writes state, profile and outbox, takes the
// message off and hands on the next one or gives the conversation up.
func TestInbox(t *testing.T) {
	ctx := context.Background()
	s, other := twoStores(t)
	if err := s.SetProfile(ctx, conv, bot.FieldLang, "en"); err != nil {
		t.Fatal(err)
	}
	in, err := s.Ingest(ctx, msg("1", "pesan 1"), lease("p1"), noFlood)
	if err != nil || in.Result != bot.Taken || in.Loaded.Msg.Text != "pesan 1" || in.Loaded.Profile.Lang != "en" || in.Loaded.State.Version != 0 {
		t.Fatalf("first ingest = %+v, %v; want taken with the profile", in, err)
	}
	for i := 2; i <= 3; i++ {
		in, err := other.Ingest(ctx, msg(fmt.Sprint(i), fmt.Sprint("pesan ", i)), lease("p2"), noFlood)
		if err != nil || in.Result != bot.Queued {
			t.Fatalf("ingest %d while p1 holds it = %+v, %v", i, in.Result, err)
		}
	}
	if in, _ := other.Ingest(ctx, msg("2", "again"), lease("p2"), noFlood); in.Result != bot.Duplicate {
		t.Fatalf("a seen id: %v, want duplicate", in.Result)
	}
	if in, _ := s.Ingest(ctx, msg("4", "pesan 4"), lease("p1"), noFlood); in.Result != bot.Ours {
		t.Fatalf("ingest under our own lease: %v", in.Result)
	}
	if pending, err := s.Pending(ctx); err != nil || len(pending) != 1 || pending[0] != conv {
		t.Fatalf("pending = %v, %v", pending, err)
	}
	if _, ok, _ := other.Acquire(ctx, conv, lease("p2")); ok {
		t.Fatal("a second process took a held conversation")
	}
	st := bot.State{Flow: "catat", Answers: map[string]string{"n": "1"}}
	// A commit of a message that is not the head is refused.
	if cm, err := s.Commit(ctx, conv, "2", lease("p1"), bot.TurnResult{State: st}, nil); err != nil || !cm.Gone {
		t.Fatalf("commit of a message not at the head = %+v, %v", cm, err)
	}
	cm, err := s.Commit(ctx, conv, "1", lease("p1"), bot.TurnResult{State: st, Lang: "id",
		Replies: []bot.Reply{{Text: "satu"}, {Text: "dua"}}}, nil)
	if err != nil || cm.Version != 1 || cm.Next == nil || cm.Next.Msg.ID != "2" || cm.Next.Msg.Text != "pesan 2" || cm.Backlog {
		t.Fatalf("commit 1 = %+v, %v", cm, err)
	}
	if p, _ := s.Profile(ctx, conv); p.Lang != "id" {
		t.Fatalf("profile lang after commit = %q", p.Lang)
	}
	// A stale version conflicts and returns the current state.
	if cm, err := other.Commit(ctx, conv, "2", lease("p1"), bot.TurnResult{State: st}, nil); err != nil || !cm.Conflict || cm.Next.State.Version != 1 {
		t.Fatalf("stale commit = %+v, %v", cm, err)
	}
	// Another owner's commit is refused.
	st.Version = 1
	if cm, _ := other.Commit(ctx, conv, "2", lease("p2"), bot.TurnResult{State: st}, nil); !cm.Lost {
		t.Fatalf("commit under another's lease = %+v", cm)
	}
	// The replies wait in the outbox; a commit that folds their ack in
	// finds no backlog.
	cm, err = s.Commit(ctx, conv, "2", lease("p1"), bot.TurnResult{State: st, Replies: []bot.Reply{{Text: "tiga"}}}, []string{"1.0", "1.1"})
	if err != nil || cm.Backlog || cm.Version != 2 || cm.Next.Msg.ID != "3" {
		t.Fatalf("commit 2 = %+v, %v", cm, err)
	}
	st.Version = 2
	// Unacked, the next replies queue behind it.
	cm, err = s.Commit(ctx, conv, "3", lease("p1"), bot.TurnResult{State: st, Replies: []bot.Reply{{Text: "empat"}}}, nil)
	if err != nil || !cm.Backlog || cm.Next.Msg.ID != "4" {
		t.Fatalf("commit 3 = %+v, %v", cm, err)
	}
	st.Version = 3
	cm, err = s.Commit(ctx, conv, "4", lease("p1"), bot.TurnResult{State: st}, nil)
	if err != nil || cm.Next != nil {
		t.Fatalf("last commit = %+v, %v; want the conversation given up", cm, err)
	}
	if pending, _ := s.Pending(ctx); len(pending) != 0 {
		t.Fatalf("pending after drain = %v", pending)
	}
	got, _ := s.LoadState(ctx, conv)
	if got.Version != 4 || got.Flow != "catat" {
		t.Fatalf("state = %+v", got)
	}
	// The free conversation goes to whoever ingests next.
	if in, _ := other.Ingest(ctx, msg("5", "pesan 5"), lease("p2"), noFlood); in.Result != bot.Taken || in.Loaded.State.Version != 4 {
		t.Fatalf("ingest after release = %+v", in)
	}
	if err := other.Release(ctx, conv, "p2"); err != nil {
		t.Fatal(err)
	}
	if l, ok, err := s.Acquire(ctx, conv, lease("p1")); err != nil || !ok || l.Msg.ID != "5" {
		t.Fatalf("acquire after release = %+v, %v, %v", l, ok, err)
	}
}

// outboxStores returns two stores on one prefix (a, the first one's
// client) with a 10 s send deadline and a clock that stands at *now.
func outboxStores(t *testing.T) (s, s2 *store.Store, a redis.UniversalClient, now *time.Time) {
	a, b, prefix := clientPair(t)
	at := time.Now()
	clock := func() time.Time { return at }
	s = store.New(a, store.Options{Prefix: prefix, Now: clock, SendDeadline: 10 * time.Second})
	s2 = store.New(b, store.Options{Prefix: prefix, Now: clock, SendDeadline: 10 * time.Second})
	return s, s2, a, &at
}

// TestOutbox: unacknowledged replies become due after the deadline, are
// claimed by one sender at a time, and leave with their ack.
func TestOutbox(t *testing.T) {
	ctx := context.Background()
	s, s2, _, now := outboxStores(t)
	if _, err := s.Ingest(ctx, msg("1", "x"), lease("p"), noFlood); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, conv, "1", lease("p"), bot.TurnResult{Replies: []bot.Reply{{Text: "a"}, {Text: "b"}}}, nil); err != nil {
		t.Fatal(err)
	}
	if due, err := s.Due(ctx, time.Minute, 10); err != nil || len(due) != 0 {
		t.Fatalf("due before the deadline = %v, %v", due, err)
	}
	if qs, err := s.QueueStats(ctx); err != nil || qs.OutboxDepth != 1 {
		t.Fatalf("queue stats = %+v, %v", qs, err)
	}
	*now = now.Add(11 * time.Second)
	due, err := s.Due(ctx, time.Minute, 10)
	if err != nil || len(due[conv]) != 2 || due[conv][0].Reply.Text != "a" || due[conv][1].ID != "1.1" {
		t.Fatalf("due after the deadline = %+v, %v", due, err)
	}
	if again, _ := s2.Due(ctx, time.Minute, 10); len(again) != 0 {
		t.Fatalf("claimed twice: %v", again)
	}
	if err := s.Ack(ctx, map[bot.Conversation][]string{conv: {"1.0"}}); err != nil {
		t.Fatal(err)
	}
	// What is left is due again at once.
	if due, _ := s2.Due(ctx, time.Minute, 10); len(due[conv]) != 1 || due[conv][0].ID != "1.1" {
		t.Fatalf("after a partial ack: %+v", due)
	}
	if err := s2.Retry(ctx, conv, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.Due(ctx, time.Minute, 10); len(due) != 0 {
		t.Fatalf("due before the retry time: %+v", due)
	}
	if err := s.Ack(ctx, map[bot.Conversation][]string{conv: {"1.1"}}); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(2 * time.Hour)
	if due, _ := s.Due(ctx, time.Minute, 10); len(due) != 0 {
		t.Fatalf("due after everything was acked: %+v", due)
	}
}

// TestFloodLimit: a burst is taken, the flood beyond it dropped with one
// notice, and the bucket refills with time.
func TestFloodLimit(t *testing.T) {
	ctx := context.Background()
	a, _, prefix := clientPair(t)
	now := time.Now()
	s := store.New(a, store.Options{Prefix: prefix, Now: func() time.Time { return now }})
	lim := bot.FloodLimit{Burst: 5, PerMinute: 6}
	var taken, notices, dropped int
	for i := 0; i < 20; i++ {
		in, err := s.Ingest(ctx, msg(fmt.Sprint(i), "x"), lease("p"), lim)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case in.Result == bot.Flooded && in.Notice:
			notices++
		case in.Result == bot.Flooded:
			dropped++
		default:
			taken++
		}
	}
	if taken != 5 || notices != 1 || dropped != 14 {
		t.Fatalf("taken %d, notices %d, dropped %d; want 5, 1, 14", taken, notices, dropped)
	}
	now = now.Add(10 * time.Second) // one token back
	if in, _ := s.Ingest(ctx, msg("late", "x"), lease("p"), lim); in.Result == bot.Flooded {
		t.Fatal("refilled bucket still floods")
	}
	if in, _ := s.Ingest(ctx, msg("late2", "x"), lease("p"), lim); in.Result != bot.Flooded || !in.Notice {
		t.Fatalf("a new flood after a refill = %+v; want a new notice", in)
	}
}

// TestDedupeWindow: the recent ids kept per conversation catch a
// redelivery of at least the last 36 messages whatever the channel's ids
// look like (long WhatsApp-style ids are kept as fingerprints), and two
// long ids that differ only at the end are not taken for each other.
func TestDedupeWindow(t *testing.T) {
	ctx := context.Background()
	s, _ := twoStores(t)
	for _, kind := range []struct{ name, format string }{
		{"telegram", "m%d"},
		{"whatsapp", "3EB0C5A2F4E1B2D3A4F5%012d"},
	} {
		t.Run(kind.name, func(t *testing.T) {
			c := bot.Conversation{Channel: bot.Console, User: "dedupe-" + kind.name}
			const n = 40
			for i := 0; i < n; i++ {
				m := bot.Message{ID: fmt.Sprintf(kind.format, i), Conv: c, Kind: bot.KindText, Text: "x"}
				if in, err := s.Ingest(ctx, m, lease("p"), noFlood); err != nil || in.Result == bot.Duplicate {
					t.Fatalf("message %d: %v, %v; want it queued", i, in.Result, err)
				}
			}
			for i := n - 36; i < n; i++ {
				m := bot.Message{ID: fmt.Sprintf(kind.format, i), Conv: c, Kind: bot.KindText, Text: "x"}
				if in, err := s.Ingest(ctx, m, lease("p"), noFlood); err != nil || in.Result != bot.Duplicate {
					t.Fatalf("redelivery of message %d (of %d): %v, %v; want a duplicate", i, n, in.Result, err)
				}
			}
		})
	}
}

// counter is a go-redis hook counting round trips and commands.
type counter struct{ trips, cmds atomic.Int64 }

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.trips.Add(1)
		c.cmds.Add(1)
		return next(ctx, cmd)
	}
}
func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.trips.Add(1)
		c.cmds.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// TestTurnTwoRoundTrips: a turn whose step needs no look-up is two round
// trips on the store (ingest-and-take, commit), scripts loaded.
func TestTurnTwoRoundTrips(t *testing.T) {
	ctx := context.Background()
	a, _, prefix := clientPair(t)
	s := store.New(a, store.Options{Prefix: prefix})
	var c counter
	a.AddHook(&c)
	st := bot.State{}
	for i := 0; i < 10; i++ {
		before := c.trips.Load()
		in, err := s.Ingest(ctx, msg(fmt.Sprint(i), "x"), lease("p"), bot.FloodLimit{Burst: 100, PerMinute: 100})
		if err != nil || in.Result != bot.Taken {
			t.Fatalf("ingest %d: %+v %v", i, in, err)
		}
		st = in.Loaded.State
		st.Flow = "catat"
		cm, err := s.Commit(ctx, conv, fmt.Sprint(i), lease("p"), bot.TurnResult{State: st, Replies: []bot.Reply{{Text: "ok"}}}, []string{fmt.Sprint(i-1, ".0")})
		if err != nil || cm.Next != nil || cm.Backlog {
			t.Fatalf("commit %d: %+v %v", i, cm, err)
		}
		// The first turn loads the scripts (EVALSHA, NOSCRIPT, EVAL).
		if n := c.trips.Load() - before; i > 0 && n > 2 {
			t.Fatalf("turn %d took %d round trips, want 2", i, n)
		}
	}
}

// TestMigrateTurnKeys: state, profile and queued messages written under
// the layout before shards are found at the new keys after the migration,
// which runs once.
func TestMigrateTurnKeys(t *testing.T) {
	ctx := context.Background()
	a, _, prefix := clientPair(t)
	s := store.New(a, store.Options{Prefix: prefix})
	old := func(part string) string { return s.Key("c:"+conv.String(), part) }
	a.HSet(ctx, old("state"), "v", "3", "d", `{"flow":"daftar","step":"nama","updated":"2026-11-25T09:00:00Z"}`)
	a.PExpire(ctx, old("state"), time.Hour)
	a.HSet(ctx, old("profile"), "lang", "en")
	a.RPush(ctx, old("inbox"), "m1\n"+`{"ID":"m1","Kind":"text","Text":"halo"}`)
	a.ZAdd(ctx, s.Key("inbox", "pending"), redis.Z{Score: 1, Member: conv.String()})
	a.HSet(ctx, s.Key("c:"+conv.String(), "products"), "1", "x") // stays
	n, err := s.MigrateTurnKeys(ctx)
	if err != nil || n != 3 {
		t.Fatalf("migrate = %d, %v; want 3 keys", n, err)
	}
	if n, err := s.MigrateTurnKeys(ctx); err != nil || n != 0 {
		t.Fatalf("second migrate = %d, %v; want nothing", n, err)
	}
	if p, _ := s.Pending(ctx); len(p) != 1 || p[0] != conv {
		t.Fatalf("pending after migration = %v", p)
	}
	l, ok, err := s.Acquire(ctx, conv, lease("p"))
	if err != nil || !ok || l.Msg.Text != "halo" || l.State.Version != 3 || l.State.Step != "nama" || l.Profile.Lang != "en" {
		t.Fatalf("acquire after migration = %+v, %v, %v", l, ok, err)
	}
	if ttl := a.PTTL(ctx, s.StateKey(conv)).Val(); ttl <= 0 || ttl > time.Hour {
		t.Fatalf("state TTL after migration = %v", ttl)
	}
	if a.Exists(ctx, old("state"), old("profile"), old("inbox")).Val() != 0 || a.Exists(ctx, s.Key("c:"+conv.String(), "products")).Val() != 1 {
		t.Fatal("old keys left, or products moved")
	}
}

// TestQueueFromListLayout: a conversation left mid-turn by a process of
// the layout that kept the whole queue in the inbox list (no q, no qn in
// the state; the taken message still at the list's head, its lease run
// out) goes on after an upgrade: the messages are taken in order, each
// once, a redelivery is still a duplicate, and once the list is drained
// the next message is queued in the state hash.
func TestQueueFromListLayout(t *testing.T) {
	ctx := context.Background()
	a, _, prefix := clientPair(t)
	s := store.New(a, store.Options{Prefix: prefix})
	state := s.StateKey(conv)
	inbox := strings.TrimSuffix(state, "state") + "inbox"
	entry := func(id string) string {
		return id + "\n" + `{"ID":"` + id + `","Kind":"text","Text":"pesan ` + id + `"}`
	}
	a.HSet(ctx, state, "v", "3", "d", `{"flow":"daftar","step":"nama","updated":"2026-11-25T09:00:00Z"}`,
		"seen", "|1|2|", "lo", "dead", "le", "1")
	a.RPush(ctx, inbox, entry("1"), entry("2"))
	in, err := s.Ingest(ctx, msg("3", "pesan 3"), lease("p"), noFlood)
	if err != nil || in.Result != bot.Taken || in.Loaded.Msg.ID != "1" || in.Loaded.State.Version != 3 {
		t.Fatalf("ingest after the upgrade = %+v, %v; want taken with message 1 at version 3", in, err)
	}
	if in, _ := s.Ingest(ctx, msg("2", "lagi"), lease("p"), noFlood); in.Result != bot.Duplicate {
		t.Fatalf("a redelivery of a message queued before the upgrade: %v, want duplicate", in.Result)
	}
	st := in.Loaded.State
	for _, id := range []string{"1", "2", "3"} {
		cm, err := s.Commit(ctx, conv, id, lease("p"), bot.TurnResult{State: st}, nil)
		if err != nil || cm.Lost || cm.Gone || cm.Conflict {
			t.Fatalf("commit %s = %+v, %v", id, cm, err)
		}
		st.Version = cm.Version
		switch id {
		case "3":
			if cm.Next != nil {
				t.Fatalf("after the last message the commit handed on %+v", cm.Next.Msg)
			}
		default:
			if want := fmt.Sprint(id[0] - '0' + 1); cm.Next == nil || cm.Next.Msg.ID != want {
				t.Fatalf("commit %s handed on %+v, want message %s", id, cm.Next, want)
			}
		}
	}
	if n := a.LLen(ctx, inbox).Val(); n != 0 {
		t.Fatalf("inbox list holds %d after draining", n)
	}
	if p, _ := s.Pending(ctx); len(p) != 0 {
		t.Fatalf("pending after draining = %v", p)
	}
	in, err = s.Ingest(ctx, msg("4", "pesan 4"), lease("p"), noFlood)
	if err != nil || in.Result != bot.Taken || in.Loaded.Msg.ID != "4" {
		t.Fatalf("ingest after draining = %+v, %v", in, err)
	}
	if q := a.HGet(ctx, state, "q").Val(); !strings.HasPrefix(q, "4\n") || a.LLen(ctx, inbox).Val() != 0 {
		t.Fatalf("a message that finds the queue empty: q = %q, list %d; want it in q", q, a.LLen(ctx, inbox).Val())
	}
}

// TestOutboxFromOutLayout: a conversation left by a process of the layout
// that kept the outbox in one field ('out', no ids) and the queue's head
// in the state hash, with two replies undelivered and a message taken by
// a process that died, goes on after an upgrade: the old replies are due
// first and in order, the new turn's reply comes after them, acks drop
// each once, and nothing is sent twice or lost.
func TestOutboxFromOutLayout(t *testing.T) {
	ctx := context.Background()
	s, s2, a, now := outboxStores(t)
	state := s.StateKey(conv)
	outq := strings.TrimSuffix(state, "c:"+conv.String()+":state") + "outq"
	old := func(id, text string) string {
		return id + "\x1f" + `{"Text":"` + text + `","Options":null,"Ask":""}` + "\x1e"
	}
	a.HSet(ctx, state, "v", "3", "d", `{"flow":"daftar","step":"nama","updated":"2026-11-25T09:00:00Z"}`,
		"seen", "|1|2|3|", "lo", "dead", "le", "1", "out", old("1.0", "satu")+old("2.0", "dua"),
		"q", "3\n"+`{"ID":"3","Kind":"text","Text":"tiga"}`, "qn", "0", "ex", fmt.Sprint(now.UnixMilli()))
	a.ZAdd(ctx, outq, redis.Z{Score: float64(now.Add(-time.Second).UnixMilli()), Member: conv.String()})

	// A courier of the new code finds the old replies, in order.
	due, err := s2.Due(ctx, time.Minute, 10)
	if err != nil || len(due[conv]) != 2 || due[conv][0].ID != "1.0" || due[conv][1].Reply.Text != "dua" {
		t.Fatalf("due after the upgrade = %+v, %v; want 1.0 and 2.0", due, err)
	}
	// The next message finds the dead process's lease run out: taken with
	// the message it left, then the turn commits behind the old replies,
	// acknowledging the first (sent meanwhile).
	in, err := s.Ingest(ctx, msg("4", "empat"), lease("p"), noFlood)
	if err != nil || in.Result != bot.Taken || in.Loaded.Msg.ID != "3" || in.Loaded.State.Version != 3 {
		t.Fatalf("ingest after the upgrade = %+v, %v; want message 3 at version 3", in, err)
	}
	cm, err := s.Commit(ctx, conv, "3", lease("p"), bot.TurnResult{State: in.Loaded.State, Replies: []bot.Reply{{Text: "tiga"}}}, []string{"1.0"})
	if err != nil || !cm.Backlog || cm.Next == nil || cm.Next.Msg.ID != "4" {
		t.Fatalf("commit 3 = %+v, %v; want a backlog and message 4 next", cm, err)
	}
	if out := a.HGet(ctx, state, "out").Val(); out != "" {
		t.Fatalf("the old outbox field still holds %q", out)
	}
	*now = now.Add(2 * time.Minute) // the claim ran out
	due, _ = s2.Due(ctx, time.Minute, 10)
	if got := outIDs(due[conv]); got != "2.0 3.0" {
		t.Fatalf("due after the commit: %q, want 2.0 3.0", got)
	}
	if err := s2.Ack(ctx, map[bot.Conversation][]string{conv: {"2.0"}}); err != nil {
		t.Fatal(err)
	}
	due, _ = s2.Due(ctx, time.Minute, 10)
	if got := outIDs(due[conv]); got != "3.0" {
		t.Fatalf("due after acking 2.0: %q, want 3.0", got)
	}
	// The turn of message 4 acknowledges 3.0 (and 2.0 again: no harm).
	cm, err = s.Commit(ctx, conv, "4", lease("p"), bot.TurnResult{State: bot.State{Version: cm.Version}, Replies: []bot.Reply{{Text: "empat"}}}, []string{"2.0", "3.0"})
	if err != nil || cm.Backlog || cm.Next != nil {
		t.Fatalf("commit 4 = %+v, %v; want no backlog, nothing next", cm, err)
	}
	*now = now.Add(time.Minute)
	due, _ = s.Due(ctx, time.Minute, 10)
	if got := outIDs(due[conv]); got != "4.0" {
		t.Fatalf("due at the end: %q, want 4.0", got)
	}
	if err := s.Ack(ctx, map[bot.Conversation][]string{conv: {"4.0"}}); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(time.Hour)
	if due, _ := s.Due(ctx, time.Minute, 10); len(due) != 0 {
		t.Fatalf("due after everything was acked: %+v", due)
	}
	if n := a.ZCard(ctx, outq).Val(); n != 0 {
		t.Fatalf("the outbox set holds %d after everything was acked", n)
	}
}

func outIDs(es []bot.OutEntry) string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return strings.Join(ids, " ")
}

// TestProfileTokenAcrossProcesses: a process that cached a person's
// profile with a turn does not go on with it once another process
// changed it (SetProfile, or a commit's language), and a process that
// cached it skips reading it while nobody changed it.
func TestProfileTokenAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	s, other := twoStores(t)
	turn := func(st *store.Store, id string, o bot.TurnResult) bot.Loaded {
		t.Helper()
		in, err := st.Ingest(ctx, msg(id, "x"), lease("p"), noFlood)
		if err != nil || in.Result != bot.Taken {
			t.Fatalf("ingest %s = %+v, %v", id, in, err)
		}
		o.State.Version = in.Loaded.State.Version
		if cm, err := st.Commit(ctx, conv, id, lease("p"), o, nil); err != nil || cm.Conflict || cm.Lost || cm.Gone {
			t.Fatalf("commit %s = %+v, %v", id, cm, err)
		}
		return in.Loaded
	}
	turn(s, "1", bot.TurnResult{Lang: "en"})
	if l := turn(s, "2", bot.TurnResult{}); l.Profile.Lang != "en" {
		t.Fatalf("after the commit that set it: lang %q", l.Profile.Lang)
	}
	if l := turn(s, "3", bot.TurnResult{}); l.Profile.Lang != "en" {
		t.Fatalf("from the cache: lang %q", l.Profile.Lang)
	}
	if err := other.SetProfile(ctx, conv, bot.FieldLang, "id"); err != nil {
		t.Fatal(err)
	}
	if l := turn(s, "4", bot.TurnResult{}); l.Profile.Lang != "id" {
		t.Fatalf("after another process's SetProfile: lang %q, want id", l.Profile.Lang)
	}
	turn(other, "5", bot.TurnResult{Lang: "en"})
	if l := turn(s, "6", bot.TurnResult{}); l.Profile.Lang != "en" {
		t.Fatalf("after another process's commit: lang %q, want en", l.Profile.Lang)
	}
	if err := other.SetProfile(ctx, conv, bot.FieldOptOut, "1"); err != nil {
		t.Fatal(err)
	}
	if l := turn(s, "7", bot.TurnResult{}); !l.Profile.OptOut {
		t.Fatal("after another process's opt-out the cached profile was used")
	}
}

// TestCommitAcks: a commit drops the acknowledged replies off the head of
// the outbox whether it acknowledges all of them, some (the rest stay
// ahead of the turn's own, in order), or fails (the lease lost, the
// message gone).
func TestCommitAcks(t *testing.T) {
	ctx := context.Background()
	s, s2, _, now := outboxStores(t)
	turn := func(id string, replies []string, acked ...string) bot.Committed {
		t.Helper()
		in, err := s.Ingest(ctx, msg(id, "x"), lease("p"), noFlood)
		if err != nil || in.Result != bot.Taken {
			t.Fatalf("ingest %s = %+v, %v", id, in, err)
		}
		var rs []bot.Reply
		for _, r := range replies {
			rs = append(rs, bot.Reply{Text: r})
		}
		cm, err := s.Commit(ctx, conv, id, lease("p"), bot.TurnResult{State: in.Loaded.State, Replies: rs}, acked)
		if err != nil || cm.Lost || cm.Gone || cm.Conflict {
			t.Fatalf("commit %s = %+v, %v", id, cm, err)
		}
		return cm
	}
	due := func() string {
		t.Helper()
		*now = now.Add(2 * time.Minute) // past the deadline and any claim
		d, err := s2.Due(ctx, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		return outIDs(d[conv])
	}
	turn("1", []string{"a", "b"})
	if cm := turn("2", []string{"c"}, "1.0"); !cm.Backlog {
		t.Fatalf("commit 2 left 1.1 behind but says no backlog")
	}
	if got := due(); got != "1.1 2.0" {
		t.Fatalf("after acking 1.0 of 1.0 1.1: due %q, want 1.1 2.0", got)
	}
	// Another process's commit while p holds the lease is refused, and
	// its acknowledgement still counts.
	in, err := s.Ingest(ctx, msg("3", "x"), lease("p"), noFlood)
	if err != nil || in.Result != bot.Taken {
		t.Fatalf("ingest 3 = %+v, %v", in, err)
	}
	if cm, err := s2.Commit(ctx, conv, "3", lease("q"), bot.TurnResult{State: in.Loaded.State}, []string{"1.1"}); err != nil || !cm.Lost {
		t.Fatalf("commit under another's lease = %+v, %v; want lost", cm, err)
	}
	// A commit of a message that is not the one taken is refused, and its
	// acknowledgement still counts.
	if cm, err := s.Commit(ctx, conv, "9", lease("p"), bot.TurnResult{State: in.Loaded.State}, []string{"2.0"}); err != nil || !cm.Gone {
		t.Fatalf("commit of another message = %+v, %v; want gone", cm, err)
	}
	if got := due(); got != "" {
		t.Fatalf("after the failed commits' acks: due %q, want nothing", got)
	}
	// The lease ran out meanwhile: the next message takes 3 again.
	in, err = s.Ingest(ctx, msg("4", "x"), lease("p"), noFlood)
	if err != nil || in.Result != bot.Taken || in.Loaded.Msg.ID != "3" {
		t.Fatalf("ingest 4 = %+v, %v; want 3 taken again", in, err)
	}
	cm, err := s.Commit(ctx, conv, "3", lease("p"), bot.TurnResult{State: in.Loaded.State, Replies: []bot.Reply{{Text: "d"}}}, nil)
	if err != nil || cm.Backlog || cm.Next == nil || cm.Next.Msg.ID != "4" {
		t.Fatalf("commit 3 = %+v, %v; want no backlog and 4 next", cm, err)
	}
	st := in.Loaded.State
	st.Version = cm.Version
	if cm, err := s.Commit(ctx, conv, "4", lease("p"), bot.TurnResult{State: st}, []string{"3.0"}); err != nil || cm.Backlog || cm.Next != nil {
		t.Fatalf("commit 4 = %+v, %v", cm, err)
	}
	if got := due(); got != "" {
		t.Fatalf("after acking every reply: due %q, want nothing", got)
	}
	if qs, err := s.QueueStats(ctx); err != nil || qs.OutboxDepth != 0 || qs.InboxDepth != 0 {
		t.Fatalf("queue stats at the end = %+v, %v", qs, err)
	}
}
