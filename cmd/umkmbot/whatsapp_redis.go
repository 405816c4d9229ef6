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
func waLeaseKey(s *store.Store) string  { return s.Key("wa", "connection") }
func waStatusKey(s *store.Store) string { return s.Key("wa", "status") }

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

// whatsappBulkAllowed tells a background job (broadcasts, reminders to
// many people) whether WhatsApp messages nobody asked for may go out now,
// whichever process holds the connection: false during a temporary ban or
// a reach-out time lock, with the time it ends.
func whatsappBulkAllowed(ctx context.Context, a *App) (bool, time.Time, error) {
	s, err := newRedisStatus(a.Store).LoadStatus(ctx)
	if err != nil {
		return false, time.Time{}, err
	}
	ok, until := s.BulkAllowed(time.Now())
	return ok, until, nil
}
