package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The turn path keeps two things personal beyond the registration: the
// phone number a channel reports (the profile's phone field) and the
// answers of a flow in progress (a registration being typed holds the
// NIK and the phone; the profile editor holds the stored ones). With a
// Cipher both are sealed like a registration's, so Redis and the
// embedded snapshot never hold them in clear. Sealing costs no round
// trip: it happens where the turn's values are encoded and decoded.

// sealedAnswers are the answer keys of a conversation state that are
// sealed (the registration questions' ids, flows/daftar.go), with the
// field each is sealed as.
var sealedAnswers = [...]struct{ key, field string }{{"nik", fieldNIK}, {"hp", fieldPhone}}

// sealedAnswer returns the index in sealedAnswers of answer key k, -1
// when k is not sealed.
func sealedAnswer(k string) int {
	for i, a := range sealedAnswers {
		if a.key == k {
			return i
		}
	}
	return -1
}

// encodeState returns st as stored: JSON with its personal answers sealed.
func (s *ConversationStore) encodeState(st bot.State) ([]byte, error) {
	return s.appendEncodedState(make([]byte, 0, 768), st)
}

// appendEncodedState appends st as stored (encodeState) to b. The answers
// are sealed as they are written: st is not copied.
func (s *ConversationStore) appendEncodedState(b []byte, st bot.State) ([]byte, error) {
	return s.appendSealedState(b, st, nil)
}

// appendTurnState is appendEncodedState for a commit of c's turn: an
// answer still holding the value c's last commit sealed is written in the
// sealed form written then (s.seals), not sealed again.
func (s *ConversationStore) appendTurnState(b []byte, c bot.Conversation, st bot.State) ([]byte, error) {
	return s.appendSealedState(b, st, &stateSealer{cipher: s.cipher, memo: &s.seals, conv: c})
}

func (s *ConversationStore) appendSealedState(b []byte, st bot.State, z *stateSealer) ([]byte, error) {
	if s.cipher == nil {
		return appendState(b, st, nil), nil
	}
	if z == nil {
		z = &stateSealer{cipher: s.cipher}
	}
	from := len(b)
	if b = appendState(b, st, z); z.err != nil {
		return b[:from], z.err
	}
	if z.memo != nil {
		z.memo.keep(z.conv, z.wrote)
	}
	return b, nil
}

