package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

var (
	_ umkm.BroadcastStore = (*BroadcastStore)(nil)
	_ umkm.BroadcastQueue = (*BroadcastStore)(nil)
)

// Broadcasts are kept under two hash tags:
//
//	{bc}:seq              INCR counter for broadcast ids
//	{bc}:all              sorted set id → creation time (ms)
//	{bc}:active           set of ids not yet done or cancelled
//	{bc}:tokens           hash creation token → id (idempotent creation)
//	{b:<id>}:meta         hash: d (the broadcast as JSON), status, at (ms),
//	                      audience, sent, failed, skipped, unknown, ms (the
//	                      last 25 % milestone reached), expanded, started,
//	                      finished (ms)
//	{b:<id>}:rec          hash recipient → "sending|<entry>", "sent",
//	                      "failed:<reason>", "skipped:<reason>", "unknown"
//	{b:<id>}:q:<channel>  stream of recipients, consumer group "fanout"
//	{b:<id>}:lease        the audience expansion lease
//
// One broadcast's keys share a slot, so one script writes the idempotency
// record, counts the outcome and acknowledges the entry atomically.

const fanoutGroup = "fanout"

func (s *BroadcastStore) bcKey(part string) string              { return s.Key("bc", part) }
func (s *BroadcastStore) bKey(id string, part ...string) string { return s.Key("b:"+id, part...) }
func (s *BroadcastStore) bStream(id string, ch bot.ChannelID) string {
	return s.bKey(id, "q", string(ch))
}

// createBroadcastID: KEYS seq, tokens, all, active; ARGV token, created ms.
// Returns {id, new}: a token seen before returns its broadcast.
var createBroadcastID = redis.NewScript(`
if ARGV[1] ~= '' then
  local id = redis.call('HGET', KEYS[2], ARGV[1])
  if id then return {id, 0} end
end
local id = tostring(redis.call('INCR', KEYS[1]))
if ARGV[1] ~= '' then redis.call('HSET', KEYS[2], ARGV[1], id) end
redis.call('ZADD', KEYS[3], ARGV[2], id)
redis.call('SADD', KEYS[4], id)
return {id, 1}
`)

// writeBroadcast: KEYS meta; ARGV record, status, at ms. Writes once.
var writeBroadcast = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'd') == 0 then
  redis.call('HSET', KEYS[1], 'd', ARGV[1], 'status', ARGV[2], 'at', ARGV[3])
