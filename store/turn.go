package store

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

// The turn path. A conversation's turn keys (state, profile, inbox, dedupe
// set, lease, outbox) and its shard's pending and outbox-due sets share one
// hash tag, "{q:<shard>}", so each step of a turn is one script in one
// Redis Cluster slot:
//
//	<prefix>:{q:17}:c:telegram:42:state    hash v (version), d (JSON)
//	<prefix>:{q:17}:c:telegram:42:profile  hash of profile fields
//	<prefix>:{q:17}:c:telegram:42:inbox    list of "<id>\n<message JSON>"
//	<prefix>:{q:17}:c:telegram:42:seen     sorted set of recent message ids by time (dedupe)
//	<prefix>:{q:17}:c:telegram:42:flood    hash: the flood limit's token bucket
//	<prefix>:{q:17}:c:telegram:42:lease    the process handling the conversation
//	<prefix>:{q:17}:c:telegram:42:out      list of "<id>\n<reply JSON>" not yet delivered
//	<prefix>:{q:17}:pending                conversations with queued messages
//	<prefix>:{q:17}:outq                   conversations with undelivered replies, by due time
//
// shard = fnv32a("telegram:42") % Shards.

// Shards is the number of partitions of the conversations.
const Shards = 256

// seenCap bounds the dedupe set of one conversation.
const seenCap = 500

func shardOf(c bot.Conversation) int {
	h := fnv.New32a()
	h.Write([]byte(c.Channel))
	h.Write([]byte{':'})
	h.Write([]byte(c.User))
	return int(h.Sum32() % Shards)
}

func shardTag(n int) string { return "q:" + strconv.Itoa(n) }

// turnKeys are the keys of one conversation's turn path.
type turnKeys struct {
	state, profile, inbox, seen, flood, lease, out, pending, outq string
}

func (s *Store) turnKeys(c bot.Conversation) turnKeys {
	base := s.Key(shardTag(shardOf(c)))
	conv := base + ":c:" + c.String() + ":"
	return turnKeys{
		state: conv + "state", profile: conv + "profile", inbox: conv + "inbox", seen: conv + "seen",
		flood: conv + "flood", lease: conv + "lease", out: conv + "out",
		pending: base + ":pending", outq: base + ":outq",
	}
}

func (s *Store) stateKey(c bot.Conversation) string   { return s.turnKeys(c).state }
func (s *Store) profileKey(c bot.Conversation) string { return s.turnKeys(c).profile }

// StateKey is the key of c's state (for tests and tools).
func (s *Store) StateKey(c bot.Conversation) string { return s.stateKey(c) }

// ingestScript: dedupe, flood limit, queue, pending mark and, when the
// conversation is free, the lease with state and profile: one atomic step.
//
// KEYS inbox seen pending lease state profile flood
// ARGV 1 id, 2 entry, 3 now ms, 4 dedupe ms, 5 owner, 6 lease ms, 7 conv,
// 8 burst, 9 per minute, 10 seen cap
//
// Returns {0} duplicate, {1} queued behind another owner, {5} queued under
// our own lease, {3, lang} flooded (first drop: tell), {4} flooded (told),
// {2, head, v, d, profile...} taken (head "" = this message).
var ingestScript = redis.NewScript(`
local now = tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return {0} end
local burst = tonumber(ARGV[8])
if burst > 0 then
  local f = redis.call('HMGET', KEYS[7], 't', 'at', 'n')
  local tokens = tonumber(f[1]) or burst
  local at = tonumber(f[2]) or now
  tokens = math.min(burst, tokens + (now - at) * tonumber(ARGV[9]) / 60000)
  if tokens < 1 then
    redis.call('HSET', KEYS[7], 't', string.format('%.4f', tokens), 'at', now, 'n', '1')
    redis.call('PEXPIRE', KEYS[7], 3600000)
    redis.call('ZADD', KEYS[2], now, ARGV[1])
    if f[3] then return {4} end
    return {3, redis.call('HGET', KEYS[6], 'lang') or ''}
  end
  redis.call('HSET', KEYS[7], 't', string.format('%.4f', tokens - 1), 'at', now)
  if f[3] then redis.call('HDEL', KEYS[7], 'n') end
  redis.call('PEXPIRE', KEYS[7], 3600000)
end
-- The writes that must go together come in an order that leaves nothing
-- half done when one is refused (ACL, out of memory): the pending mark
-- first (a mark without a queue is harmless), then the queue, then the id;
-- if recording the id fails the message is taken back.
redis.call('ZADD', KEYS[3], 'NX', now, ARGV[7])
local n = redis.call('RPUSH', KEYS[1], ARGV[2])
local ok = redis.pcall('ZADD', KEYS[2], now, ARGV[1])
if type(ok) == 'table' and ok.err then
  redis.call('RPOP', KEYS[1])
  return ok
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[4]))
if redis.call('ZCARD', KEYS[2]) > tonumber(ARGV[10]) then
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[10]) - 1)
end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local l = redis.call('GET', KEYS[4])
if l then
  if l == ARGV[5] then return {5} end
  return {1}
end
redis.call('SET', KEYS[4], ARGV[5], 'PX', ARGV[6])
local head = ''
if n > 1 then head = redis.call('LINDEX', KEYS[1], 0) end
local st = redis.call('HMGET', KEYS[5], 'v', 'd')
return {2, head, st[1] or '', st[2] or '', redis.call('HGETALL', KEYS[6])}
`)

