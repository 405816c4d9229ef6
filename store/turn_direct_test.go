package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
)

// turnOn runs one ordinary turn of m on s (ingest, commit with reply
// "re <id>"), so that s has the conversation's state and profile cached.
func turnOn(t *testing.T, s *store.Store, m bot.Message, owner string) {
	t.Helper()
	ctx := context.Background()
	in, err := s.Ingest(ctx, m, lease(owner), noFlood)
	if err != nil || in.Result != bot.Taken {
		t.Fatalf("ingest %s = %+v, %v", m.ID, in, err)
	}
	st := in.Loaded.State
	st.Flow, st.LastMsg = "catat", m.ID
	cm, err := s.Commit(ctx, m.Conv, m.ID, lease(owner), bot.TurnResult{State: st, Replies: []bot.Reply{{Text: "re " + m.ID}}}, nil)
	if err != nil || cm.Conflict || cm.Lost || cm.Gone || cm.Next != nil {
		t.Fatalf("commit %s = %+v, %v", m.ID, cm, err)
	}
}

// direct computes a turn of m from s's cache (its last message written
// into the state) and commits it with CommitDirect, acknowledging acked.
func direct(t *testing.T, s *store.Store, m bot.Message, lim bot.FloodLimit, acked ...string) bot.Direct {
	t.Helper()
	l, token, ok := s.Cached(m.Conv)
	if !ok {
		t.Fatalf("nothing cached before %s", m.ID)
	}
	st := l.State
	st.LastMsg = m.ID
	r, err := s.CommitDirect(context.Background(), m, lease("p1"), lim, token,
		bot.TurnResult{State: st, Replies: []bot.Reply{{Text: "re " + m.ID}}}, acked)
	if err != nil {
		t.Fatalf("commit %s directly: %v", m.ID, err)
	}
	return r
}

