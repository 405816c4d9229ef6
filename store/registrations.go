package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

var _ umkm.RegistrationStore = (*RegistrationStore)(nil)

// A region's registrations share the hash tag {r:<code digits>}:
//   seq         INCR counter for registration numbers
//   nik         hash NIK blind index → ids joined by ","
//   conv        hash conversation → id
//   all         sorted set id → registration time (ms)
//   reg:<id>    the record (JSON; NIK and phone sealed by the store's Cipher)
//   ix:…        audience index sets of ids (audience_index.go)
// Keeping them in one slot lets one script check the NIK, take a number
// and write the record atomically, on a single node or on Cluster.
//
// With a Cipher the NIK index is keyed by the NIK's blind index (an HMAC),
// one per configured key: a look-up asks for all of them, so entries made
// before a key rotation are still found, and every write moves the entry
// to the newest key's index. Without a Cipher (tests of other features)
// the index and the record hold the NIK in clear.

func regionTag(region string) string { return "r:" + strings.ReplaceAll(region, ".", "") }

func (s *RegistrationStore) regKeys(region string) []string {
	tag := regionTag(region)
	return []string{s.Key(tag, "seq"), s.Key(tag, "nik"), s.Key(tag, "conv"), s.Key(tag, "all")}
}

// regKey is the one key of regKeys named name ("nik", "conv"), for a
// look-up that needs only it: the turns of the registration read one, and
// building all four for it was most of the look-up's allocations.
func (s *RegistrationStore) regKey(region, name string) string {
	return s.Key(regionTag(region), name)
}

// regRecord is the stored form: the registration plus its conversation.
type regRecord struct {
	*umkm.Registration
	Conv string `json:"conv"`
}

// Sealed fields of a registration.
const (
	fieldNIK   = "nik"
	fieldPhone = "phone"
)

// nikIndex returns the index fields of nik, the newest key's first.
func (s *RegistrationStore) nikIndex(nik string) []string {
	if s.cipher == nil {
		return []string{nik}
	}
	return s.cipher.Index(fieldNIK, nik)
}

// encodeReg returns the stored form of r: without its id (the key names
// it), NIK and phone sealed.
func (s *RegistrationStore) encodeReg(r *umkm.Registration) (string, error) {
	c := *r
	c.ID = ""
	if s.cipher != nil {
		var err error
		if c.NIK, err = s.seal(fieldNIK, c.NIK); err != nil {
			return "", err
		}
		if c.Phone, err = s.seal(fieldPhone, c.Phone); err != nil {
			return "", err
		}
	}
	body, err := json.Marshal(regRecord{Registration: &c, Conv: c.Conv.String()})
	if err != nil {
		return "", fmt.Errorf("encode registration: %w", err)
	}
	return string(body), nil
}

func (s *RegistrationStore) seal(field, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	return s.cipher.Seal(field, v)
}

// regCrypto says how a stored record's personal fields are kept.
type regCrypto struct {
	clearNIK bool // the NIK is stored in clear (before `migrate encrypt`)
	current  bool // NIK and phone are sealed under the newest key (or empty)
}

// decodeReg reads a stored record and opens its sealed fields.
func (s *RegistrationStore) decodeReg(id string, body []byte) (*umkm.Registration, regCrypto, error) {
	rec := regRecord{Registration: &umkm.Registration{}}
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, regCrypto{}, fmt.Errorf("decode registration %s: %w", id, err)
	}
	r := rec.Registration
	r.ID = id
	r.Conv, _ = bot.ParseConversation(rec.Conv)
	cr := regCrypto{current: true}
	if s.cipher == nil {
		return r, cr, nil
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{fieldNIK, &r.NIK}, {fieldPhone, &r.Phone}} {
		if *f.v == "" {
			continue
		}
		if !s.cipher.Current(*f.v) {
			cr.current = false
		}
		plain, sealed, err := s.cipher.Open(f.name, *f.v)
		if err != nil {
			return nil, cr, fmt.Errorf("registration %s: %w", id, err)
		}
		if !sealed && f.name == fieldNIK {
			cr.clearNIK = true
		}
		*f.v = plain
	}
	return r, cr, nil
}

