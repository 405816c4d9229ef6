package whatsapp

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Clock is the adapter's time: real in production, fake in tests so the
// rate limiter and the waits can be checked without sleeping.
type Clock interface {
	Now() time.Time
	// Wait waits d, or until wake is closed (a nil wake never is), or
	// until ctx ends (then it returns ctx's error).
	Wait(ctx context.Context, d time.Duration, wake <-chan struct{}) error
}

func sleep(ctx context.Context, c Clock, d time.Duration) error { return c.Wait(ctx, d, nil) }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Wait(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	case <-wake:
		return nil
	}
}

// limiter spaces outgoing messages: globally at most perMinute per minute
// with bursts of up to burst (a generic cell rate algorithm), at least gap
// apart within one chat, each pushed back by a random jitter so the
// rhythm does not look machine-made.
type limiter struct {
	interval  time.Duration // 1 minute / perMinute; 0: no global limit
	tolerance time.Duration // how far ahead of schedule a burst may run
	gap       time.Duration
	jitter    time.Duration
	rand      func(n int64) int64 // uniform in [0, n)

	mu    sync.Mutex
	tat   time.Time            // theoretical arrival time of the next message
	chats map[string]time.Time // earliest next message per chat
}

func newLimiter(perMinute, burst int, gap, jitter time.Duration) *limiter {
	l := &limiter{gap: gap, jitter: jitter, rand: rand.Int64N, chats: map[string]time.Time{}}
	if perMinute > 0 {
		l.interval = time.Minute / time.Duration(perMinute)
		if burst < 1 {
			burst = 1
		}
		l.tolerance = time.Duration(burst-1) * l.interval
	}
	return l
}

// reserve books the next slot for a message to chat and returns when it
// may be sent (now or later).
func (l *limiter) reserve(now time.Time, chat string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := now
	if l.interval > 0 {
		if t := l.tat.Add(-l.tolerance); t.After(at) {
			at = t
		}
	}
	if next, ok := l.chats[chat]; ok && next.After(at) {
		at = next
	}
	if l.jitter > 0 {
		at = at.Add(time.Duration(l.rand(int64(l.jitter) + 1)))
	}
	if l.interval > 0 {
		base := l.tat
		if at.After(base) {
			base = at
		}
		l.tat = base.Add(l.interval)
	}
	if l.gap > 0 {
		if len(l.chats) > 10000 {
			for c, t := range l.chats {
				if !t.After(now) {
					delete(l.chats, c)
				}
			}
		}
		l.chats[chat] = at.Add(l.gap)
	}
	return at
}
