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

// putMsg appends the entry unless the id was seen within the window.
var putMsg = redis.NewScript(`
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1
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
	if err := s.rdb.ZAddNX(ctx, s.pendingKey(), redis.Z{Score: float64(s.now().UnixMilli()), Member: msg.Conv.String()}).Err(); err != nil {
		return false, fmt.Errorf("index queued conversation: %w", err)
	}
	return false, nil
}

// Head returns the oldest queued message of c.
func (s *Store) Head(ctx context.Context, c bot.Conversation) (bot.Message, bool, error) {
	entry, err := s.rdb.LIndex(ctx, s.convKey(c, "inbox"), 0).Result()
	if isNil(err) {
		if err := s.rdb.ZRem(ctx, s.pendingKey(), c.String()).Err(); err != nil {
			return bot.Message{}, false, fmt.Errorf("unindex conversation: %w", err)
		}
		return bot.Message{}, false, nil
	}
	if err != nil {
		return bot.Message{}, false, fmt.Errorf("read inbox: %w", err)
	}
	_, body, _ := strings.Cut(entry, "\n")
	var m bot.Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		// A corrupt entry must not block the conversation forever: hand it
		// on as an unsupported message, which the engine answers politely.
		id, _, _ := strings.Cut(entry, "\n")
		return bot.Message{ID: id, Conv: c, Kind: bot.KindUnsupported}, true, nil
	}
	return m, true, nil
}

// popMsg removes the head entry if it is message ARGV[1]; returns the length left.
var popMsg = redis.NewScript(`
local h = redis.call('LINDEX', KEYS[1], 0)
if h and string.sub(h, 1, #ARGV[1] + 1) == ARGV[1] .. '\n' then redis.call('LPOP', KEYS[1]) end
return redis.call('LLEN', KEYS[1])
`)

// Done removes message id from the head of c's queue.
func (s *Store) Done(ctx context.Context, c bot.Conversation, id string) error {
	left, err := popMsg.Run(ctx, s.rdb, []string{s.convKey(c, "inbox")}, id).Int()
	if err != nil {
		return fmt.Errorf("pop inbox: %w", err)
	}
	if left == 0 {
		if err := s.rdb.ZRem(ctx, s.pendingKey(), c.String()).Err(); err != nil {
			return fmt.Errorf("unindex conversation: %w", err)
		}
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

// Claim takes or extends the processing lease of c.
func (s *Store) Claim(ctx context.Context, c bot.Conversation, owner string, ttl time.Duration) (bool, error) {
	return s.ClaimLease(ctx, s.convKey(c, "lease"), owner, ttl)
}

// Release gives the lease of c up if owner holds it.
func (s *Store) Release(ctx context.Context, c bot.Conversation, owner string) error {
	return s.ReleaseLease(ctx, s.convKey(c, "lease"), owner)
}

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