// takeScript: KEYS inbox lease state profile pending; ARGV owner, lease
// ms, conv. {0} held by another, {1} empty (lease and mark dropped),
// {2, head, v, d, profile...}.
var takeScript = redis.NewScript(`
local l = redis.call('GET', KEYS[2])
if l and l ~= ARGV[1] then return {0} end
local h = redis.call('LINDEX', KEYS[1], 0)
if not h then
  if l then redis.call('DEL', KEYS[2]) end
  redis.call('ZREM', KEYS[5], ARGV[3])
  return {1}
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
local st = redis.call('HMGET', KEYS[3], 'v', 'd')
return {2, h, st[1] or '', st[2] or '', redis.call('HGETALL', KEYS[4])}
`)

// commitScript: the whole end of a turn in one step.
//
// KEYS state profile inbox lease pending out outq
// ARGV 1 owner, 2 version, 3 state JSON, 4 state ttl ms, 5 message id,
// 6 now ms, 7 lease ms, 8 conv, 9 send deadline ms, 10 profile pairs,
// 11 acks, 12 replies; then the profile field/value pairs, the acked ids,
// the reply entries. The acked entries leave the outbox whatever else
// happens.
//
// Returns {-2} lost the lease, {-3} message gone, {-1, ”, v, d,
// profile...} conflict, {1, version, backlog} done and released, {2,
// version, backlog, head} done with the next message.
var commitScript = redis.NewScript(`
local np = tonumber(ARGV[10])
local na = tonumber(ARGV[11])
local ai = 13 + 2 * np
for j = 1, na do
  local p = ARGV[ai] .. '\n'
  local e = redis.call('LINDEX', KEYS[6], 0)
  if e and string.sub(e, 1, #p) == p then redis.call('LPOP', KEYS[6]) end
  ai = ai + 1
end
local l = redis.call('GET', KEYS[4])
if l and l ~= ARGV[1] then return {-2} end
local idp = ARGV[5] .. '\n'
local h = redis.call('LINDEX', KEYS[3], 0)
if not h or string.sub(h, 1, #idp) ~= idp then return {-3} end
local cur = redis.call('HGET', KEYS[1], 'v') or '0'
if cur ~= ARGV[2] then
  local st = redis.call('HMGET', KEYS[1], 'v', 'd')
  return {-1, '', st[1] or '', st[2] or '', redis.call('HGETALL', KEYS[2])}
end
local now = tonumber(ARGV[6])
local nv = tonumber(cur) + 1
-- Taking the message off and writing the state go together: the message
-- first, put back if the state write is refused.
local taken = redis.call('LPOP', KEYS[3])
local ok = redis.pcall('HSET', KEYS[1], 'v', nv, 'd', ARGV[3])
if type(ok) == 'table' and ok.err then
  redis.call('LPUSH', KEYS[3], taken)
  return ok
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local i = 13
for j = 1, np do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[2], ARGV[i]) else redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
  i = i + 2
end
i = ai
local nr = tonumber(ARGV[12])
local backlog = 0
if nr > 0 or na > 0 then backlog = redis.call('LLEN', KEYS[6]) end
if nr > 0 then
  redis.call('RPUSH', KEYS[6], unpack(ARGV, i, i + nr - 1))
  if backlog == 0 then redis.call('ZADD', KEYS[7], now + tonumber(ARGV[9]), ARGV[8]) end
elseif na > 0 and backlog == 0 then
  redis.call('ZREM', KEYS[7], ARGV[8])
end
local nh = redis.call('LINDEX', KEYS[3], 0)
if not nh then
  redis.call('DEL', KEYS[4])
  redis.call('ZREM', KEYS[5], ARGV[8])
  return {1, nv, backlog}
end
redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[7])
return {2, nv, backlog, nh}
`)

