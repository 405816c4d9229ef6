package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The audit log is one stream with its own hash tag, "{audit}:log": the
// code only appends to it (XADD) and reads it (XRANGE); entries older than
// the retention are trimmed by their id (MINID), which is their time.

// AuditLog appends to and reads the audit log. Use Store.AuditLog.
type AuditLog struct {
	s   *Redis
	ttl time.Duration
}

var _ umkm.Auditor = (*AuditLog)(nil)

// DefaultAuditTTL is how long audit entries are kept unless configured.
const DefaultAuditTTL = 2 * 365 * 24 * time.Hour

// AuditLog returns the audit log keeping entries for ttl (0: DefaultAuditTTL).
func (s *Redis) AuditLog(ttl time.Duration) *AuditLog {
	if ttl <= 0 {
		ttl = DefaultAuditTTL
	}
	return &AuditLog{s: s, ttl: ttl}
}

func (l *AuditLog) key() string { return l.s.Key("audit", "log") }

func (l *AuditLog) minID(now time.Time) string {
	return strconv.FormatInt(now.Add(-l.ttl).UnixMilli(), 10)
}

// Audit appends e, dropping entries older than the retention on the way.
func (l *AuditLog) Audit(ctx context.Context, e umkm.AuditEntry) error {
	now := l.s.now()
	if e.At.IsZero() {
		e.At = now
	}
	err := l.s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: l.key(), MinID: l.minID(now), Values: []any{
		"at", e.At.UTC().Format(time.RFC3339Nano), "actor", e.Actor, "action", e.Action,
		"subject", e.Subject, "count", strconv.Itoa(e.Count), "detail", e.Detail,
	}}).Err()
	if err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// List calls fn for each entry at or after since, oldest first.
func (l *AuditLog) List(ctx context.Context, since time.Time, fn func(umkm.AuditEntry) error) error {
	start := "-"
	if !since.IsZero() {
		start = strconv.FormatInt(since.UnixMilli(), 10)
	}
	const page = 500
	for {
		msgs, err := l.s.rdb.XRangeN(ctx, l.key(), start, "+", page).Result()
		if err != nil {
			return fmt.Errorf("read audit log: %w", err)
		}
		for _, m := range msgs {
			if err := fn(auditEntry(m)); err != nil {
				return err
			}
		}
		if len(msgs) < page {
			return nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// Recent returns the last n entries, newest first (the console's page).
func (l *AuditLog) Recent(ctx context.Context, n int) ([]umkm.AuditEntry, error) {
	msgs, err := l.s.rdb.XRevRangeN(ctx, l.key(), "+", "-", int64(n)).Result()
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	out := make([]umkm.AuditEntry, len(msgs))
	for i, m := range msgs {
		out[i] = auditEntry(m)
	}
	return out, nil
}

func auditEntry(m redis.XMessage) umkm.AuditEntry {
	str := func(k string) string { v, _ := m.Values[k].(string); return v }
	e := umkm.AuditEntry{ID: m.ID, Actor: str("actor"), Action: str("action"), Subject: str("subject"), Detail: str("detail")}
	e.At, _ = time.Parse(time.RFC3339Nano, str("at"))
	e.Count, _ = strconv.Atoi(str("count"))
	return e
}

// Trim drops entries older than the retention and returns how many; the
// retention job calls it so that a quiet log still ages out.
func (l *AuditLog) Trim(ctx context.Context) (int64, error) {
	n, err := l.s.rdb.XTrimMinID(ctx, l.key(), l.minID(l.s.now())).Result()
	if err != nil {
		return 0, fmt.Errorf("trim audit log: %w", err)
	}
	return n, nil
}