end
return 1
`)

// CreateBroadcast stores b with the next id. With a Token, creating again
// (a turn run twice) returns the first broadcast's id.
func (s *BroadcastStore) CreateBroadcast(ctx context.Context, b *umkm.Broadcast) error {
	if b.Status == "" {
		b.Status = umkm.BroadcastScheduled
	}
	if b.Status != umkm.BroadcastScheduled && b.Status != umkm.BroadcastDraft {
		return fmt.Errorf("create broadcast: status %q: %w", b.Status, umkm.ErrBroadcastState)
	}
	d, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode broadcast: %w", err)
	}
	res, err := createBroadcastID.Run(ctx, s.rdb, []string{s.bcKey("seq"), s.bcKey("tokens"), s.bcKey("all"), s.bcKey("active")},
		b.Token, b.CreatedAt.UnixMilli()).Slice()
	if err != nil {
		return fmt.Errorf("number broadcast: %w", err)
	}
	id, _ := res[0].(string)
	// Not in the index's slot: a crash before this line leaves an id
	// without a record (listing skips it; the same token writes it).
	if err := writeBroadcast.Run(ctx, s.rdb, []string{s.bKey(id, "meta")}, d, string(b.Status), b.At.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("store broadcast %s: %w", id, err)
	}
	b.ID = id
	return nil
}

// Broadcast returns one broadcast with its counts.
func (s *BroadcastStore) Broadcast(ctx context.Context, id string) (*umkm.Broadcast, error) {
	m, err := s.rdb.HGetAll(ctx, s.bKey(id, "meta")).Result()
	if err != nil {
		return nil, fmt.Errorf("load broadcast %s: %w", id, err)
	}
	return decodeBroadcast(id, m)
}

func decodeBroadcast(id string, m map[string]string) (*umkm.Broadcast, error) {
	if m["d"] == "" {
		return nil, fmt.Errorf("broadcast %s: %w", id, bot.ErrNotFound)
	}
	b := &umkm.Broadcast{}
	if err := json.Unmarshal([]byte(m["d"]), b); err != nil {
		return nil, fmt.Errorf("decode broadcast %s: %w", id, err)
	}
	num := func(k string) int64 { n, _ := strconv.ParseInt(m[k], 10, 64); return n }
	ms := func(k string) time.Time {
		if n := num(k); n > 0 {
			return time.UnixMilli(n)
		}
		return time.Time{}
	}
	b.ID, b.Status = id, umkm.BroadcastStatus(m["status"])
	b.Counts = umkm.BroadcastCounts{Audience: num("audience"), Sent: num("sent"), Failed: num("failed"),
		Skipped: num("skipped"), Unknown: num("unknown"), Started: ms("started"), Finished: ms("finished")}
	return b, nil
}

// Broadcasts returns every broadcast, newest first.
func (s *BroadcastStore) Broadcasts(ctx context.Context) ([]*umkm.Broadcast, error) {
	ids, err := s.rdb.ZRevRange(ctx, s.bcKey("all"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list broadcasts: %w", err)
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.bKey(id, "meta"))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("load broadcasts: %w", err)
	}
	out := make([]*umkm.Broadcast, 0, len(ids))
	for i, id := range ids {
		b, err := decodeBroadcast(id, cmds[i].Val())
		if errors.Is(err, bot.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// progressLua computes a broadcast's progress after a change: the
// milestone crossed (once) and completion. KEYS[1] is the meta hash;
// now is the time in ms.
const progressLua = `
local function progress(tag, now)
  local m = redis.call('HMGET', KEYS[1], 'audience', 'sent', 'failed', 'skipped', 'unknown', 'ms', 'status', 'expanded')
  local aud = tonumber(m[1]) or 0
  local done = (tonumber(m[2]) or 0) + (tonumber(m[3]) or 0) + (tonumber(m[4]) or 0) + (tonumber(m[5]) or 0)
  local ms, fin = 0, 0
  if m[8] == '1' then
    local q = 4
    if aud > 0 then q = math.floor(done * 4 / aud) end
    if q > (tonumber(m[6]) or 0) then
      redis.call('HSET', KEYS[1], 'ms', q)
      ms = q * 25
    end
    if done >= aud and m[7] == 'running' then
      redis.call('HSET', KEYS[1], 'status', 'done', 'finished', now)
      fin = 1
    end
  end
  return {tag, done, aud, ms, fin}
end
`

// controlBroadcast: KEYS meta; ARGV action, now ms. Returns {ok|bad|nf, status}.
var controlBroadcast = redis.NewScript(progressLua + `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {'nf', ''} end
local a = ARGV[1]
if a == 'pause' and (st == 'running' or st == 'scheduled') then
  redis.call('HSET', KEYS[1], 'status', 'paused')
  return {'ok', 'paused'}
elseif a == 'resume' and (st == 'paused' or st == 'draft') then
  local to = 'scheduled'
  if redis.call('HGET', KEYS[1], 'expanded') == '1' then to = 'running' end
  redis.call('HSET', KEYS[1], 'status', to)
  progress('', ARGV[2])
  return {'ok', redis.call('HGET', KEYS[1], 'status')}
elseif a == 'cancel' and st ~= 'done' and st ~= 'cancelled' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished', ARGV[2])
  return {'ok', 'cancelled'}
