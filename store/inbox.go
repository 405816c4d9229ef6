package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

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
func (s *Redis) ClaimLease(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	n, err := claimLease.Run(ctx, s.rdb, []string{key}, owner, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("claim lease: %w", err)
	}
	return n == 1, nil
}

// ReleaseLease deletes the lease at key if owner holds it.
func (s *Redis) ReleaseLease(ctx context.Context, key, owner string) error {
	if err := releaseLease.Run(ctx, s.rdb, []string{key}, owner).Err(); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}
