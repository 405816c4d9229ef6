package store

import (
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Redis is what every aggregate shares: the go-redis client (one client,
// so one connection pool for the process), the key scheme, the clock and
// the cipher of personal data. Each aggregate embeds a *Redis, so its
// methods say s.rdb, s.Key(…), s.now() and s.cipher. It also gives the
// leases any process takes for work it does alone (inbox.go) and the
// audit log (audit.go).
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time
	cipher umkm.Cipher // nil keeps NIK and phone in clear (tests of other features)
}

// Client returns the underlying Redis client.
func (s *Redis) Client() redis.UniversalClient { return s.rdb }

// Prefix returns the key prefix.
func (s *Redis) Prefix() string { return s.prefix }

// Key builds "<prefix>:{<tag>}:<parts joined by :>".
func (s *Redis) Key(tag string, parts ...string) string {
	var b strings.Builder
	b.Grow(len(s.prefix) + len(tag) + 4 + 16*len(parts))
	b.WriteString(s.prefix)
	b.WriteString(":{")
	b.WriteString(tag)
	b.WriteString("}")
	for _, p := range parts {
		b.WriteByte(':')
		b.WriteString(p)
	}
	return b.String()
}