end
return {'bad', st}
`)

// ControlBroadcast pauses, resumes or cancels broadcast id.
func (s *BroadcastStore) ControlBroadcast(ctx context.Context, id, action string) (umkm.BroadcastStatus, error) {
	switch action {
	case umkm.BroadcastPause, umkm.BroadcastResume, umkm.BroadcastCancel:
	default:
		return "", fmt.Errorf("broadcast %s: unknown action %q", id, action)
	}
	res, err := controlBroadcast.Run(ctx, s.rdb, []string{s.bKey(id, "meta")}, action, s.now().UnixMilli()).StringSlice()
	if err != nil {
		return "", fmt.Errorf("%s broadcast %s: %w", action, id, err)
	}
	switch res[0] {
	case "nf":
		return "", fmt.Errorf("broadcast %s: %w", id, bot.ErrNotFound)
	case "bad":
		return umkm.BroadcastStatus(res[1]), fmt.Errorf("%s broadcast %s (%s): %w", action, id, res[1], umkm.ErrBroadcastState)
	}
	if action == umkm.BroadcastCancel {
		if err := s.rdb.SRem(ctx, s.bcKey("active"), id).Err(); err != nil {
			return "", fmt.Errorf("unlist broadcast %s: %w", id, err)
		}
	}
	return umkm.BroadcastStatus(res[1]), nil
}

// DueBroadcasts returns scheduled broadcasts whose time has come and
// running ones; finished ones leave the active set.
func (s *BroadcastStore) DueBroadcasts(ctx context.Context, now time.Time) (due, running []string, err error) {
	ids, err := s.rdb.SMembers(ctx, s.bcKey("active")).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("list active broadcasts: %w", err)
	}
	cmds := make([]*redis.SliceCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HMGet(ctx, s.bKey(id, "meta"), "status", "at")
		}
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("load active broadcasts: %w", err)
	}
	var ended []any
	for i, id := range ids {
		v := cmds[i].Val()
		st, _ := v[0].(string)
		atStr, _ := v[1].(string)
		at, _ := strconv.ParseInt(atStr, 10, 64)
		switch umkm.BroadcastStatus(st) {
		case umkm.BroadcastScheduled:
			if at <= now.UnixMilli() {
				due = append(due, id)
			}
		case umkm.BroadcastRunning:
			running = append(running, id)
		case umkm.BroadcastDone, umkm.BroadcastCancelled, "":
			ended = append(ended, id)
		}
	}
	if len(ended) > 0 {
		if err := s.rdb.SRem(ctx, s.bcKey("active"), ended...).Err(); err != nil {
			return nil, nil, fmt.Errorf("unlist ended broadcasts: %w", err)
		}
	}
	slices.SortFunc(due, idOrder)
	slices.SortFunc(running, idOrder)
	return due, running, nil
}

// idOrder orders numeric ids, oldest first.
func idOrder(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// ClaimExpansion takes the lease to expand a scheduled broadcast.
func (s *BroadcastStore) ClaimExpansion(ctx context.Context, id, owner string, ttl time.Duration) (bool, error) {
	v, err := s.rdb.HMGet(ctx, s.bKey(id, "meta"), "status", "expanded").Result()
	if err != nil {
		return false, fmt.Errorf("load broadcast %s: %w", id, err)
	}
	if st, _ := v[0].(string); st != string(umkm.BroadcastScheduled) {
		return false, nil
	}
	if ex, _ := v[1].(string); ex == "1" {
		return false, nil
	}
	return s.ClaimLease(ctx, s.bKey(id, "lease"), owner, ttl)
}

// Enqueue appends recipients to the channel queues of broadcast id.
func (s *BroadcastStore) Enqueue(ctx context.Context, id string, to []bot.Conversation) error {
	seen := map[bot.ChannelID]bool{}
	for _, c := range to {
		if seen[c.Channel] {
			continue
		}
		seen[c.Channel] = true
		if err := s.ensureGroup(ctx, s.bStream(id, c.Channel)); err != nil {
			return err
		}
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, c := range to {
			p.XAdd(ctx, &redis.XAddArgs{Stream: s.bStream(id, c.Channel), Values: []any{"c", c.String()}})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue recipients of broadcast %s: %w", id, err)
	}
	return nil
}

// ensureGroup creates the consumer group of a stream (and the stream),
// reading from its first entry.
func (s *BroadcastStore) ensureGroup(ctx context.Context, stream string) error {
	err := s.rdb.XGroupCreateMkStream(ctx, stream, fanoutGroup, "0").Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create consumer group: %w", err)
	}
	return nil
}

// startBroadcast: KEYS meta; ARGV audience, now ms.
var startBroadcast = redis.NewScript(progressLua + `
if redis.call('HGET', KEYS[1], 'expanded') == '1' then return 0 end
redis.call('HSET', KEYS[1], 'audience', ARGV[1], 'expanded', '1', 'started', ARGV[2])
if redis.call('HGET', KEYS[1], 'status') == 'scheduled' then
  redis.call('HSET', KEYS[1], 'status', 'running')
