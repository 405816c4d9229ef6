package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

// DefaultBroadcastRecordTTL is how long per-recipient broadcast records
// are kept after a broadcast ends, unless configured.
const DefaultBroadcastRecordTTL = 90 * 24 * time.Hour

// RetentionCounts is what one retention pass did.
type RetentionCounts struct {
	Broadcasts int // ended broadcasts looked at
	Scheduled  int // whose recipient records got their deletion deadline in this pass
	Removed    int // whose recipient records were past it and are gone
}

// expireRecords: KEYS meta, rec, queues…; ARGV ttl ms, now ms. For an
// ended broadcast (status done or cancelled, with its finished time) the
// recipient records and queues expire ttl after the end. Returns
// "running", "kept" (deadline set, still ahead: 'new' when it was not set
// before) or "removed".
var expireRecords = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
local fin = tonumber(redis.call('HGET', KEYS[1], 'finished') or '')
if (st ~= 'done' and st ~= 'cancelled') or not fin then return 'running' end
local deadline = fin + tonumber(ARGV[1])
local present = 0
for i = 2, #KEYS do present = present + redis.call('EXISTS', KEYS[i]) end
if present == 0 then return 'gone' end
if deadline <= tonumber(ARGV[2]) then
  for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
  return 'removed'
end
local had = redis.call('PTTL', KEYS[2])
for i = 2, #KEYS do redis.call('PEXPIREAT', KEYS[i], deadline) end
if had == -1 then return 'new' end
return 'kept'
`)

// ExpireBroadcastRecords enforces the retention of per-recipient
// broadcast records (who received which broadcast, with what outcome):
// ttl after a broadcast ends they are deleted, by a Redis expiry set on
// the first pass after the end and by deletion when a pass finds the
// deadline passed. Running broadcasts are left alone. channels are the
// program's registered channels: a broadcast has a delivery stream on
// each (bot.Channels.IDs). Several processes may run it at once.
func (s *BroadcastStore) ExpireBroadcastRecords(ctx context.Context, ttl time.Duration, channels []bot.ChannelID) (RetentionCounts, error) {
	var c RetentionCounts
	if ttl <= 0 {
		ttl = DefaultBroadcastRecordTTL
	}
	ids, err := s.rdb.ZRange(ctx, s.bcKey("all"), 0, -1).Result()
	if err != nil {
		return c, fmt.Errorf("list broadcasts: %w", err)
	}
	now := s.now().UnixMilli()
	for _, id := range ids {
		keys := []string{s.bKey(id, "meta"), s.bKey(id, "rec")}
		for _, ch := range channels {
			keys = append(keys, s.bStream(id, ch))
		}
		res, err := expireRecords.Run(ctx, s.rdb, keys, ttl.Milliseconds(), now).Text()
		if err != nil {
			return c, fmt.Errorf("expire records of broadcast %s: %w", id, err)
		}
		if res == "running" {
			continue
		}
		c.Broadcasts++
		switch res {
		case "new":
			c.Scheduled++
		case "removed":
			c.Removed++
		}
	}
	return c, nil
}