// appendState appends st's JSON as json.Marshal writes it (fields in
// order, map keys sorted, empty fields left out) without its reflection
// over the answers map, which copied every key and value: a tenth of a
// turn's allocations. TestStateJSON checks both against each other.
// Every field is written with a trailing comma, and the last one is
// turned into the closing bracket. With z, the answers of sealedAnswers
// are written sealed (z.err says when one could not be).
func appendState(b []byte, st bot.State, z *stateSealer) []byte {
	b = append(b, '{')
	b = appendField(b, "flow", st.Flow, true)
	b = appendInt(b, "flow_version", st.FlowVer)
	b = appendField(b, "step", string(st.Step), true)
	b = appendAnswers(b, st.Answers, z)
	b = appendList(b, "history", st.History)
	if len(st.Stack) > 0 {
		b = append(b, `"stack":[`...)
		for _, f := range st.Stack {
			b = append(b, '{')
			b = appendField(b, "flow", f.Flow, false)
			b = appendInt(b, "version", f.Version)
			b = appendField(b, "step", string(f.Step), false)
			b = appendAnswers(b, f.Answers, z)
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

// appendAnswers appends "answers":{...}, with the keys sorted (nothing
// when m is empty); with z, the answers of sealedAnswers sealed.
func appendAnswers(b []byte, m map[string]string, z *stateSealer) []byte {
	if len(m) == 0 {
		return b
	}
	type answer struct{ k, v string }
	var buf [32]answer
	as := buf[:0]
	for k, v := range m { // key and value together: no second lookup
		as = append(as, answer{k, v})
	}
	slices.SortFunc(as, func(x, y answer) int { return strings.Compare(x.k, y.k) })
	b = append(b, `"answers":{`...)
	for _, a := range as {
		v := a.v
		if z != nil && v != "" {
			if i := sealedAnswer(a.k); i >= 0 {
				v = z.seal(i, v)
			}
		}
		b = append(appendJSONString(b, a.k), ':')
		b = append(appendJSONString(b, v), ',')
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

// jsonSafe says which ASCII bytes encoding/json writes as they are (not
// control characters, quotes, backslashes, or the HTML-escaped < > &): one
// look-up a byte instead of six comparisons.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString appends s quoted as encoding/json does: ", \ and
// control characters escaped, <, > and & as \u escapes, invalid UTF-8 as
// U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
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

// stateSealer seals the answers of a state as it is written. With a
// memo, an answer whose value the conversation's last commit sealed is
// written as sealed then.
type stateSealer struct {
	cipher umkm.Cipher
	memo   *sealMemo // nil: seal every answer
	conv   bot.Conversation
	wrote  convSlots // the answers written sealed
	err    error     // the first answer that could not be sealed
}

// convSlots is a set of indexes of sealedAnswers.
type convSlots uint8

// seal returns the sealed form of plain, the value of sealedAnswers[i].
func (z *stateSealer) seal(i int, plain string) string {
	if z.err != nil {
		return ""
	}
	a := sealedAnswers[i]
	z.wrote |= 1 << i
	if z.memo != nil {
		if sealed, ok := z.memo.get(z.cipher, z.conv, i, plain); ok {
			return sealed
		}
	}
	sealed, err := z.cipher.Seal(a.field, plain)
	if err != nil {
		z.err = fmt.Errorf("seal answer %s: %w", a.key, err)
		return ""
	}
	if z.memo != nil {
		z.memo.put(z.conv, i, plain, sealed)
	}
	return sealed
}

// sealMemo keeps, per conversation, the answers its last commit sealed,
// each with its plain value, so that the next commits write the same
// sealed form while the answer does not change (sealing is a random
// nonce, AES-GCM and base64: a third of a commit's encoding, done again
// on every turn of a registration for the NIK and the phone typed at its
// start). A sealed form is reused only for the same conversation, the
// same answer (its field is the sealing's additional data) and the same
// plain value, while its key is still the current one (the memo is its
// store's, whose cipher it is; TestSealMemoNeverReusedForAnotherValue); and only while every
// commit since wrote that answer: a commit without it (the answer
// removed, the person's data erased) forgets its form, so a value typed
// again later is sealed afresh and cannot be linked to copies of the
// earlier state. It is bounded like the state cache.
//
// Reusing the sealed form of an unchanged answer tells a reader of
// Redis no more than the state did before (an answer that stays is
// visible as an answer that stays); forms are never shared between
// conversations, which would show that two of them hold the same NIK.
type sealMemo struct {
	mu sync.Mutex
	m  map[bot.Conversation]convSeals
}

type convSeals [len(sealedAnswers)]sealedForm

type sealedForm struct{ plain, sealed string }

// get returns c's sealed form of plain as sealedAnswers[i], if its last
// commit wrote one under a key of ci that is still current.
func (m *sealMemo) get(ci umkm.Cipher, c bot.Conversation, i int, plain string) (string, bool) {
	m.mu.Lock()
	f := m.m[c][i]
	m.mu.Unlock()
	if f.sealed == "" || f.plain != plain || !ci.Current(f.sealed) {
		return "", false
	}
	return f.sealed, true
}

func (m *sealMemo) put(c bot.Conversation, i int, plain, sealed string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[bot.Conversation]convSeals)
	}
	trim(m.m)
	cs := m.m[c]
	cs[i] = sealedForm{plain: plain, sealed: sealed}
	m.m[c] = cs
}

// keep forgets c's forms of the answers not in wrote (its commit did not
// write them).
func (m *sealMemo) keep(c bot.Conversation, wrote convSlots) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cs, ok := m.m[c]
	if !ok {
		return
	}
	kept := false
	for i := range cs {
		if wrote&(1<<i) == 0 {
			cs[i] = sealedForm{}
		}
		kept = kept || cs[i].sealed != ""
	}
	if !kept {
		delete(m.m, c)
		return
	}
	m.m[c] = cs
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
	for _, sa := range sealedAnswers {
		if v := a[sa.key]; v != "" {
			plain, _, err := s.cipher.Open(sa.field, v)
			if err != nil {
				delete(a, sa.key)
				continue
			}
			a[sa.key] = plain
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
