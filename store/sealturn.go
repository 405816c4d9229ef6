package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

// The turn path keeps two things personal beyond the registration: the
// phone number a channel reports (the profile's phone field) and the
// answers of a flow in progress (a registration being typed holds the
// NIK and the phone; the profile editor holds the stored ones). With a
// Cipher both are sealed like a registration's, so Redis and the
// embedded snapshot never hold them in clear. Sealing costs no round
// trip: it happens where the turn's values are encoded and decoded.

// sealedAnswers are the answer keys of a conversation state that are
// sealed (the registration questions' ids, flows/daftar.go).
var sealedAnswers = map[string]string{"nik": fieldNIK, "hp": fieldPhone}

// encodeState returns st as stored: JSON with its personal answers sealed.
func (s *Store) encodeState(st bot.State) ([]byte, error) {
	if s.cipher != nil && (hasSealed(st.Answers) || len(st.Stack) > 0) {
		st = st.Clone()
		if err := s.sealAnswers(st.Answers); err != nil {
			return nil, err
		}
		for _, f := range st.Stack {
			if err := s.sealAnswers(f.Answers); err != nil {
				return nil, err
			}
		}
	}
	d, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return d, nil
}

func hasSealed(a map[string]string) bool {
	for k := range sealedAnswers {
		if a[k] != "" {
			return true
		}
	}
	return false
}

func (s *Store) sealAnswers(a map[string]string) error {
	for k, field := range sealedAnswers {
		if v := a[k]; v != "" {
			sealed, err := s.cipher.Seal(field, v)
			if err != nil {
				return fmt.Errorf("seal answer %s: %w", k, err)
			}
			a[k] = sealed
		}
	}
	return nil
}

// openState opens the sealed answers of a decoded state in place. An
// answer that cannot be opened (its key is gone) is dropped: the flow asks
// for it again.
func (s *Store) openState(st *bot.State) {
	if s.cipher == nil {
		return
	}
	s.openAnswers(st.Answers)
	for _, f := range st.Stack {
		s.openAnswers(f.Answers)
	}
}

func (s *Store) openAnswers(a map[string]string) {
	for k, field := range sealedAnswers {
		if v := a[k]; v != "" {
			plain, _, err := s.cipher.Open(field, v)
			if err != nil {
				delete(a, k)
				continue
			}
			a[k] = plain
		}
	}
}

// profileValue returns the stored form of a profile field's value.
func (s *Store) profileValue(field, v string) (string, error) {
	if field != bot.FieldPhone || v == "" || s.cipher == nil {
		return v, nil
	}
	return s.cipher.Seal(fieldPhone, v)
}

// decodeProfile reads a stored profile, opening its phone number (one that
// cannot be opened is left out: the channel reports it again).
func (s *Store) decodeProfile(m map[string]string) bot.Profile {
	p := decodeProfile(m)
	if s.cipher != nil && p.Phone != "" {
		plain, _, err := s.cipher.Open(fieldPhone, p.Phone)
		if err != nil {
			plain = ""
		}
		p.Phone = plain
	}
	return p
}

// scanKeys returns every key matching match (a SCAN pattern), on each
// primary of a Cluster.
func (s *Store) scanKeys(ctx context.Context, match string) ([]string, error) {
	var (
		mu   sync.Mutex
		keys []string
	)
	scan := func(ctx context.Context, c *redis.Client) error {
		var local []string
		it := c.Scan(ctx, 0, match, 1000).Iterator()
		for it.Next(ctx) {
			local = append(local, it.Val())
		}
		mu.Lock()
		keys = append(keys, local...)
		mu.Unlock()
		return it.Err()
	}
	var err error
	switch c := s.rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, scan)
	case *redis.Client:
		err = scan(ctx, c)
	default:
		return nil, fmt.Errorf("scan keys: unsupported client %T", s.rdb)
	}
	return keys, err
}

// resealPhone: KEYS profile; ARGV the stored phone read, its new form.
// Rewrites only if nothing changed it meanwhile.
var resealPhone = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'phone') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'phone', ARGV[2])
return 1
`)

// SealProfiles brings the phone numbers of every conversation's profile
// under the newest key (clear ones stored before encryption too), like
// SealRegistrations: safe beside serving (a phone changed meanwhile is
// left to the turn that changed it, which sealed it under the newest key)
// and resumable. A phone sealed under a key no longer configured is
// removed: the channel reports it again.
func (s *Store) SealProfiles(ctx context.Context) (SealCounts, error) {
	var c SealCounts
	if s.cipher == nil {
		return c, errors.New("no data key configured")
	}
	keys, err := s.scanKeys(ctx, s.prefix+":{q:*}:c:*:profile")
	if err != nil {
		return c, fmt.Errorf("seal profiles: %w", err)
	}
	for _, k := range keys {
		v, err := s.rdb.HGet(ctx, k, bot.FieldPhone).Result()
		if isNil(err) || v == "" {
			continue
		}
		if err != nil {
			return c, fmt.Errorf("seal profiles: %w", err)
		}
		c.Seen++
		if s.cipher.Current(v) {
			c.Unchanged++
			continue
		}
		next := ""
		if plain, _, err := s.cipher.Open(fieldPhone, v); err == nil {
			if next, err = s.cipher.Seal(fieldPhone, plain); err != nil {
				return c, err
			}
		}
		if next == "" {
			if err := s.rdb.HDel(ctx, k, bot.FieldPhone).Err(); err != nil {
				return c, fmt.Errorf("seal profiles: %w", err)
			}
			continue
		}
		if err := resealPhone.Run(ctx, s.rdb, []string{k}, v, next).Err(); err != nil {
			return c, fmt.Errorf("seal profiles: %w", err)
		}
		c.Sealed++
	}
	return c, nil
}