// createReg: KEYS seq, nik, conv, all, the search dictionary, then the
// index sets the registration joins; ARGV conv, max, record, key prefix
// of records, region digits, time ms, the number of dictionary words, the
// words, then the NIK's index fields, the newest key's first. Returns
// {status, id}.
var createReg = redis.NewScript(`
local mine = redis.call('HGET', KEYS[3], ARGV[1])
if mine then return {'exists', mine} end
local nw = tonumber(ARGV[7])
local nik = 8 + nw
local n, first = 0, nil
for i = nik, #ARGV do
  local ids = redis.call('HGET', KEYS[2], ARGV[i])
  if ids then for id in string.gmatch(ids, '[^,]+') do n = n + 1; first = first or id end end
end
if n >= tonumber(ARGV[2]) then return {'dup', first} end
local seq = redis.call('INCR', KEYS[1])
local id = string.format('UMKM-%s-%06d', ARGV[5], seq)
redis.call('SET', ARGV[4] .. id, ARGV[3])
local cur = redis.call('HGET', KEYS[2], ARGV[nik])
if cur then redis.call('HSET', KEYS[2], ARGV[nik], cur .. ',' .. id) else redis.call('HSET', KEYS[2], ARGV[nik], id) end
redis.call('HSET', KEYS[3], ARGV[1], id)
redis.call('ZADD', KEYS[4], ARGV[6], id)
for i = 8, 7 + nw do redis.call('ZADD', KEYS[5], 0, ARGV[i]) end
for i = 6, #KEYS do redis.call('SADD', KEYS[i], id) end
return {'new', id}
`)

// CreateRegistration stores r with the next number of its region.
func (s *RegistrationStore) CreateRegistration(ctx context.Context, r *umkm.Registration, maxPerNIK int) error {
	if maxPerNIK < 1 {
		maxPerNIK = 1
	}
	body, err := s.encodeReg(r)
	if err != nil {
		return err
	}
	region := strings.ReplaceAll(r.Region, ".", "")
	words := dictWords(r)
	niks := s.nikIndex(r.NIK)
	args := make([]string, 0, 7+len(words)+len(niks))
	args = append(args, r.Conv.String(), strconv.Itoa(maxPerNIK), body, s.Key(regionTag(r.Region), "reg:"), region,
		strconv.FormatInt(r.RegisteredAt.UnixMilli(), 10), strconv.Itoa(len(words)))
	args = append(append(args, words...), niks...)
	ix := s.ixKeys(r)
	keys := make([]string, 0, 5+len(ix))
	keys = append(append(append(keys, s.regKeys(r.Region)...), s.Key(regionTag(r.Region), ixDict)), ix...)
	// Through the batcher: when many confirm at once (a closed loop of
	// people at the same step), their scripts go in the turns' pipelines
	// instead of each waiting for a connection of the pool.
	out, err := s.eval(ctx, createReg, keys, args)
	if err != nil {
		return fmt.Errorf("create registration: %w", err)
	}
	var res [2]string
	for i := range min(len(out), 2) {
		res[i], _ = out[i].(string)
	}
	if res[1] == "" {
		return fmt.Errorf("create registration: unexpected reply %v", out)
	}
	switch res[0] {
	case "new":
		r.ID = res[1]
		return nil
	case "exists":
		got, err := s.Registration(ctx, res[1])
		if err != nil {
			return err
		}
		if got.NIK != r.NIK {
			return &umkm.DuplicateNIKError{Existing: res[1]}
		}
		*r = *got
		return nil
	default:
		return &umkm.DuplicateNIKError{Existing: res[1]}
	}
}

// regionOfID returns the region digits of "UMKM-3214-000123".
func regionOfID(id string) (string, bool) {
	parts := strings.Split(id, "-")
	if len(parts) != 3 || parts[0] != "UMKM" || parts[1] == "" {
		return "", false
	}
	return parts[1], true
}

// Registration returns one registration by id.
func (s *RegistrationStore) Registration(ctx context.Context, id string) (*umkm.Registration, error) {
	r, _, _, err := s.loadReg(ctx, id)
	return r, err
}

// loadReg returns a registration, its stored body and how it is kept.
func (s *RegistrationStore) loadReg(ctx context.Context, id string) (*umkm.Registration, string, regCrypto, error) {
	region, ok := regionOfID(id)
	if !ok {
		return nil, "", regCrypto{}, fmt.Errorf("registration %q: %w", id, bot.ErrNotFound)
	}
	body, err := s.rdb.Get(ctx, s.Key("r:"+region, "reg:"+id)).Result()
	if isNil(err) {
		return nil, "", regCrypto{}, fmt.Errorf("registration %s: %w", id, bot.ErrNotFound)
	}
	if err != nil {
		return nil, "", regCrypto{}, fmt.Errorf("load registration %s: %w", id, err)
	}
	r, cr, err := s.decodeReg(id, []byte(body))
	return r, body, cr, err
}