end
progress('', ARGV[2])
return 1
`)

// StartBroadcast records the audience and makes the broadcast running.
func (s *BroadcastStore) StartBroadcast(ctx context.Context, id string, audience int64, now time.Time) error {
	if err := startBroadcast.Run(ctx, s.rdb, []string{s.bKey(id, "meta")}, audience, now.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("start broadcast %s: %w", id, err)
	}
	return nil
}

// Take returns up to n deliveries for consumer: abandoned ones first.
func (s *BroadcastStore) Take(ctx context.Context, id string, ch bot.ChannelID, consumer string, n int, idle time.Duration) ([]umkm.Delivery, error) {
	stream := s.bStream(id, ch)
	var msgs []redis.XMessage
	start := "0-0"
	for range 4 { // each call scans at most 10×n pending entries
		got, next, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: stream, Group: fanoutGroup,
			MinIdle: idle, Start: start, Count: int64(n - len(msgs)), Consumer: consumer}).Result()
		if isNoGroup(err) {
			// Nobody on this channel, or a restarted embedded store that
			// keeps stream entries but not groups: (re)create the group
			// from the first entry; records make re-reading safe.
			return nil, s.ensureGroup(ctx, stream)
		}
		if err != nil {
			return nil, fmt.Errorf("claim abandoned deliveries: %w", err)
		}
		msgs = append(msgs, got...)
		if next == "0-0" || len(msgs) >= n {
			break
		}
		start = next
	}
	if len(msgs) < n {
		res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: fanoutGroup, Consumer: consumer,
			Streams: []string{stream, ">"}, Count: int64(n - len(msgs)), Block: -1}).Result()
		if err != nil && !isNil(err) {
			return nil, fmt.Errorf("read deliveries: %w", err)
		}
		for _, st := range res {
			msgs = append(msgs, st.Messages...)
		}
	}
	out := make([]umkm.Delivery, 0, len(msgs))
	for _, m := range msgs {
		cs, _ := m.Values["c"].(string)
		c, ok := bot.ParseConversation(cs)
		if !ok {
			// Not ours to deliver: drop it so it is not claimed forever.
			s.rdb.XAck(ctx, stream, fanoutGroup, m.ID)
			continue
		}
		out = append(out, umkm.Delivery{Broadcast: id, Entry: m.ID, To: c})
	}
	return out, nil
}

func isNoGroup(err error) bool { return err != nil && strings.Contains(err.Error(), "NOGROUP") }

// beginDelivery: KEYS meta, rec, stream; ARGV recipient, entry, group, now ms.
var beginDelivery = redis.NewScript(progressLua + `
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return {'hold', 0, 0, 0, 0} end
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if not cur then
  redis.call('HSET', KEYS[2], ARGV[1], 'sending|' .. ARGV[2])
  return {'go', 0, 0, 0, 0}
