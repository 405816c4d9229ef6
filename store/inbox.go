package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

var _ bot.Inbox = (*Store)(nil)

// The inbox of a conversation is a list of "<id>\n<json>" entries; a seen
// key per message id drops repeats; a sorted set of conversations with
// queued messages lets any process find work a crashed one left.

func (s *Store) pendingKey() string { return s.Key("inbox", "pending") }

// putMsg appends the entry unless the id was seen within the window;
// returns 0 for a repeat, else the queue length.
var putMsg = redis.NewScript(`
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then return 0 end
return redis.call('RPUSH', KEYS[2], ARGV[1])
`)

// Put queues msg durably; dup reports a message id seen before.
func (s *Store) Put(ctx context.Context, msg bot.Message) (bool, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return false, fmt.Errorf("encode message: %w", err)
	}
	entry := msg.ID + "\n" + string(body)
	n, err := putMsg.Run(ctx, s.rdb,
		[]string{s.convKey(msg.Conv, "seen:"+msg.ID), s.convKey(msg.Conv, "inbox")},
		entry, s.dedupeTTL.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("queue message: %w", err)
	}
	if n == 0 {
		return true, nil
	}
	if n == 1 { // the first in the queue: make it findable after a crash
		if err := s.index(ctx, msg.Conv); err != nil {
			return false, err
		}
	}
	return false, nil
}

// nextMsg: KEYS inbox, lease; ARGV owner, ttl ms, done id. Returns {0}
// when another owner holds the lease, {1} when the queue is empty (lease
// given up), {2, entry} with the new head (lease taken or extended).
var nextMsg = redis.NewScript(`
local l = redis.call('GET', KEYS[2])
if l and l ~= ARGV[1] then return {0} end
if ARGV[3] ~= '' then
  local h = redis.call('LINDEX', KEYS[1], 0)
  if h and string.sub(h, 1, #ARGV[3] + 1) == ARGV[3] .. '\n' then redis.call('LPOP', KEYS[1]) end
end
local h = redis.call('LINDEX', KEYS[1], 0)
if not h then
  if l then redis.call('DEL', KEYS[2]) end
  return {1}
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return {2, h}
`)

// Next removes message done from the head of c's queue and returns the new
// head under owner's lease. One round trip per message.
func (s *Store) Next(ctx context.Context, c bot.Conversation, owner, done string, ttl time.Duration) (bot.Message, bool, error) {
	res, err := nextMsg.Run(ctx, s.rdb, []string{s.convKey(c, "inbox"), s.convKey(c, "lease")},
		owner, ttl.Milliseconds(), done).Slice()
	if err != nil {
		return bot.Message{}, false, fmt.Errorf("next message: %w", err)
	}
	switch code, _ := res[0].(int64); code {
	case 0:
		return bot.Message{}, false, nil
	case 1:
		return bot.Message{}, false, s.unindex(ctx, c)
	}
	entry, _ := res[1].(string)
	id, body, _ := strings.Cut(entry, "\n")
	var m bot.Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		// A corrupt entry must not block the conversation forever: hand it
		// on as an unsupported message, which the engine answers politely.
		return bot.Message{ID: id, Conv: c, Kind: bot.KindUnsupported}, true, nil
	}
	return m, true, nil
}

// unindex drops c from the pending set once its queue is empty. A message
// queued meanwhile puts it back: Put pushes before it indexes, so checking
// the length after removing closes the gap.
func (s *Store) unindex(ctx context.Context, c bot.Conversation) error {
	if err := s.rdb.ZRem(ctx, s.pendingKey(), c.String()).Err(); err != nil {
		return fmt.Errorf("unindex conversation: %w", err)
	}
	n, err := s.rdb.LLen(ctx, s.convKey(c, "inbox")).Result()
	if err != nil {
		return fmt.Errorf("check inbox: %w", err)
	}
	if n > 0 {
		return s.index(ctx, c)
	}
	return nil
}

func (s *Store) index(ctx context.Context, c bot.Conversation) error {
	if err := s.rdb.ZAddNX(ctx, s.pendingKey(), redis.Z{Score: float64(s.now().UnixMilli()), Member: c.String()}).Err(); err != nil {
		return fmt.Errorf("index queued conversation: %w", err)
	}
	return nil
}

// releaseMsg: KEYS inbox, lease; ARGV owner, done id.
var releaseMsg = redis.NewScript(`
if ARGV[2] ~= '' then
  local h = redis.call('LINDEX', KEYS[1], 0)
  if h and string.sub(h, 1, #ARGV[2] + 1) == ARGV[2] .. '\n' then redis.call('LPOP', KEYS[1]) end
end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return redis.call('LLEN', KEYS[1])
`)

// Release removes message done and gives c's lease up.
func (s *Store) Release(ctx context.Context, c bot.Conversation, owner, done string) error {
	n, err := releaseMsg.Run(ctx, s.rdb, []string{s.convKey(c, "inbox"), s.convKey(c, "lease")}, owner, done).Int()
	if err != nil {
		return fmt.Errorf("release conversation: %w", err)
	}
	if n == 0 {
		return s.unindex(ctx, c)
	}
	return nil
}

var claimLease = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
`)

var releaseLease = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// ClaimLease takes or extends the lease at key for owner. Channels use it
// for their own leases (one poller per bot token, one WhatsApp connection).
func (s *Store) ClaimLease(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	n, err := claimLease.Run(ctx, s.rdb, []string{key}, owner, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("claim lease: %w", err)
	}
	return n == 1, nil
}

// ReleaseLease deletes the lease at key if owner holds it.
func (s *Store) ReleaseLease(ctx context.Context, key, owner string) error {
	if err := releaseLease.Run(ctx, s.rdb, []string{key}, owner).Err(); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}

// Pending lists conversations with queued messages, oldest first (at most 1000).
func (s *Store) Pending(ctx context.Context) ([]bot.Conversation, error) {
	ids, err := s.rdb.ZRange(ctx, s.pendingKey(), 0, 999).Result()
	if err != nil {
		return nil, fmt.Errorf("list queued conversations: %w", err)
	}
	out := make([]bot.Conversation, 0, len(ids))
	for _, id := range ids {
		if c, ok := bot.ParseConversation(id); ok {
			out = append(out, c)
		}
	}
	return out, nil
}