// releaseScript: KEYS lease; ARGV owner.
var releaseScript = releaseLease

// Ingest queues msg (see bot.Inbox).
func (s *Store) Ingest(ctx context.Context, msg bot.Message, lease bot.Lease, lim bot.FloodLimit) (bot.Ingest, error) {
	entry, err := encodeEntry(msg)
	if err != nil {
		return bot.Ingest{}, err
	}
	k := s.turnKeys(msg.Conv)
	res, err := s.batch.run(ctx, ingestScript,
		[]string{k.inbox, k.seen, k.pending, k.lease, k.state, k.profile, k.flood},
		msg.ID, entry, s.now().UnixMilli(), s.dedupeTTL.Milliseconds(), lease.Owner, lease.TTL.Milliseconds(),
		msg.Conv.String(), lim.Burst, lim.PerMinute, seenCap).Slice()
	if err != nil {
		return bot.Ingest{}, fmt.Errorf("queue message: %w", err)
	}
	switch code, _ := res[0].(int64); code {
	case 0:
		return bot.Ingest{Result: bot.Duplicate}, nil
	case 1:
		return bot.Ingest{Result: bot.Queued}, nil
	case 5:
		return bot.Ingest{Result: bot.Ours}, nil
	case 3:
		lang, _ := res[1].(string)
		return bot.Ingest{Result: bot.Flooded, Notice: true, Lang: lang}, nil
	case 4:
		return bot.Ingest{Result: bot.Flooded}, nil
	}
	l, err := decodeLoaded(msg.Conv, res[1:])
	if err != nil {
		return bot.Ingest{}, err
	}
	if l.Msg.ID == "" {
		l.Msg = msg
	}
	return bot.Ingest{Result: bot.Taken, Loaded: l}, nil
}

// Acquire takes c for lease.Owner if it is free or already theirs.
func (s *Store) Acquire(ctx context.Context, c bot.Conversation, lease bot.Lease) (bot.Loaded, bool, error) {
	k := s.turnKeys(c)
	res, err := s.batch.run(ctx, takeScript, []string{k.inbox, k.lease, k.state, k.profile, k.pending},
		lease.Owner, lease.TTL.Milliseconds(), c.String()).Slice()
	if err != nil {
		return bot.Loaded{}, false, fmt.Errorf("take conversation: %w", err)
	}
	if code, _ := res[0].(int64); code != 2 {
		return bot.Loaded{}, false, nil
	}
	l, err := decodeLoaded(c, res[1:])
	return l, err == nil, err
}

