package telegram

import (
	"context"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func waits(l *limiter, chat int64, n int) []time.Duration {
	var out []time.Duration
	for range n {
		out = append(out, l.reserve(chat))
	}
	return out
}

func TestLimiterPerChatBurstThenOnePerSecond(t *testing.T) {
	c := &fakeClock{t: time.Unix(1_760_000_000, 0)}
	l := newLimiter(30, 1, 3, c.now)
	got := waits(l, 1, 5)
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits %v, want %v", got, want)
		}
	}
	// Another chat is not held up by the first one.
	if d := l.reserve(2); d != 0 {
		t.Fatalf("other chat waits %v", d)
	}
	// After a quiet while the burst is back.
	c.add(10 * time.Second)
	if got := waits(l, 1, 3); got[2] != 0 {
		t.Fatalf("after a pause: %v", got)
	}
}

func TestLimiterGlobalRate(t *testing.T) {
	c := &fakeClock{t: time.Unix(1_760_000_000, 0)}
	l := newLimiter(30, 1, 3, c.now)
	var last time.Duration
	for chat := range int64(60) { // 60 chats, one message each
		last = l.reserve(chat)
	}
	// 30 go at once, the other 30 spread over the next second.
	if last != time.Second {
		t.Fatalf("60th message waits %v, want 1s", last)
	}
}

func TestLimiterUnlimited(t *testing.T) {
	c := &fakeClock{t: time.Unix(1_760_000_000, 0)}
	l := newLimiter(-1, -1, 3, c.now)
	for range 1000 {
		if d := l.reserve(1); d != 0 {
			t.Fatalf("unlimited limiter waits %v", d)
		}
	}
}

func TestLimiterPrunesFullBuckets(t *testing.T) {
	c := &fakeClock{t: time.Unix(1_760_000_000, 0)}
	l := newLimiter(-1, 1, 3, c.now)
	for chat := range int64(maxChats) {
		l.reserve(chat)
	}
	c.add(time.Minute)
	l.reserve(-1)
	if n := len(l.chats); n != 1 {
		t.Fatalf("%d chat buckets kept, want 1", n)
	}
}

func TestLimiterWaitEndsWithContext(t *testing.T) {
	l := newLimiter(-1, 0.001, 1, time.Now)
	l.reserve(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.wait(ctx, 1); err == nil {
		t.Fatal("wait ignored a cancelled context")
	}
}

func BenchmarkLimiterReserve(b *testing.B) {
	l := newLimiter(-1, -1, 3, time.Now)
	for i := 0; b.Loop(); i++ {
		l.reserve(int64(i % 1000))
	}
}

// TestLimiterGroupTwentyPerMinute: a group chat (negative id) gets at most
// 20 messages in any 60 s, a private chat still 1 a second after its burst.
func TestLimiterGroupTwentyPerMinute(t *testing.T) {
	c := &fakeClock{t: time.Unix(1_760_000_000, 0)}
	l := newLimiter(30, 1, 3, c.now)
	l.limitGroups(20)
	ws := waits(l, -100123, 60) // all asked for at once: each waits its turn
	for i, w := range ws {
		n := 0
		for _, v := range ws[i:] {
			if v < w+time.Minute {
				n++
			}
		}
		if n > 20 {
			t.Fatalf("%d messages to the group within 60 s of message %d (waits %v)", n, i, ws)
		}
	}
	if ws[19] > time.Minute || ws[0] != 0 {
		t.Fatalf("waits %v: the group is held back more than 20/min needs", ws)
	}
	if got := waits(l, 5001, 5); got[4] != 2*time.Second {
		t.Fatalf("a private chat waits %v, want its own 1/s", got)
	}
}
