package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

// Rate is a send rate: N messages per Per. Spread sends them evenly (one
// every Per/N, plus up to Jitter of that gap at random) instead of in
// bursts, as a regular WhatsApp number must.
type Rate struct {
	N      int
	Per    time.Duration
	Spread bool
	Jitter float64 // 0..1: extra random share of the gap between spread sends
	// Guard lengthens the window (default Per/10), so that the delay
	// between a grant and the platform receiving the message cannot squeeze
	// more than N into any Per as the platform measures it.
	Guard time.Duration
}

// String writes r as ParseRate reads it ("25/s").
func (r Rate) String() string {
	unit := r.Per.String()
	switch r.Per {
	case time.Second:
		unit = "s"
	case time.Minute:
		unit = "m"
	case time.Hour:
		unit = "h"
	}
	return strconv.Itoa(r.N) + "/" + unit
}

// ParseRate reads "25/s", "6/m", "6/min", "300/h", "1000/1s" or "25"
// (per second).
func ParseRate(s string) (Rate, error) {
	n, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		unit = "s"
	}
	v, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || v < 1 || v > 1_000_000 {
		return Rate{}, fmt.Errorf("rate %q: want a count of at least 1 and a unit, e.g. 25/s or 6/m", s)
	}
	r := Rate{N: v}
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "s", "sec", "second", "detik":
		r.Per = time.Second
	case "m", "min", "minute", "menit":
		r.Per = time.Minute
	case "h", "hour", "jam":
		r.Per = time.Hour
	default:
		d, err := time.ParseDuration(unit)
		if err != nil || d < time.Millisecond || d > 24*time.Hour {
			return Rate{}, fmt.Errorf("rate %q: unit must be s, m, h or a duration such as 10s", s)
		}
		r.Per = d
	}
	return r, nil
}

// Limiter paces sends per channel for every process sharing the Redis: a
// sliding log of grants per channel (a window of Per plus Guard), an
// optional minimum gap for spread sending, and a pause with halved rate
// after the platform asked to slow down.
//
// At high rates (Rate.N of 200 or more, not spread) a process leases its
// grants in chunks and spends them locally for a short while (leaseLife): one
// round trip per chunk instead of per send. The chunk grows while a lease
// is used up before it lapses and shrinks when grants lapse unused; a
// leased grant counts in the window from when it was leased, and the
// window is that much longer, so all processes together still send at most
// N in any Per. A slow-down reaches a process that holds a lease when its
// lease ends.
type Limiter struct {
	s     *Store
	rates map[bot.ChannelID]Rate

	mu     sync.Mutex
	leases map[bot.ChannelID]*grantLease
}

// grantLease is a process's local share of a channel's rate (guarded by
// Limiter.mu).
type grantLease struct {
	left     int           // grants not yet spent
	until    time.Time     // when the unspent ones lapse
	chunk    int           // how many to ask for next
	inflight *leaseRequest // the request out to Redis, if any
}

// leaseRequest is one request for grants; the senders that find it out
// wait for it instead of asking too, and share its failure or wait (so
// that while Redis is down they fail together, not one after another).
type leaseRequest struct {
	done chan struct{}
	wait time.Duration
	err  error
}

// leaseLife is how long leased grants may be spent (at most a fiftieth of
// the period: the window grows by it, which costs a rate of 1,000/s some
// 2 % of its sustained sends); leaseMin is the lowest rate whose grants
// are leased in chunks (below it every send asks Redis, as a 30/s
// Telegram bot's sends are few anyway).
const (
	leaseLife = 20 * time.Millisecond
	leaseMin  = 100
)

var _ bot.RateLimiter = (*Limiter)(nil)

// Limiter returns the shared limiter with these rates; a channel without a
// rate is not limited.
func (s *Store) Limiter(rates map[bot.ChannelID]Rate) *Limiter {
	return &Limiter{s: s, rates: rates, leases: map[bot.ChannelID]*grantLease{}}
}

func (l *Limiter) keys(ch bot.ChannelID) []string {
	tag := "rl:" + string(ch)
	return []string{l.s.Key(tag, "log"), l.s.Key(tag, "state")}
}

