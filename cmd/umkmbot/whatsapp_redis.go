package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot/whatsapp"
	"github.com/umkmbot/umkmbot/store"
)

// The WhatsApp channel's Redis keys share the hash tag {wa}:
//
//	<prefix>:{wa}:connection  the lease of the serve process holding the device connection
//	<prefix>:{wa}:status      whatsapp.Status as JSON: connection, ban, reach-out time lock
//	<prefix>:{wa}:relay       replies from processes without the connection, for the holder to send
//	<prefix>:{wa}:pairing     the pairing generation, {wa}:unlink a request to unlink (waSignal)
//	<prefix>:{wa}:pairer      the lease of the serve process pairing from its console page
func waLeaseKey(s *store.Store) string  { return s.Key("wa", "connection") }
func waPairerKey(s *store.Store) string { return s.Key("wa", "pairer") }
func waStatusKey(s *store.Store) string { return s.Key("wa", "status") }
func waRelayKey(s *store.Store) string  { return s.Key("wa", "relay") }

// addWhatsAppAdmins adds the conversation users (pseudonyms) of the
// ADMIN_WHATSAPP_NUMBERS to the admins, before anything reads them.
func addWhatsAppAdmins(ctx context.Context, a *App) error {
	admins := a.Cfg.Broadcast.AdminWhatsApp
	numbers := make([]string, 0, len(admins))
	for n := range admins {
		numbers = append(numbers, n)
	}
	for _, n := range numbers {
		u, err := a.Store.WhatsAppPseudonym(ctx, n)
		if err != nil {
			return fmt.Errorf("ADMIN_WHATSAPP_NUMBERS: %w", err)
		}
		// The conversation user is the pseudonym: replies and reminders
		// to the number go through it, never to a key holding the number.
		delete(admins, n)
		admins[u] = true
	}
	return nil
}

// redisRelay is the WhatsApp relay as a Redis list (RPUSH, BLPOP), trimmed
// to its newest items in the same transaction (LTRIM). With ttl set the
// list expires ttl after the last push (retention: the holder drops items
// older than the adapter's RelayMaxAge unsent, so a list nobody drained for
// that long holds nothing worth keeping).
type redisRelay struct {
	rdb redis.UniversalClient
	key string
	ttl time.Duration
}

var _ whatsapp.Relay = redisRelay{}

func (r redisRelay) Push(ctx context.Context, item []byte, limit int) (int64, error) {
	var push *redis.IntCmd
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		push = p.RPush(ctx, r.key, item)
		p.LTrim(ctx, r.key, -int64(limit), -1)
		if r.ttl > 0 {
			p.PExpire(ctx, r.key, r.ttl)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("push whatsapp relay: %w", err)
	}
	return max(push.Val()-int64(limit), 0), nil
}

func (r redisRelay) Pop(ctx context.Context, wait time.Duration) ([]byte, error) {
	kv, err := r.rdb.BLPop(ctx, wait, r.key).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pop whatsapp relay: %w", err)
	}
	return []byte(kv[1]), nil
}

// redisStatus keeps the WhatsApp status in Redis so the status command and
// jobs in other processes see it.
type redisStatus struct {
	rdb redis.UniversalClient
	key string
}

var _ whatsapp.StatusStore = redisStatus{}

func newRedisStatus(s *store.Store) redisStatus {
	return redisStatus{rdb: s.Client(), key: waStatusKey(s)}
}

func (r redisStatus) LoadStatus(ctx context.Context) (whatsapp.Status, error) {
	var s whatsapp.Status
	b, err := r.rdb.Get(ctx, r.key).Bytes()
	if errors.Is(err, redis.Nil) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("load whatsapp status: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("decode whatsapp status: %w", err)
	}
	return s, nil
}

func (r redisStatus) SaveStatus(ctx context.Context, s whatsapp.Status) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode whatsapp status: %w", err)
	}
	if err := r.rdb.Set(ctx, r.key, b, 0).Err(); err != nil {
		return fmt.Errorf("save whatsapp status: %w", err)
	}
	return nil
}
