package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

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
func (s *ConversationStore) encodeState(st bot.State) ([]byte, error) {
	return s.appendEncodedState(make([]byte, 0, 768), st)
}

// appendEncodedState appends st as stored (encodeState) to b.
func (s *ConversationStore) appendEncodedState(b []byte, st bot.State) ([]byte, error) {
	if s.cipher != nil && (hasSealed(st.Answers) || len(st.Stack) > 0) {
		st = st.Clone()
		if err := s.sealAnswers(st.Answers); err != nil {
			return b, err
		}
		for _, f := range st.Stack {
			if err := s.sealAnswers(f.Answers); err != nil {
				return b, err
			}
		}
	}
	return appendState(b, st), nil
}

// appendState appends st's JSON as json.Marshal writes it (fields in
// order, map keys sorted, empty fields left out) without its reflection
// over the answers map, which copied every key and value: a tenth of a
// turn's allocations. TestStateJSON checks both against each other.
// Every field is written with a trailing comma, and the last one is
// turned into the closing bracket.
func appendState(b []byte, st bot.State) []byte {
	b = append(b, '{')
	b = appendField(b, "flow", st.Flow, true)
	b = appendInt(b, "flow_version", st.FlowVer)
	b = appendField(b, "step", string(st.Step), true)
	b = appendAnswers(b, st.Answers)
	b = appendList(b, "history", st.History)
	if len(st.Stack) > 0 {
		b = append(b, `"stack":[`...)
		for _, f := range st.Stack {
			b = append(b, '{')
			b = appendField(b, "flow", f.Flow, false)
			b = appendInt(b, "version", f.Version)
			b = appendField(b, "step", string(f.Step), false)
			b = appendAnswers(b, f.Answers)
			b = appendList(b, "history", f.History)
			b = append(b[:len(b)-1], "},"...)
		}
		b = append(b[:len(b)-1], "],"...)
	}
	b = appendField(b, "pending", st.Pending, true)
	b = append(b, `"updated":"`...)
	b = st.Updated.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `",`...)
	b = appendInt(b, "misses", st.Misses)
	b = appendList(b, "missed", st.Missed)
	b = appendField(b, "last_msg", st.LastMsg, true)
	return append(b[:len(b)-1], '}')
}

// appendField appends "key":"v", (nothing when v is empty and omitempty).
func appendField(b []byte, key, v string, omitempty bool) []byte {
	if v == "" && omitempty {
		return b
	}
	b = append(appendJSONString(b, key), ':')
	return append(appendJSONString(b, v), ',')
}

func appendAnswers(b []byte, m map[string]string) []byte {
	if len(m) == 0 {
		return b
	}
	var buf [32]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, `"answers":{`...)
	for _, k := range keys {
		b = append(appendJSONString(b, k), ':')
		b = append(appendJSONString(b, m[k]), ',')
	}
	return append(b[:len(b)-1], "},"...)
}

// appendInt appends "key":n, (nothing when n is 0: omitempty).
func appendInt(b []byte, key string, n int) []byte {
	if n == 0 {
		return b
	}
	b = append(appendJSONString(b, key), ':')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, ',')
}

func appendList[S ~string](b []byte, key string, vs []S) []byte {
	if len(vs) == 0 {
		return b
	}
	b = append(appendJSONString(b, key), ':', '[')
	for _, v := range vs {
		b = append(appendJSONString(b, string(v)), ',')
	}
	return append(b[:len(b)-1], "],"...)
}

// appendJSONString appends s quoted as encoding/json does: ", \ and
// control characters escaped, <, > and & as \u escapes, invalid UTF-8 as
// U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func hasSealed(a map[string]string) bool {
	for k := range sealedAnswers {
		if a[k] != "" {
			return true
		}
	}
	return false
}

func (s *ConversationStore) sealAnswers(a map[string]string) error {
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
func (s *ConversationStore) openState(st *bot.State) {
	if s.cipher == nil {
		return
	}
	s.openAnswers(st.Answers)
	for _, f := range st.Stack {
		s.openAnswers(f.Answers)
	}
}

func (s *ConversationStore) openAnswers(a map[string]string) {
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
func (s *ConversationStore) profileValue(field, v string) (string, error) {
	if field != bot.FieldPhone || v == "" || s.cipher == nil {
		return v, nil
	}
	return s.cipher.Seal(fieldPhone, v)
}

// decodeProfile reads a stored profile, opening its phone number (one that
// cannot be opened is left out: the channel reports it again).
func (s *ConversationStore) decodeProfile(m map[string]string) bot.Profile {
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
func (s *ConversationStore) scanKeys(ctx context.Context, match string) ([]string, error) {
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
func (s *ConversationStore) SealProfiles(ctx context.Context) (SealCounts, error) {
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