// TestCommitDirect: a turn computed from the cache is committed in the
// step that takes its message when nothing came between; it is then a
// seen message (a redelivery is a duplicate), nothing is queued or
// leased, and its replies are in the outbox. Whatever came between (a
// queued message, another process's lease, a newer state, a changed
// profile, the flood limit) makes the step an ingest instead: the message
// is queued in order and the fresh state returned.
func TestCommitDirect(t *testing.T) {
	ctx := context.Background()
	s, other, _, now := outboxStores(t)
	turnOn(t, s, msg("1", "satu"), "p1")

	r := direct(t, s, msg("2", "dua"), noFlood, "1.0")
	if !r.Committed || r.Backlog || len(r.OutIDs) != 1 || r.OutIDs[0] != "2.0" {
		t.Fatalf("direct commit on a quiet conversation = %+v", r)
	}
	st, err := s.LoadState(ctx, conv)
	if err != nil || st.Version != 2 || st.LastMsg != "2" {
		t.Fatalf("state after the direct commit = %+v, %v", st, err)
	}
	if pending, _ := s.Pending(ctx); len(pending) != 0 {
		t.Fatalf("pending after a direct commit = %v", pending)
	}
	if _, ok, _ := other.Acquire(ctx, conv, lease("p2")); ok {
		t.Fatal("a direct commit left a message to take")
	}
	*now = now.Add(time.Minute) // past the send deadline: the replies are due
	due, err := other.Due(ctx, time.Minute, 10)
	if err != nil || outIDs(due[conv]) != "2.0" {
		t.Fatalf("outbox after the direct commit = %v, %v; want 2.0 only (1.0 acked)", due, err)
	}
	if err := other.Ack(ctx, map[bot.Conversation][]string{conv: {"2.0"}}); err != nil {
		t.Fatal(err)
	}
	// A redelivery, directly or not, is a duplicate.
	if in, _ := other.Ingest(ctx, msg("2", "dua"), lease("p2"), noFlood); in.Result != bot.Duplicate {
		t.Fatalf("redelivery after a direct commit: %v, want duplicate", in.Result)
	}
	s.Cached(conv) // (taken and dropped: the redelivery below must not find it)
	turnOn(t, s, msg("3", "tiga"), "p1")
	if r := direct(t, s, msg("2", "dua"), noFlood); r.Committed || r.Result != bot.Duplicate {
		t.Fatalf("direct redelivery = %+v, want a duplicate", r)
	}

	t.Run("queued before", func(t *testing.T) {
		turnOn(t, s, msg("q1", "x"), "p1")
		if in, _ := other.Ingest(ctx, msg("q2", "first"), lease("p2"), noFlood); in.Result != bot.Taken {
			t.Fatalf("ingest = %v", in.Result)
		}
		if err := other.Release(ctx, conv, "p2"); err != nil { // q2 stays queued, the conversation free
			t.Fatal(err)
		}
		r := direct(t, s, msg("q3", "second"), noFlood)
		if r.Committed || r.Result != bot.Taken || r.Loaded.Msg.ID != "q2" {
			t.Fatalf("direct commit behind a queued message = %+v; want q2 taken first", r)
		}
		drain(t, s, "p1", "q2", "q3")
	})
	t.Run("held by another", func(t *testing.T) {
		turnOn(t, s, msg("h1", "x"), "p1")
		in, _ := other.Ingest(ctx, msg("h2", "x"), lease("p2"), noFlood)
		if in.Result != bot.Taken {
			t.Fatalf("ingest = %v", in.Result)
		}
		r := direct(t, s, msg("h3", "x"), noFlood)
		if r.Committed || r.Result != bot.Queued {
			t.Fatalf("direct commit under another's lease = %+v; want queued", r)
		}
		st := in.Loaded.State
		cm, err := other.Commit(ctx, conv, "h2", lease("p2"), bot.TurnResult{State: st}, nil)
		if err != nil || cm.Next == nil || cm.Next.Msg.ID != "h3" {
			t.Fatalf("the holder's commit = %+v, %v; want h3 next", cm, err)
		}
		st.Version = cm.Version
		if cm, err := other.Commit(ctx, conv, "h3", lease("p2"), bot.TurnResult{State: st}, nil); err != nil || cm.Next != nil {
			t.Fatalf("commit h3 = %+v, %v", cm, err)
		}
	})
	t.Run("state changed", func(t *testing.T) {
		turnOn(t, s, msg("s1", "x"), "p1")
		turnOn(t, other, msg("s2", "x"), "p2")
		r := direct(t, s, msg("s3", "x"), noFlood)
		if r.Committed || r.Result != bot.Taken || r.Loaded.Msg.ID != "s3" || r.Loaded.State.LastMsg != "s2" {
			t.Fatalf("direct commit on a stale state = %+v; want s3 taken with s2's state", r)
		}
		drain(t, s, "p1", "s3")
	})
	t.Run("profile changed", func(t *testing.T) {
		turnOn(t, s, msg("pr1", "x"), "p1")
		if err := other.SetProfile(ctx, conv, bot.FieldLang, "en"); err != nil {
			t.Fatal(err)
		}
		r := direct(t, s, msg("pr2", "x"), noFlood)
		if r.Committed || r.Result != bot.Taken || r.Loaded.Profile.Lang != "en" {
			t.Fatalf("direct commit on a stale profile = %+v; want taken with the new profile", r)
		}
		drain(t, s, "p1", "pr2")
	})
	t.Run("profile written", func(t *testing.T) {
		turnOn(t, s, msg("pw1", "x"), "p1")
		l, token, _ := s.Cached(conv)
		st := l.State
		draft := "daftar"
		r, err := s.CommitDirect(ctx, msg("pw2", "x"), lease("p1"), noFlood, token,
			bot.TurnResult{State: st, Lang: "id", Draft: &draft, Phone: "+6281234567890"}, nil)
		if err != nil || !r.Committed {
			t.Fatalf("direct commit writing the profile = %+v, %v", r, err)
		}
		// The next turn reads the profile the commit wrote from the cache,
		// and it is the stored one.
		l, _, ok := s.Cached(conv)
		stored, err := other.Profile(ctx, conv)
		if !ok || err != nil || l.Profile != stored || stored.Draft != "daftar" || stored.Phone != "+6281234567890" || stored.Lang != "id" {
			t.Fatalf("cached profile %+v (%v), stored %+v (%v)", l.Profile, ok, stored, err)
		}
		turnOn(t, s, msg("pw3", "x"), "p1")
		if r := direct(t, s, msg("pw4", "x"), noFlood); !r.Committed {
			t.Fatalf("direct commit after the profile was written = %+v", r)
		}
	})
	t.Run("flood", func(t *testing.T) {
		lim := bot.FloodLimit{Burst: 2, PerMinute: 1}
		turnOn(t, s, msg("f0", "x"), "p1")
		for i := 1; i <= 4; i++ {
			r := direct(t, s, msg(fmt.Sprint("f", i), "x"), lim)
			switch {
			case i <= 2 && !r.Committed:
				t.Fatalf("message %d within the burst = %+v", i, r)
			case i == 3 && (r.Committed || r.Result != bot.Flooded || !r.Notice):
				t.Fatalf("first message over the limit = %+v; want flooded with a notice", r)
			case i == 4 && (r.Committed || r.Result != bot.Flooded || r.Notice):
				t.Fatalf("second message over the limit = %+v; want flooded, no notice", r)
			}
			if !r.Committed { // the cache was handed over: put it back as a turn would
				turnOn(t, s, msg(fmt.Sprint("f", i, "b"), "x"), "p1")
			}
		}
	})
}

// drain commits the queued messages ids in order on s under owner,
// starting with the first one taken.
func drain(t *testing.T, s *store.Store, owner string, ids ...string) {
	t.Helper()
	ctx := context.Background()
	l, ok, err := s.Acquire(ctx, conv, lease(owner))
	if err != nil || !ok {
		t.Fatalf("acquire = %v, %v", ok, err)
	}
	for i, id := range ids {
		if l.Msg.ID != id {
			t.Fatalf("message %d taken = %s, want %s", i, l.Msg.ID, id)
		}
		st := l.State
		st.LastMsg = id
		cm, err := s.Commit(ctx, conv, id, lease(owner), bot.TurnResult{State: st}, nil)
		if err != nil || cm.Conflict || cm.Lost || cm.Gone {
			t.Fatalf("commit %s = %+v, %v", id, cm, err)
		}
		if i == len(ids)-1 {
			if cm.Next != nil {
				t.Fatalf("after %s, %s is queued too", id, cm.Next.Msg.ID)
			}
			return
		}
		if cm.Next == nil {
			t.Fatalf("after %s nothing is queued, want %s", id, ids[i+1])
		}
		l = *cm.Next
		l.State = st
		l.State.Version = cm.Version
	}
}