end
redis.call('XACK', KEYS[3], ARGV[3], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
if cur == 'sending|' .. ARGV[2] then
  redis.call('HSET', KEYS[2], ARGV[1], 'unknown')
  redis.call('HINCRBY', KEYS[1], 'unknown', 1)
  return progress('unknown', ARGV[4])
end
return {'dup', 0, 0, 0, 0}
`)

// Begin writes the "sending" record of d before its send.
func (s *BroadcastStore) Begin(ctx context.Context, d umkm.Delivery) (umkm.Outcome, umkm.Progress, error) {
	res, err := beginDelivery.Run(ctx, s.rdb, s.deliveryKeys(d), d.To.String(), d.Entry, fanoutGroup, s.now().UnixMilli()).Slice()
	if err != nil {
		return "", umkm.Progress{}, fmt.Errorf("begin delivery of broadcast %s: %w", d.Broadcast, err)
	}
	o, p := decodeProgress(res)
	return o, p, nil
}

// settleDelivery: KEYS meta, rec, stream; ARGV recipient, entry, group,
// outcome, reason, now ms.
var settleDelivery = redis.NewScript(progressLua + `
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if cur == 'sending|' .. ARGV[2] then
elseif cur == 'unknown' then
  redis.call('HINCRBY', KEYS[1], 'unknown', -1)
elseif (not cur) and ARGV[4] == 'skipped' then
else
  redis.call('XACK', KEYS[3], ARGV[3], ARGV[2])
  redis.call('XDEL', KEYS[3], ARGV[2])
  return {'dup', 0, 0, 0, 0}
end
local v = ARGV[4]
if ARGV[5] ~= '' then v = v .. ':' .. ARGV[5] end
redis.call('HSET', KEYS[2], ARGV[1], v)
redis.call('HINCRBY', KEYS[1], ARGV[4], 1)
redis.call('XACK', KEYS[3], ARGV[3], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
return progress(ARGV[4], ARGV[6])
`)

// Settle records the outcome of d and acknowledges its entry. A skip may
// be recorded without Begin; a late outcome replaces "unknown".
func (s *BroadcastStore) Settle(ctx context.Context, d umkm.Delivery, o umkm.Outcome, reason string) (umkm.Progress, error) {
	switch o {
	case umkm.OutcomeSent, umkm.OutcomeFailed, umkm.OutcomeSkipped:
	default:
		return umkm.Progress{}, fmt.Errorf("settle delivery: outcome %q cannot be recorded", o)
	}
	res, err := settleDelivery.Run(ctx, s.rdb, s.deliveryKeys(d), d.To.String(), d.Entry, fanoutGroup,
		string(o), reason, s.now().UnixMilli()).Slice()
	if err != nil {
		return umkm.Progress{}, fmt.Errorf("settle delivery of broadcast %s: %w", d.Broadcast, err)
	}
	_, p := decodeProgress(res)
	return p, nil
}

// DeliveryRecord returns the idempotency record of one recipient ("" if none).
func (s *BroadcastStore) DeliveryRecord(ctx context.Context, id string, to bot.Conversation) (string, error) {
	v, err := s.rdb.HGet(ctx, s.bKey(id, "rec"), to.String()).Result()
	if isNil(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("load delivery record: %w", err)
	}
	return v, nil
}

func (s *BroadcastStore) deliveryKeys(d umkm.Delivery) []string {
	return []string{s.bKey(d.Broadcast, "meta"), s.bKey(d.Broadcast, "rec"), s.bStream(d.Broadcast, d.To.Channel)}
}

func decodeProgress(res []any) (umkm.Outcome, umkm.Progress) {
	if len(res) < 5 {
		return "", umkm.Progress{}
	}
	tag, _ := res[0].(string)
	n := func(i int) int64 { v, _ := res[i].(int64); return v }
	return umkm.Outcome(tag), umkm.Progress{Done: n(1), Audience: n(2), Milestone: int(n(3)), Finished: n(4) == 1}
}
