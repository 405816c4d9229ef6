package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/umkmbot/umkmbot/bot"
)

// The outbox side of the turn path: replies committed but not yet
// delivered, claimed by any process's courier (Due), acknowledged when
// delivered (Ack) or put back for later (Retry); and the queue figures the
// metrics show.

// dueScript claims c's outbox for a sender: KEYS outq state; ARGV conv,
// now ms, claim ms. "" when not due or empty, else the outbox entries (a
// state written before 'ob' has its first ones in 'out').
var dueScript = redis.NewScript(`
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > tonumber(ARGV[2]) then return '' end
local f = redis.call('HMGET', KEYS[2], 'out', 'ob')
local out = f[2] or ''
if f[1] and f[1] ~= '' then out = f[1] .. out end
if out == '' then redis.call('ZREM', KEYS[1], ARGV[1]) return '' end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
return out
`)

// ackScript: KEYS state outq; ARGV conv, now ms, the ids ("<id>\x1e"
// each). Drops the acked entries off the head of the outbox; an empty
// outbox leaves the due set, and entries left behind (committed while
// earlier ones were being sent) are due at once.
var ackScript = redis.NewScript(luaOut + `
local f = redis.call('HMGET', KEYS[1], 'oi', 'out')
local oi, ob = f[1] or '', nil
local legacy = f[2] and f[2] ~= ''
if legacy then ob, oi = legacyOut(KEYS[1], f[2], oi) end
local left, n = acked(oi, ARGV[3])
if n == 0 and not legacy then return 0 end
ackOut(KEYS[1], ob, left, n, legacy)
if n == 0 then return 0 end
if left == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  local due = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if not due or tonumber(due) > tonumber(ARGV[2]) then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1]) end
end
return 1
`)

var _ bot.Outbound = (*ConversationStore)(nil)

// Due claims conversations whose undelivered replies are due (see bot.Outbound).
func (s *ConversationStore) Due(ctx context.Context, claim time.Duration, max int) (map[bot.Conversation][]bot.OutEntry, error) {
	now := s.now().UnixMilli()
	cmds := make([]*redis.StringSliceCmd, Shards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range cmds {
			cmds[i] = p.ZRangeByScore(ctx, s.Key(shardTag(i), "outq"), &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(now, 10), Count: int64(max)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list due replies: %w", err)
	}
	var convs []bot.Conversation
	for _, cmd := range cmds {
		for _, id := range cmd.Val() {
			if c, ok := bot.ParseConversation(id); ok {
				convs = append(convs, c)
			}
		}
	}
	if len(convs) == 0 {
		return nil, nil
	}
	claims := make([]*redis.Cmd, len(convs))
	err = s.scriptPipeline(ctx, dueScript, func(p redis.Pipeliner) {
		for i, c := range convs {
			k := s.turnKeys(c)
			claims[i] = dueScript.EvalSha(ctx, p, []string{k.outq, k.state}, c.String(), now, claim.Milliseconds())
		}
	})
	if err != nil {
		return nil, fmt.Errorf("claim due replies: %w", err)
	}
	out := map[bot.Conversation][]bot.OutEntry{}
	for i, cmd := range claims {
		if v, _ := cmd.Text(); v != "" {
			out[convs[i]] = decodeOut(v)
		}
	}
	return out, nil
}

// Ack removes delivered entries, all conversations in one pipeline.
func (s *ConversationStore) Ack(ctx context.Context, acks map[bot.Conversation][]string) error {
	if len(acks) == 0 {
		return nil
	}
	now := s.now().UnixMilli()
	err := s.scriptPipeline(ctx, ackScript, func(p redis.Pipeliner) {
		for c, ids := range acks {
			k := s.turnKeys(c)
			ackScript.EvalSha(ctx, p, []string{k.state, k.outq}, c.String(), now, joinIDs(ids))
		}
	})
	if err != nil {
		return fmt.Errorf("ack replies: %w", err)
	}
	return nil
}

// Retry sets when c's remaining replies are due again.
func (s *ConversationStore) Retry(ctx context.Context, c bot.Conversation, at time.Time) error {
	k := s.turnKeys(c)
	if err := s.rdb.ZAddXX(ctx, k.outq, redis.Z{Score: float64(at.UnixMilli()), Member: c.String()}).Err(); err != nil {
		return fmt.Errorf("reschedule replies: %w", err)
	}
	return nil
}

var _ bot.QueueStatser = (*ConversationStore)(nil)

// QueueStats reports how many conversations have queued messages and
// undelivered replies, and the age of the oldest, in one pipeline over the
// shards. Depths count conversations, not messages: a conversation's queue
// is drained in order, so it is the number of people waiting.
func (s *ConversationStore) QueueStats(ctx context.Context) (bot.QueueStats, error) {
	type pair struct {
		n     *redis.IntCmd
		first *redis.ZSliceCmd
	}
	in, out := make([]pair, Shards), make([]pair, Shards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 0; i < Shards; i++ {
			pk, ok := s.Key(shardTag(i), "pending"), s.Key(shardTag(i), "outq")
			in[i] = pair{p.ZCard(ctx, pk), p.ZRangeWithScores(ctx, pk, 0, 0)}
			out[i] = pair{p.ZCard(ctx, ok), p.ZRangeWithScores(ctx, ok, 0, 0)}
		}
		return nil
	})
	if err != nil {
		return bot.QueueStats{}, fmt.Errorf("queue stats: %w", err)
	}
	now := s.now()
	var qs bot.QueueStats
	sum := func(ps []pair, outbox bool) (int64, time.Duration) {
		var n int64
		var oldest time.Duration
		for _, p := range ps {
			n += p.n.Val()
			if z := p.first.Val(); len(z) > 0 {
				at := time.UnixMilli(int64(z[0].Score))
				if outbox {
					at = at.Add(-s.sendDeadline) // the due time is the commit time plus the deadline
				}
				if age := now.Sub(at); age > oldest {
					oldest = age
				}
			}
		}
		return n, oldest
	}
	qs.InboxDepth, qs.InboxOldest = sum(in, false)
	qs.OutboxDepth, qs.OutboxOldest = sum(out, true)
	return qs, nil
}
