package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The web console's accounts, sessions and login counters share the hash
// tag {adm}:
//   officers            set of account names
//   officer:<name>      the account (JSON)
//   sess:<id>           a session (JSON), expiring
//   osess:<name>        set of the account's session ids, to end them all
//   login:<key>         attempts counter of an account or an address, expiring
// Session ids are hashes of the cookie's token (the web package hashes
// them), so reading Redis does not give anyone a way in.

const admTag = "adm"

func (s *OfficerStore) admKey(parts ...string) string { return s.Key(admTag, parts...) }

// CreateOfficer stores a new account; umkm.ErrOfficerExists if the name is taken.
func (s *OfficerStore) CreateOfficer(ctx context.Context, o *umkm.Officer) error {
	body, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encode account: %w", err)
	}
	ok, err := s.rdb.SetNX(ctx, s.admKey("officer", o.Name), body, 0).Result()
	if err != nil {
		return fmt.Errorf("create account %s: %w", o.Name, err)
	}
	if !ok {
		return fmt.Errorf("account %s: %w", o.Name, umkm.ErrOfficerExists)
	}
	if err := s.rdb.SAdd(ctx, s.admKey("officers"), o.Name).Err(); err != nil {
		return fmt.Errorf("create account %s: %w", o.Name, err)
	}
	return nil
}

// SaveOfficer rewrites an existing account; bot.ErrNotFound if there is none.
func (s *OfficerStore) SaveOfficer(ctx context.Context, o *umkm.Officer) error {
	body, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encode account: %w", err)
	}
	ok, err := s.rdb.SetXX(ctx, s.admKey("officer", o.Name), body, redis.KeepTTL).Result()
	if err != nil {
		return fmt.Errorf("save account %s: %w", o.Name, err)
	}
	if !ok {
		return fmt.Errorf("account %s: %w", o.Name, bot.ErrNotFound)
	}
	return nil
}

// Officer returns one account; bot.ErrNotFound if there is none.
func (s *OfficerStore) Officer(ctx context.Context, name string) (*umkm.Officer, error) {
	body, err := s.rdb.Get(ctx, s.admKey("officer", name)).Bytes()
	if isNil(err) {
		return nil, fmt.Errorf("account %s: %w", name, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load account %s: %w", name, err)
	}
	var o umkm.Officer
	if err := json.Unmarshal(body, &o); err != nil {
		return nil, fmt.Errorf("decode account %s: %w", name, err)
	}
	return &o, nil
}

// Officers returns every account, by name.
func (s *OfficerStore) Officers(ctx context.Context) ([]*umkm.Officer, error) {
	names, err := s.rdb.SMembers(ctx, s.admKey("officers")).Result()
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	slices.Sort(names)
	out := make([]*umkm.Officer, 0, len(names))
	for _, n := range names {
		o, err := s.Officer(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// CreateSession stores a session under id for ttl.
func (s *OfficerStore) CreateSession(ctx context.Context, id string, sess umkm.OfficerSession, ttl time.Duration) error {
	body, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.admKey("sess", id), body, ttl)
		p.SAdd(ctx, s.admKey("osess", sess.Officer), id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Session returns the session stored under id and extends its life to ttl
// from now; bot.ErrNotFound when it does not exist or has expired.
func (s *OfficerStore) Session(ctx context.Context, id string, ttl time.Duration) (umkm.OfficerSession, error) {
	body, err := s.rdb.GetEx(ctx, s.admKey("sess", id), ttl).Bytes()
	if isNil(err) {
		return umkm.OfficerSession{}, bot.ErrNotFound
	}
	if err != nil {
		return umkm.OfficerSession{}, fmt.Errorf("load session: %w", err)
	}
	var sess umkm.OfficerSession
	if err := json.Unmarshal(body, &sess); err != nil {
		return umkm.OfficerSession{}, fmt.Errorf("decode session: %w", err)
	}
	return sess, nil
}

// DeleteSession ends one session (signing out).
func (s *OfficerStore) DeleteSession(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, s.admKey("sess", id)).Err(); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteOfficerSessions ends every session of an account (after a new
// password or when it is disabled).
func (s *OfficerStore) DeleteOfficerSessions(ctx context.Context, name string) error {
	set := s.admKey("osess", name)
	ids, err := s.rdb.SMembers(ctx, set).Result()
	if err != nil {
		return fmt.Errorf("list sessions of %s: %w", name, err)
	}
	keys := []string{set}
	for _, id := range ids {
		keys = append(keys, s.admKey("sess", id))
	}
	if err := s.rdb.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("delete sessions of %s: %w", name, err)
	}
	return nil
}

// countAttempts: KEYS the counters; ARGV window ms. Each counter is
// incremented, its window starting at its first attempt. Returns the counts.
var countAttempts = redis.NewScript(`
local out = {}
for i, k in ipairs(KEYS) do
  local n = redis.call('INCR', k)
  if n == 1 then redis.call('PEXPIRE', k, ARGV[1]) end
  out[i] = n
end
return out
`)

// LoginAttempt counts one sign-in attempt against each key (an account, an
// address) within window and returns the counts including this one.
// Counting before the password is checked keeps the limit exact even when
// attempts arrive in parallel.
func (s *OfficerStore) LoginAttempt(ctx context.Context, window time.Duration, keys ...string) ([]int64, error) {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = s.admKey("login", k)
	}
	res, err := countAttempts.Run(ctx, s.rdb, full, window.Milliseconds()).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("count sign-in attempts: %w", err)
	}
	return res, nil
}

// ClearLoginAttempts forgets the attempts counted against keys (after a
// successful sign-in, or when an admin sets a new password).
func (s *OfficerStore) ClearLoginAttempts(ctx context.Context, keys ...string) error {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = s.admKey("login", k)
	}
	if err := s.rdb.Del(ctx, full...).Err(); err != nil {
		return fmt.Errorf("clear sign-in attempts: %w", err)
	}
	return nil
}