// Commit writes a turn's outcome (see bot.Inbox).
func (s *Store) Commit(ctx context.Context, c bot.Conversation, msgID string, lease bot.Lease, o bot.TurnResult, acked []string) (bot.Committed, error) {
	d, err := json.Marshal(o.State)
	if err != nil {
		return bot.Committed{}, fmt.Errorf("encode state: %w", err)
	}
	now := s.now()
	k := s.turnKeys(c)
	var prof []string
	if o.Lang != "" {
		prof = append(prof, bot.FieldLang, o.Lang)
	}
	if o.Phone != "" {
		prof = append(prof, bot.FieldPhone, o.Phone)
	}
	args := make([]any, 0, 12+len(prof)+len(acked)+len(o.Replies))
	args = append(args, lease.Owner, o.State.Version, d, s.stateTTL.Milliseconds(), msgID, now.UnixMilli(),
		lease.TTL.Milliseconds(), c.String(), s.sendDeadline.Milliseconds(), len(prof)/2, len(acked), len(o.Replies))
	for _, p := range prof {
		args = append(args, p)
	}
	for _, a := range acked {
		args = append(args, a)
	}
	ids := make([]string, len(o.Replies))
	for i, r := range o.Replies {
		ids[i] = outID(msgID, i)
		e, err := encodeOut(ids[i], r)
		if err != nil {
			return bot.Committed{}, err
		}
		args = append(args, e)
	}
	res, err := s.batch.run(ctx, commitScript, []string{k.state, k.profile, k.inbox, k.lease, k.pending, k.out, k.outq}, args...).Slice()
	if err != nil {
		return bot.Committed{}, fmt.Errorf("commit turn: %w", err)
	}
	code, _ := res[0].(int64)
	switch code {
	case -2:
		return bot.Committed{Lost: true}, nil
	case -3:
		return bot.Committed{Gone: true}, nil
	case -1:
		l, err := decodeLoaded(c, res[1:])
		if err != nil {
			return bot.Committed{}, err
		}
		return bot.Committed{Conflict: true, Next: &l}, nil
	}
	nv, _ := res[1].(int64)
	backlog, _ := res[2].(int64)
	out := bot.Committed{Version: nv, Backlog: backlog > 0, OutIDs: ids, At: now}
	if code == 2 {
		head, _ := res[3].(string)
		m := decodeEntry(c, head)
		out.Next = &bot.Loaded{Msg: m}
	}
	return out, nil
}

// Release gives c's lease up if owner holds it.
func (s *Store) Release(ctx context.Context, c bot.Conversation, owner string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.turnKeys(c).lease}, owner).Err(); err != nil {
		return fmt.Errorf("release conversation: %w", err)
	}
	return nil
}

// Pending lists conversations with queued messages, oldest first per shard
// (at most 100 per shard), reading every shard in one pipeline.
func (s *Store) Pending(ctx context.Context) ([]bot.Conversation, error) {
	cmds := make([]*redis.StringSliceCmd, Shards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range cmds {
			cmds[i] = p.ZRange(ctx, s.Key(shardTag(i), "pending"), 0, 99)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list queued conversations: %w", err)
	}
	var out []bot.Conversation
	for _, cmd := range cmds {
		for _, id := range cmd.Val() {
			if c, ok := bot.ParseConversation(id); ok {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

func outID(msgID string, i int) string { return msgID + "." + strconv.Itoa(i) }

// An inbox entry is "<id>\n<message JSON>"; the conversation is implied by
// the key, so it is left out.
func encodeEntry(m bot.Message) (string, error) {
	c := m.Conv
	m.Conv = bot.Conversation{}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode message: %w", err)
	}
	_ = c
	return m.ID + "\n" + string(b), nil
}

func decodeEntry(c bot.Conversation, entry string) bot.Message {
	id, body, _ := strings.Cut(entry, "\n")
	var m bot.Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		// A corrupt entry must not block the conversation forever: hand it
		// on as an unsupported message, which the engine answers politely.
		return bot.Message{ID: id, Conv: c, Kind: bot.KindUnsupported}
	}
	m.ID, m.Conv = id, c
	return m
}

func encodeOut(id string, r bot.Reply) (string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("encode reply: %w", err)
	}
	return id + "\n" + string(b), nil
}

// decodeLoaded reads {head, v, d, {profile pairs}}.
func decodeLoaded(c bot.Conversation, res []any) (bot.Loaded, error) {
	var l bot.Loaded
	if head, _ := res[0].(string); head != "" {
		l.Msg = decodeEntry(c, head)
	}
	st, err := decodeState([]any{res[1], res[2]})
	if err != nil {
		return bot.Loaded{}, err
	}
	l.State = st
	pairs, _ := res[3].([]any)
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		k, _ := pairs[i].(string)
		v, _ := pairs[i+1].(string)
		m[k] = v
	}
	l.Profile = decodeProfile(m)
	return l, nil
}

// The outbox.

// dueScript claims c's outbox for a sender: KEYS outq out; ARGV conv, now
// ms, claim ms, max. {} when not due or empty, else the entries.
var dueScript = redis.NewScript(`
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > tonumber(ARGV[2]) then return {} end
local e = redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[4]) - 1)
if #e == 0 then redis.call('ZREM', KEYS[1], ARGV[1]) return {} end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
return e
`)

// ackScript: KEYS out outq; ARGV conv, now ms, then ids in order. Pops
// the acked entries off the head; an empty outbox leaves the due set, and
// entries left behind (committed while earlier ones were being sent) are
// due at once.
var ackScript = redis.NewScript(`
for i = 3, #ARGV do
  local p = ARGV[i] .. '\n'
  local e = redis.call('LINDEX', KEYS[1], 0)
  if e and string.sub(e, 1, #p) == p then redis.call('LPOP', KEYS[1]) end
end
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1])
else
  local due = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if not due or tonumber(due) > tonumber(ARGV[2]) then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1]) end
end
return 1
`)

var _ bot.Outbound = (*Store)(nil)

// Due claims conversations whose undelivered replies are due (see bot.Outbound).
func (s *Store) Due(ctx context.Context, claim time.Duration, max int) (map[bot.Conversation][]bot.OutEntry, error) {
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
			claims[i] = dueScript.EvalSha(ctx, p, []string{k.outq, k.out}, c.String(), now, claim.Milliseconds(), 50)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("claim due replies: %w", err)
	}
	out := map[bot.Conversation][]bot.OutEntry{}
	for i, cmd := range claims {
		vals, _ := cmd.StringSlice()
		for _, v := range vals {
			id, body, _ := strings.Cut(v, "\n")
			var r bot.Reply
			if err := json.Unmarshal([]byte(body), &r); err != nil {
				r = bot.Reply{} // undecodable: delivered as nothing, acked below by the sender
			}
			out[convs[i]] = append(out[convs[i]], bot.OutEntry{ID: id, Reply: r})
		}
	}
	return out, nil
}

