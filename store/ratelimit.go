package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
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
type Limiter struct {
	s     *Store
	rates map[bot.ChannelID]Rate
}

var _ bot.RateLimiter = (*Limiter)(nil)

// Limiter returns the shared limiter with these rates; a channel without a
// rate is not limited.
func (s *Store) Limiter(rates map[bot.ChannelID]Rate) *Limiter {
	return &Limiter{s: s, rates: rates}
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
	us, err := reserve.Run(ctx, l.s.rdb, l.keys(ch), r.N, window.Microseconds(), gap.Microseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("rate limit %s: %w", ch, err)
	}
	return time.Duration(us) * time.Microsecond, nil
}

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
	if err := slowDown.Run(ctx, l.s.rdb, l.keys(ch)[1:], after.Microseconds(), max(after, time.Minute).Microseconds()).Err(); err != nil {
		return fmt.Errorf("slow down %s: %w", ch, err)
	}
	return nil
}
