package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

// MigrateTurnKeys moves conversations stored under the layout before
// shards ("{c:<channel>:<user>}:state", ":profile", ":inbox") to their
// shard's keys (turn.go), once: a marker key records that it ran. It is
// idempotent and safe to interrupt: a key already at its new name is kept
// and the old one dropped. Products and owners' trainings stay under
// "{c:…}". Run it at start, before the dispatcher.
func (s *ConversationStore) MigrateTurnKeys(ctx context.Context) (moved int, err error) {
	marker := s.Key("meta", "turnkeys-v2")
	if n, err := s.rdb.Exists(ctx, marker).Result(); err != nil {
		return 0, fmt.Errorf("check migration marker: %w", err)
	} else if n == 1 {
		return 0, nil
	}
	keys, err := s.scanKeys(ctx, s.prefix+":{c:*")
	if err != nil {
		return 0, fmt.Errorf("migrate turn keys: scan: %w", err)
	}
	head := s.prefix + ":{c:"
	for _, old := range keys {
		rest := strings.TrimPrefix(old, head)
		convID, part, ok := strings.Cut(rest, "}:")
		if !ok || (part != "state" && part != "profile" && part != "inbox") {
			continue
		}
		c, ok := bot.ParseConversation(convID)
		if !ok {
			continue
		}
		k := s.turnKeys(c)
		dst := map[string]string{"state": k.state, "profile": k.profile, "inbox": k.inbox}[part]
		if err := s.moveKey(ctx, old, dst); err != nil {
			return moved, err
		}
		moved++
		if part == "inbox" {
			if err := s.rdb.ZAddNX(ctx, k.pending, redis.Z{Score: float64(s.now().UnixMilli()), Member: c.String()}).Err(); err != nil {
				return moved, fmt.Errorf("migrate turn keys: mark %s pending: %w", c.Masked(), err)
			}
		}
	}
	if err := s.rdb.Del(ctx, s.Key("inbox", "pending")).Err(); err != nil {
		return moved, fmt.Errorf("migrate turn keys: drop the old pending set: %w", err)
	}
	if err := s.rdb.Set(ctx, marker, "1", 0).Err(); err != nil {
		return moved, fmt.Errorf("migrate turn keys: set marker: %w", err)
	}
	return moved, nil
}

// moveKey copies old to dst (unless dst exists) with its TTL, then deletes
// old. It copies by type (hash, list) rather than DUMP/RESTORE so that it
// also works on the embedded store.
func (s *ConversationStore) moveKey(ctx context.Context, old, dst string) error {
	typ, err := s.rdb.Type(ctx, old).Result()
	if err != nil {
		return fmt.Errorf("migrate %s: type: %w", old, err)
	}
	ttl, err := s.rdb.PTTL(ctx, old).Result()
	if err != nil {
		return fmt.Errorf("migrate %s: ttl: %w", old, err)
	}
	exists, err := s.rdb.Exists(ctx, dst).Result()
	if err != nil {
		return fmt.Errorf("migrate %s: %w", old, err)
	}
	if exists == 0 {
		switch typ {
		case "hash":
			m, err := s.rdb.HGetAll(ctx, old).Result()
			if err == nil && len(m) > 0 {
				err = s.rdb.HSet(ctx, dst, m).Err()
			}
			if err != nil {
				return fmt.Errorf("migrate %s: %w", old, err)
			}
		case "list":
			vals, err := s.rdb.LRange(ctx, old, 0, -1).Result()
			if err == nil && len(vals) > 0 {
				args := make([]any, len(vals))
				for i, v := range vals {
					args[i] = v
				}
				err = s.rdb.RPush(ctx, dst, args...).Err()
			}
			if err != nil {
				return fmt.Errorf("migrate %s: %w", old, err)
			}
		default:
			return nil // not ours (or gone): leave it
		}
		if ttl > 0 {
			if err := s.rdb.PExpire(ctx, dst, ttl).Err(); err != nil {
				return fmt.Errorf("migrate %s: ttl: %w", old, err)
			}
		}
	}
	if err := s.rdb.Del(ctx, old).Err(); err != nil {
		return fmt.Errorf("migrate %s: delete: %w", old, err)
	}
	return nil
}
