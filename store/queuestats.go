package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

var _ bot.QueueStatser = (*Store)(nil)

// QueueStats reads the depth of the inbox (the queued messages of every
// conversation in the pending index) and the age of its oldest entry: the
// conversation indexed first, whose score is when its queue stopped being
// empty (an upper bound when a conversation's queue never runs dry).
// Replies are sent at once, without a durable outbox, so the outbox is
// always empty here.
//
// One ZRANGE, then one pipelined LLEN per 500 queued conversations: cheap
// while queues drain, as they should; a long backlog makes it slower but
// a scrape bounds it with its timeout.
func (s *Store) QueueStats(ctx context.Context) (bot.QueueStats, error) {
	var st bot.QueueStats
	pending, err := s.rdb.ZRangeWithScores(ctx, s.pendingKey(), 0, -1).Result()
	if err != nil {
		return st, fmt.Errorf("queue stats: %w", err)
	}
	if len(pending) == 0 {
		return st, nil
	}
	if age := s.now().Sub(time.UnixMilli(int64(pending[0].Score))); age > 0 {
		st.InboxOldest = age
	}
	const batch = 500
	for i := 0; i < len(pending); i += batch {
		part := pending[i:min(i+batch, len(pending))]
		cmds := make([]*redis.IntCmd, len(part))
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j, z := range part {
				c, _ := bot.ParseConversation(fmt.Sprint(z.Member))
				cmds[j] = p.LLen(ctx, s.convKey(c, "inbox"))
			}
			return nil
		}); err != nil {
			return st, fmt.Errorf("queue stats: %w", err)
		}
		for _, c := range cmds {
			st.InboxDepth += c.Val()
		}
	}
	return st, nil
}