// reserve: KEYS log, state; ARGV limit, window µs, gap µs. Returns 0 (a
// slot taken) or the µs to wait. Time is the Redis server's, so every
// process agrees.
var reserve = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local st = redis.call('HMGET', KEYS[2], 'until', 'next', 'slow')
local hold = math.max(tonumber(st[1]) or 0, tonumber(st[2]) or 0)
if now < hold then return hold - now end
local limit = tonumber(ARGV[1])
if (tonumber(st[3]) or 0) > now then limit = math.max(1, math.floor(limit / 2)) end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now + 1)
end
local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
redis.call('ZADD', KEYS[1], now, seq)
redis.call('PEXPIRE', KEYS[1], math.floor(window / 1000) + 1000)
local gap = tonumber(ARGV[3])
if gap > 0 then redis.call('HSET', KEYS[2], 'next', now + gap) end
return 0
`)

// Reserve takes a send slot on ch, or says how long to wait.
func (l *Limiter) Reserve(ctx context.Context, ch bot.ChannelID) (time.Duration, error) {
	r, ok := l.rates[ch]
	if !ok || r.N <= 0 || r.Per <= 0 {
		return 0, nil
	}
	guard := r.Guard
	if guard <= 0 {
		guard = r.Per / 10
	}
	window := r.Per + guard
	var gap time.Duration
	if r.Spread {
		gap = r.Per / time.Duration(r.N)
		gap += time.Duration(float64(gap) * r.Jitter * rand.Float64())
	}
	if maxChunk := min(r.N/leaseMin, 1024); !r.Spread && maxChunk >= 2 {
		life := min(leaseLife, r.Per/50)
		return l.reserveLeased(ctx, ch, r.N, window+life, life, maxChunk)
	}
	us, err := reserve.Run(ctx, l.s.rdb, l.keys(ch), r.N, window.Microseconds(), gap.Microseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("rate limit %s: %w", ch, err)
	}
	return time.Duration(us) * time.Microsecond, nil
}

func (l *Limiter) reserveLeased(ctx context.Context, ch bot.ChannelID, limit int, window, life time.Duration, maxChunk int) (time.Duration, error) {
	for {
		l.mu.Lock()
		g := l.leases[ch]
		if g == nil {
			g = &grantLease{chunk: 1}
			l.leases[ch] = g
		}
		if g.left > 0 && time.Now().Before(g.until) {
			g.left--
			l.mu.Unlock()
			return 0, nil
		}
		if r := g.inflight; r != nil {
			l.mu.Unlock()
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-r.done:
			}
			if r.err != nil && ctx.Err() == nil && (errors.Is(r.err, context.Canceled) || errors.Is(r.err, context.DeadlineExceeded)) {
				continue // the asker gave up, not Redis: ask again
			}
			if r.err != nil || r.wait > 0 {
				return r.wait, r.err
			}
			continue // granted: take one of them
		}
		if g.left > 0 { // lapsed unused: ask for less
			g.chunk = max(1, g.chunk/2)
		} else if !g.until.IsZero() {
			g.chunk = min(maxChunk, g.chunk*2)
		}
		r := &leaseRequest{done: make(chan struct{})}
		g.inflight = r
		want := g.chunk
		l.mu.Unlock()

		res, err := reserveN.Run(ctx, l.s.rdb, l.leaseKeys(ch), limit, window.Microseconds(), want).Int64Slice()
		if err == nil && len(res) != 2 {
			err = fmt.Errorf("unexpected answer %v", res)
		}
		l.mu.Lock()
		switch {
		case err != nil:
			r.err = fmt.Errorf("rate limit %s: %w", ch, err)
		case res[0] <= 0:
			r.wait = max(time.Microsecond, time.Duration(res[1])*time.Microsecond)
		default:
			g.left, g.until = int(res[0]), time.Now().Add(life)
		}
		g.inflight = nil
		close(r.done)
		if r.err != nil || r.wait > 0 {
			l.mu.Unlock()
			return r.wait, r.err
		}
		g.left-- // ours
		l.mu.Unlock()
		return 0, nil
	}
}

// leaseKeys: the chunked log (members "<seq>:<count>") and the state hash
// shared with the one-at-a-time log (slow-down, pause).
func (l *Limiter) leaseKeys(ch bot.ChannelID) []string {
	tag := "rl:" + string(ch)
	return []string{l.s.Key(tag, "clog"), l.s.Key(tag, "state")}
}

// reserveN: KEYS clog, state; ARGV limit, window µs, wanted. Returns
// {granted, 0} or {0, µs to wait}. The state hash keeps the sum of the
// log's counts (cnt) and the time of the last grant (cat): when that is a
// window ago the whole log has lapsed.
var reserveN = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local st = redis.call('HMGET', KEYS[2], 'until', 'next', 'slow', 'cnt', 'cat')
local hold = math.max(tonumber(st[1]) or 0, tonumber(st[2]) or 0)
if now < hold then return {0, hold - now} end
local limit = tonumber(ARGV[1])
if (tonumber(st[3]) or 0) > now then limit = math.max(1, math.floor(limit / 2)) end
local window = tonumber(ARGV[2])
local cnt = tonumber(st[4]) or 0
if now - (tonumber(st[5]) or 0) > window then
  cnt = 0
  redis.call('DEL', KEYS[1])
else
  local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - window)
  if #old > 0 then
    for _, m in ipairs(old) do cnt = cnt - (tonumber(string.match(m, ':(%d+)$')) or 1) end
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
    if cnt < 0 then cnt = 0 end
  end
end
local n = math.min(tonumber(ARGV[3]), limit - cnt)
if n <= 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #oldest == 0 then return {0, 1000} end
  return {0, math.max(1, tonumber(oldest[2]) + window - now + 1)}
end
local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
redis.call('ZADD', KEYS[1], now, seq .. ':' .. n)
redis.call('PEXPIRE', KEYS[1], math.floor(window / 1000) + 1000)
redis.call('HSET', KEYS[2], 'cnt', cnt + n, 'cat', now)
return {n, 0}
`)

// slowDown: KEYS state; ARGV wait µs, slow period µs.
var slowDown = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local u = math.max(tonumber(redis.call('HGET', KEYS[1], 'until') or '0'), now + tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'until', u, 'slow', u + tonumber(ARGV[2]))
return u - now
`)

// SlowDown makes every process wait after on ch, then send at half rate
// for a minute (or as long as after, if longer).
func (l *Limiter) SlowDown(ctx context.Context, ch bot.ChannelID, after time.Duration) error {
	after = max(after, time.Second)
	l.mu.Lock()
	if g := l.leases[ch]; g != nil {
		g.left = 0 // this process stops at once; others when their lease ends
	}
	l.mu.Unlock()
	if err := slowDown.Run(ctx, l.s.rdb, l.keys(ch)[1:], after.Microseconds(), max(after, time.Minute).Microseconds()).Err(); err != nil {
		return fmt.Errorf("slow down %s: %w", ch, err)
	}
	return nil
}