// luaLeaveNIK: leaveNIK(key, field, id) takes id out of the NIK index
// entry field of hash key, removing the entry when it is left empty.
const luaLeaveNIK = `
local function leaveNIK(key, field, id)
  local ids = redis.call('HGET', key, field)
  if not ids then return end
  local keep = {}
  for x in string.gmatch(ids, '[^,]+') do if x ~= id then table.insert(keep, x) end end
  if #keep == 0 then redis.call('HDEL', key, field) else redis.call('HSET', key, field, table.concat(keep, ',')) end
end
`

// updateReg: KEYS nik, record, the search dictionary, then the index
// sets to leave and those to join; ARGV id, record, max (0: no check),
// the stored body expected ("" for any), the number of old index fields,
// the old index fields, then the new ones (the newest key's first), the
// dictionary words of the new record, their number, and last the number
// of index sets to leave. The id leaves every old and new index field and
// joins the newest one; a NIK another registration holds (as many times
// as max) is refused.
var updateReg = redis.NewScript(luaLeaveNIK + `
local body = redis.call('GET', KEYS[2])
if not body then return 'missing' end
if ARGV[4] ~= '' and body ~= ARGV[4] then return 'changed' end
local nw = tonumber(ARGV[#ARGV - 1])
local last = #ARGV - 2 - nw
local first_new = 6 + tonumber(ARGV[5])
local mine, n, first = false, 0, nil
for i = first_new, last do
  local ids = redis.call('HGET', KEYS[1], ARGV[i])
  if ids then for x in string.gmatch(ids, '[^,]+') do
    if x == ARGV[1] then mine = true else n = n + 1; first = first or x end
  end end
end
if tonumber(ARGV[3]) > 0 and not mine and n >= tonumber(ARGV[3]) then return 'dup:' .. first end
for i = 6, last do leaveNIK(KEYS[1], ARGV[i], ARGV[1]) end
local cur = redis.call('HGET', KEYS[1], ARGV[first_new])
if cur then redis.call('HSET', KEYS[1], ARGV[first_new], cur .. ',' .. ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[first_new], ARGV[1]) end
redis.call('SET', KEYS[2], ARGV[2])
local leave = tonumber(ARGV[#ARGV])
for i = 4, 3 + leave do redis.call('SREM', KEYS[i], ARGV[1]) end
for i = 4 + leave, #KEYS do redis.call('SADD', KEYS[i], ARGV[1]) end
for i = last + 1, last + nw do redis.call('ZADD', KEYS[3], 0, ARGV[i]) end
return 'ok'
`)

// errRegChanged says a record changed between reading and rewriting it.
var errRegChanged = errors.New("registration changed meanwhile")

// UpdateRegistration rewrites r. A changed NIK moves its index entry,
// unless the new NIK is already registered (one business per NIK).
func (s *RegistrationStore) UpdateRegistration(ctx context.Context, r *umkm.Registration) error {
	old, _, cr, err := s.loadReg(ctx, r.ID)
	if err != nil {
		return err
	}
	return s.rewriteReg(ctx, old, cr, r, "")
}

