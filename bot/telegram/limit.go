package telegram

import (
	"context"
	"sync"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// limiter keeps this process's sending within Telegram's limits: token
// buckets, one for all chats and one per chat (slower for a group chat:
// 20 a minute). A request reserves a token from both (a bucket may go below
// zero) and waits until both would have had it, so waiting requests keep
// their order and bursts are allowed up to the bucket size. The limit of
// all processes together is the shared limiter's (SharedLimiter).
type limiter struct {
	now func() time.Time

	mu         sync.Mutex
	rate       float64 // tokens per second for all chats; <= 0 unlimited
	perChat    float64 // tokens per second for one chat; <= 0 unlimited
	chatBurst  float64
	group      float64 // tokens per second for a group chat; <= 0: as perChat
	groupBurst float64
	all        bucket
	chats      map[int64]*bucket
}

type bucket struct {
	tokens      float64
	last        time.Time
	rate, burst float64
}

// maxChats is how many chat buckets are kept before full ones are dropped.
const maxChats = 10000

func newLimiter(rate, perChat float64, chatBurst int, now func() time.Time) *limiter {
	l := &limiter{now: now, rate: rate, perChat: perChat, chatBurst: float64(chatBurst), chats: map[int64]*bucket{}}
	l.all = bucket{tokens: max(rate, 1), last: now()}
	return l
}

// limitGroups limits each group chat (a negative chat id) to perMinute
// messages in any minute: a burst of up to the chat burst (a fifth of
// perMinute at most), then the rest spread over the minute, so that burst
// plus refill never exceeds perMinute in 60 s.
func (l *limiter) limitGroups(perMinute int) {
	if perMinute <= 0 {
		return
	}
	burst := min(l.chatBurst, max(1, float64(perMinute/5)))
	rate := float64(perMinute) - burst
	if rate <= 0 {
		burst, rate = 1, 0.5
	}
	l.group, l.groupBurst = rate/60, burst
}

// take refills b at rate up to burst, removes one token and returns how
// long until that token exists.
func (b *bucket) take(now time.Time, rate, burst float64) time.Duration {
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(burst, b.tokens+el*rate)
		b.last = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / rate * float64(time.Second))
}

// reserve takes a token for chat and returns the wait before sending.
func (l *limiter) reserve(chat int64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	if l.rate > 0 {
		wait = l.all.take(now, l.rate, max(l.rate, 1))
	}
	if l.perChat > 0 {
		b := l.chats[chat]
		if b == nil {
			if len(l.chats) >= maxChats {
				l.prune(now)
			}
			b = &bucket{last: now, rate: l.perChat, burst: l.chatBurst}
			if chat < 0 && l.group > 0 { // a group chat
				b.rate, b.burst = min(l.perChat, l.group), min(l.chatBurst, l.groupBurst)
			}
			b.tokens = b.burst
			l.chats[chat] = b
		}
		wait = max(wait, b.take(now, b.rate, b.burst))
	}
	return wait
}

// prune drops the buckets that have refilled: they equal a new one.
func (l *limiter) prune(now time.Time) {
	for id, b := range l.chats {
		if b.tokens+now.Sub(b.last).Seconds()*b.rate >= b.burst {
			delete(l.chats, id)
		}
	}
}

// wait blocks until chat may get a message, or ctx ends.
func (l *limiter) wait(ctx context.Context, chat int64) error {
	d := l.reserve(chat)
	if d <= 0 {
		return ctx.Err()
	}
	if !bot.Sleep(ctx, d) {
		return ctx.Err()
	}
	return nil
}