// Ack removes delivered entries, all conversations in one pipeline.
func (s *Store) Ack(ctx context.Context, acks map[bot.Conversation][]string) error {
	if len(acks) == 0 {
		return nil
	}
	now := s.now().UnixMilli()
	err := s.scriptPipeline(ctx, ackScript, func(p redis.Pipeliner) {
		for c, ids := range acks {
			k := s.turnKeys(c)
			args := make([]any, 0, 2+len(ids))
			args = append(args, c.String(), now)
			for _, id := range ids {
				args = append(args, id)
			}
			ackScript.EvalSha(ctx, p, []string{k.out, k.outq}, args...)
		}
	})
	if err != nil {
		return fmt.Errorf("ack replies: %w", err)
	}
	return nil
}

// Retry sets when c's remaining replies are due again.
func (s *Store) Retry(ctx context.Context, c bot.Conversation, at time.Time) error {
	k := s.turnKeys(c)
	if err := s.rdb.ZAddXX(ctx, k.outq, redis.Z{Score: float64(at.UnixMilli()), Member: c.String()}).Err(); err != nil {
		return fmt.Errorf("reschedule replies: %w", err)
	}
	return nil
}

var _ bot.QueueStatser = (*Store)(nil)

// QueueStats reports how many conversations have queued messages and
// undelivered replies, and the age of the oldest, in one pipeline over the
// shards. Depths count conversations, not messages: a conversation's queue
// is drained in order, so it is the number of people waiting.
func (s *Store) QueueStats(ctx context.Context) (bot.QueueStats, error) {
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

// scriptPipeline runs fill's EVALSHAs of sc in one pipeline; when Redis
// does not know the script (a restart, a new node) it loads it and runs
// the pipeline again.
func (s *Store) scriptPipeline(ctx context.Context, sc *redis.Script, fill func(p redis.Pipeliner)) error {
	for try := 0; ; try++ {
		cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { fill(p); return nil })
		if err == nil || isNil(err) {
			return nil
		}
		noscript := false
		for _, c := range cmds {
			if e := c.Err(); e != nil && strings.HasPrefix(e.Error(), "NOSCRIPT") {
				noscript = true
			}
		}
		if !noscript || try > 0 {
			return err
		}
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return err
		}
	}
}
