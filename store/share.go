package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

// Shared turns (bot.Sharer): a list of offered conversations, by their
// ids ("telegram:42"), that every process sharing the turns takes from:
//
//	<prefix>:{share}:offers   list, oldest first
//
// One key for all conversations, so in a Redis Cluster every offer goes to
// one slot's primary: an offer is one RPUSH, and they are made only while
// a process has more than it can do.

func (s *ConversationStore) offersKey() string { return s.Key("share", "offers") }

// Offer offers c to the processes sharing the turns, after every other
// offer or, first, before them (see bot.Sharer).
func (s *ConversationStore) Offer(ctx context.Context, c bot.Conversation, first bool) error {
	push := s.rdb.RPush
	if first {
		push = s.rdb.LPush
	}
	if err := push(ctx, s.offersKey(), string(appendConv(nil, c))).Err(); err != nil {
		return fmt.Errorf("offer conversation: %w", err)
	}
	return nil
}

// Offers waits up to wait for offered conversations and returns up to max
// of them (see bot.Sharer): the first as it comes, the others that wait
// behind it in a second call. Ids that are no conversation's are dropped.
func (s *ConversationStore) Offers(ctx context.Context, wait time.Duration, max int) ([]bot.Conversation, error) {
	key := s.offersKey()
	kv, err := s.rdb.BLPop(ctx, wait, key).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("take offered conversations: %w", err)
	}
	ids := kv[1:]
	if max > 1 {
		// On an error the first is worked on, and the rest stay offered.
		more, _ := s.rdb.LPopCount(ctx, key, max-1).Result()
		ids = append(ids, more...)
	}
	out := make([]bot.Conversation, 0, len(ids))
	for _, id := range ids {
		if c, ok := bot.ParseConversation(id); ok {
			out = append(out, c)
		}
	}
	return out, nil
}