// rewriteReg stores r over old (whose body must still be expect, unless
// expect is empty), moving the NIK index entry to r's NIK under the
// newest key.
func (s *RegistrationStore) rewriteReg(ctx context.Context, old *umkm.Registration, cr regCrypto, r *umkm.Registration, expect string) error {
	if r.Region != old.Region {
		return fmt.Errorf("update registration %s from %s to %s: %w", r.ID, old.Region, r.Region, umkm.ErrRegionMove)
	}
	body, err := s.encodeReg(r)
	if err != nil {
		return err
	}
	oldIndex := s.nikIndex(old.NIK)
	if cr.clearNIK {
		oldIndex = append(oldIndex, old.NIK) // entry made before encryption: the clear NIK leaves the index
	}
	max := 1 // one business per NIK when the NIK changes (the profile editor)
	if old.NIK == r.NIK {
		max = 0 // same NIK: no check
	}
	args := []any{r.ID, body, max, expect, len(oldIndex)}
	for _, f := range oldIndex {
		args = append(args, f)
	}
	for _, f := range s.nikIndex(r.NIK) {
		args = append(args, f)
	}
	leave, join := s.ixLeaveKeys(old), s.ixKeys(r)
	words := dictWords(r)
	for _, w := range words {
		args = append(args, w)
	}
	args = append(args, len(words), len(leave))
	tag := regionTag(old.Region)
	keys := append(append([]string{s.Key(tag, "nik"), s.Key(tag, "reg:"+r.ID), s.Key(tag, ixDict)}, leave...), join...)
	res, err := updateReg.Run(ctx, s.rdb, keys, args...).Text()
	if err != nil {
		return fmt.Errorf("update registration %s: %w", r.ID, err)
	}
	switch {
	case res == "ok":
		return s.pruneWords(ctx, old.Region, regWords(old))
	case res == "changed":
		return errRegChanged
	case strings.HasPrefix(res, "dup:"):
		return &umkm.DuplicateNIKError{Existing: strings.TrimPrefix(res, "dup:")}
	default:
		return fmt.Errorf("update registration %s: %w", r.ID, bot.ErrNotFound)
	}
}

// RegistrationFor returns the registration made from conversation c.
func (s *RegistrationStore) RegistrationFor(ctx context.Context, region string, c bot.Conversation) (*umkm.Registration, error) {
	res, err := s.eval(ctx, regOf, []string{s.regKey(region, "conv")}, []string{c.String(), s.Key(regionTag(region), "reg:")})
	if err != nil {
		return nil, fmt.Errorf("find registration of %s: %w", c.Channel, err)
	}
	if len(res) == 0 {
		return nil, bot.ErrNotFound
	}
	id, _ := res[0].(string)
	if len(res) < 2 {
		return nil, fmt.Errorf("registration %s: %w", id, bot.ErrNotFound)
	}
	body, _ := res[1].(string)
	r, _, err := s.decodeReg(id, []byte(body))
	return r, err
}

// regOf: the id of the registration of conversation ARGV[1] in the conv
// index KEYS[1], and its record (ARGV[2] is the records' key before the
// id, in the same slot); {} when there is none, {id} when the record is
// gone. One call where an HGET and then a GET were two round trips.
var regOf = redis.NewScript(`
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return {} end
local body = redis.call('GET', ARGV[2] .. id)
if not body then return {id} end
return {id, body}
`)

// hmget: HMGET KEYS[1] ARGV..., as a script so that it goes in a
// pipeline of the batcher.
var hmget = redis.NewScript(`return redis.call('HMGET', KEYS[1], unpack(ARGV))`)

// eval runs script on keys with args: through the batcher, in the
// pipeline of the turns being committed meanwhile, where the store has one
// (a call of its own was a write and a read of this process and of Redis,
// and a wait for a connection, per call).
func (s *RegistrationStore) eval(ctx context.Context, script *redis.Script, keys, args []string) ([]any, error) {
	return evalBatched(ctx, s.batch, s.rdb, script, keys, args)
}

// evalBatched runs script through the batcher b (nil: on its own on rdb)
// and returns its reply, a list.
func evalBatched(ctx context.Context, b *batcher, rdb redis.UniversalClient, script *redis.Script, keys, args []string) ([]any, error) {
	if b == nil {
		vals := make([]any, len(args))
		for i, a := range args {
			vals[i] = a
		}
		return script.Run(ctx, rdb, keys, vals...).Slice()
	}
	c := b.call(ctx, script)
	for _, k := range keys {
		c.str(k)
	}
	c.nkeys = len(keys)
	for _, a := range args {
		c.str(a)
	}
	return b.run(c)
}

// RegistrationsByNIK returns the ids registered with nik in region.
func (s *RegistrationStore) RegistrationsByNIK(ctx context.Context, region, nik string) ([]string, error) {
	vals, err := s.eval(ctx, hmget, []string{s.regKey(region, "nik")}, s.nikIndex(nik))
	if err != nil {
		return nil, fmt.Errorf("find registrations by NIK: %w", err)
	}
	var out []string
	for _, v := range vals {
		if ids, ok := v.(string); ok && ids != "" {
			out = append(out, strings.Split(ids, ",")...)
		}
	}
	return out, nil
}

// EachRegistration calls fn for every registration of region, oldest first.
func (s *RegistrationStore) EachRegistration(ctx context.Context, region string, fn func(*umkm.Registration) error) error {
	return s.eachStoredReg(ctx, region, func(r *umkm.Registration, _ string, _ regCrypto) error { return fn(r) })
}

// eachStoredReg calls fn for every registration of region with its stored
// body and how it is kept, oldest first.
func (s *RegistrationStore) eachStoredReg(ctx context.Context, region string, fn func(*umkm.Registration, string, regCrypto) error) error {
	const page = 500
	all := s.regKeys(region)[3]
	tag := regionTag(region)
	for start := int64(0); ; start += page {
		ids, err := s.rdb.ZRange(ctx, all, start, start+page-1).Result()
		if err != nil {
			return fmt.Errorf("list registrations: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		keys := make([]string, len(ids))
		for i, id := range ids {
			keys[i] = s.Key(tag, "reg:"+id)
		}
		bodies, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return fmt.Errorf("load registrations: %w", err)
		}
		for i, b := range bodies {
			str, ok := b.(string)
			if !ok {
				continue // deleted between the two reads
			}
			r, cr, err := s.decodeReg(ids[i], []byte(str))
			if err != nil {
				return err
			}
			if err := fn(r, str, cr); err != nil {
				return err
			}
		}
		if len(ids) < page {
			return nil
		}
	}
}

// SealCounts is what SealRegistrations did.
type SealCounts struct {
	Seen      int // registrations looked at
	Sealed    int // rewritten: encrypted for the first time or re-encrypted under the newest key
	Unchanged int // already under the newest key
}

// SealRegistrations brings every registration of region under the
// newest key: clear NIKs and phones are encrypted (`migrate encrypt`),
// values under older keys re-encrypted (`keys rotate`), and index
// entries moved to the newest key's blind index. It may run while the
// service serves: each record is rewritten only if it did not change
// since it was read (else it is read again). Running it again skips what
// is done, so an interrupted run resumes where it stopped. progress, if
// not nil, is called after each page.
func (s *RegistrationStore) SealRegistrations(ctx context.Context, region string, progress func(SealCounts)) (SealCounts, error) {
	var c SealCounts
	if s.cipher == nil {
		return c, errors.New("no data key configured")
	}
	err := s.eachStoredReg(ctx, region, func(r *umkm.Registration, body string, cr regCrypto) error {
		c.Seen++
		for attempt := 0; ; attempt++ {
			if cr.current && !cr.clearNIK {
				c.Unchanged++
				break
			}
			err := s.rewriteReg(ctx, r, cr, r, body)
			if err == nil {
				c.Sealed++
				break
			}
			if !errors.Is(err, errRegChanged) || attempt >= 10 {
				return err
			}
			if r, body, cr, err = s.loadReg(ctx, r.ID); err != nil {
				return err
			}
		}
		if progress != nil && c.Seen%500 == 0 {
			progress(c)
		}
		return nil
	})
	return c, err
}

// HasClearRegistrations reports whether region has registrations stored
// before encryption was configured (their NIK index entries are the clear
// NIK): they are not found by blind index until SealRegistrations ran.
func (s *RegistrationStore) HasClearRegistrations(ctx context.Context, region string) (bool, error) {
	if s.cipher == nil {
		return false, nil
	}
	it := s.rdb.HScan(ctx, s.regKeys(region)[1], 0, "[0-9]*", 1000).Iterator()
	if it.Next(ctx) {
		return true, nil
	}
	if err := it.Err(); err != nil {
		return false, fmt.Errorf("look for registrations in clear: %w", err)
	}
	return false, nil
}

var _ umkm.RegistrationFinder = (*RegistrationStore)(nil)

// RegistrationForAny returns the registration made from conversation c in
// the first of regions that has one: the lookups go in one pipeline (on
// Cluster, one per node), then the record is read.
func (s *RegistrationStore) RegistrationForAny(ctx context.Context, regions []string, c bot.Conversation) (*umkm.Registration, error) {
	cmds := make([]*redis.StringCmd, len(regions))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, r := range regions {
			cmds[i] = p.HGet(ctx, s.regKeys(r)[2], c.String())
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return nil, fmt.Errorf("find registration of %s: %w", c.Channel, err)
	}
	for _, cmd := range cmds {
		if id, err := cmd.Result(); err == nil {
			return s.Registration(ctx, id)
		}
	}
	return nil, bot.ErrNotFound
}
