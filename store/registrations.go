package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

var _ bot.RegistrationStore = (*Store)(nil)

// A region's registrations share the hash tag {r:<code digits>}:
//   seq         INCR counter for registration numbers
//   nik         hash NIK → ids joined by ","
//   conv        hash conversation → id
//   all         sorted set id → registration time (ms)
//   reg:<id>    the record (JSON)
//   ix:…        audience index sets of ids (audience_index.go)
// Keeping them in one slot lets one script check the NIK, take a number
// and write the record atomically, on a single node or on Cluster.

func regionTag(region string) string { return "r:" + strings.ReplaceAll(region, ".", "") }

func (s *Store) regKeys(region string) []string {
	tag := regionTag(region)
	return []string{s.Key(tag, "seq"), s.Key(tag, "nik"), s.Key(tag, "conv"), s.Key(tag, "all")}
}

// regRecord is the stored form: the registration plus its conversation.
type regRecord struct {
	*bot.Registration
	Conv string `json:"conv"`
}

// createReg: KEYS seq, nik, conv, all, then the audience index sets the
// registration joins; ARGV nik, conv, max, record, key prefix of records,
// region digits, time ms. Returns {status, id}.
var createReg = redis.NewScript(`
local mine = redis.call('HGET', KEYS[3], ARGV[2])
if mine then return {'exists', mine} end
local ids = redis.call('HGET', KEYS[2], ARGV[1])
if ids then
  local n, first = 0, nil
  for id in string.gmatch(ids, '[^,]+') do n = n + 1; first = first or id end
  if n >= tonumber(ARGV[3]) then return {'dup', first} end
end
local seq = redis.call('INCR', KEYS[1])
local id = string.format('UMKM-%s-%06d', ARGV[6], seq)
redis.call('SET', ARGV[5] .. id, ARGV[4])
if ids then redis.call('HSET', KEYS[2], ARGV[1], ids .. ',' .. id) else redis.call('HSET', KEYS[2], ARGV[1], id) end
redis.call('HSET', KEYS[3], ARGV[2], id)
redis.call('ZADD', KEYS[4], ARGV[7], id)
for i = 5, #KEYS do redis.call('SADD', KEYS[i], id) end
return {'new', id}
`)

// CreateRegistration stores r with the next number of its region.
func (s *Store) CreateRegistration(ctx context.Context, r *bot.Registration, maxPerNIK int) error {
	if maxPerNIK < 1 {
		maxPerNIK = 1
	}
	rec := regRecord{Registration: r, Conv: r.Conv.String()}
	saved := r.ID
	r.ID = ""
	body, err := json.Marshal(rec)
	r.ID = saved
	if err != nil {
		return fmt.Errorf("encode registration: %w", err)
	}
	region := strings.ReplaceAll(r.Region, ".", "")
	res, err := createReg.Run(ctx, s.rdb, append(s.regKeys(r.Region), s.ixKeys(r)...),
		r.NIK, r.Conv.String(), maxPerNIK, body, s.Key(regionTag(r.Region), "reg:"), region, r.RegisteredAt.UnixMilli()).StringSlice()
	if err != nil {
		return fmt.Errorf("create registration: %w", err)
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
			return &bot.DuplicateNIKError{Existing: res[1]}
		}
		*r = *got
		return nil
	default:
		return &bot.DuplicateNIKError{Existing: res[1]}
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
func (s *Store) Registration(ctx context.Context, id string) (*bot.Registration, error) {
	region, ok := regionOfID(id)
	if !ok {
		return nil, fmt.Errorf("registration %q: %w", id, bot.ErrNotFound)
	}
	body, err := s.rdb.Get(ctx, s.Key("r:"+region, "reg:"+id)).Bytes()
	if isNil(err) {
		return nil, fmt.Errorf("registration %s: %w", id, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load registration %s: %w", id, err)
	}
	return decodeReg(id, body)
}

func decodeReg(id string, body []byte) (*bot.Registration, error) {
	rec := regRecord{Registration: &bot.Registration{}}
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, fmt.Errorf("decode registration %s: %w", id, err)
	}
	rec.Registration.ID = id
	rec.Registration.Conv, _ = bot.ParseConversation(rec.Conv)
	return rec.Registration, nil
}

// updateReg: KEYS nik, record, then the audience index sets to leave and
// those to join; ARGV id, old nik, new nik, record, max, number of sets
// to leave.
var updateReg = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then return 'missing' end
if ARGV[2] ~= ARGV[3] then
  local ids = redis.call('HGET', KEYS[1], ARGV[3])
  local n = 0
  if ids then for _ in string.gmatch(ids, '[^,]+') do n = n + 1 end end
  if n >= tonumber(ARGV[5]) then return 'dup:' .. string.match(ids, '[^,]+') end
  local old = redis.call('HGET', KEYS[1], ARGV[2])
  if old then
    local keep = {}
    for id in string.gmatch(old, '[^,]+') do if id ~= ARGV[1] then table.insert(keep, id) end end
    if #keep == 0 then redis.call('HDEL', KEYS[1], ARGV[2]) else redis.call('HSET', KEYS[1], ARGV[2], table.concat(keep, ',')) end
  end
  if ids then redis.call('HSET', KEYS[1], ARGV[3], ids .. ',' .. ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[3], ARGV[1]) end
end
redis.call('SET', KEYS[2], ARGV[4])
local leave = tonumber(ARGV[6])
for i = 3, 2 + leave do redis.call('SREM', KEYS[i], ARGV[1]) end
for i = 3 + leave, #KEYS do redis.call('SADD', KEYS[i], ARGV[1]) end
return 'ok'
`)

// UpdateRegistration rewrites r. A changed NIK moves its index entry,
// unless the new NIK is already registered (one business per NIK).
func (s *Store) UpdateRegistration(ctx context.Context, r *bot.Registration) error {
	old, err := s.Registration(ctx, r.ID)
	if err != nil {
		return err
	}
	rec := regRecord{Registration: r, Conv: r.Conv.String()}
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode registration: %w", err)
	}
	tag := regionTag(old.Region)
	moved := *r
	moved.Region = old.Region // the record stays in its kabupaten/kota's slot
	leave, join := s.ixKeys(old), s.ixKeys(&moved)
	keys := append(append([]string{s.Key(tag, "nik"), s.Key(tag, "reg:"+r.ID)}, leave...), join...)
	res, err := updateReg.Run(ctx, s.rdb, keys, r.ID, old.NIK, r.NIK, body, 1, len(leave)).Text()
	if err != nil {
		return fmt.Errorf("update registration %s: %w", r.ID, err)
	}
	switch {
	case res == "ok":
		return nil
	case strings.HasPrefix(res, "dup:"):
		return &bot.DuplicateNIKError{Existing: strings.TrimPrefix(res, "dup:")}
	default:
		return fmt.Errorf("update registration %s: %w", r.ID, bot.ErrNotFound)
	}
}

// RegistrationFor returns the registration made from conversation c.
func (s *Store) RegistrationFor(ctx context.Context, region string, c bot.Conversation) (*bot.Registration, error) {
	id, err := s.rdb.HGet(ctx, s.regKeys(region)[2], c.String()).Result()
	if isNil(err) {
		return nil, bot.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find registration of %s: %w", c.Channel, err)
	}
	return s.Registration(ctx, id)
}

var _ bot.RegistrationFinder = (*Store)(nil)

// RegistrationForAny returns the registration made from conversation c in
// the first of regions that has one: the lookups go in one pipeline (on
// Cluster, one per node), then the record is read.
func (s *Store) RegistrationForAny(ctx context.Context, regions []string, c bot.Conversation) (*bot.Registration, error) {
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

// RegistrationsByNIK returns the ids registered with nik in region.
func (s *Store) RegistrationsByNIK(ctx context.Context, region, nik string) ([]string, error) {
	ids, err := s.rdb.HGet(ctx, s.regKeys(region)[1], nik).Result()
	if isNil(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find registrations by NIK: %w", err)
	}
	return strings.Split(ids, ","), nil
}

// EachRegistration calls fn for every registration of region, oldest first.
func (s *Store) EachRegistration(ctx context.Context, region string, fn func(*bot.Registration) error) error {
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
			r, err := decodeReg(ids[i], []byte(str))
			if err != nil {
				return err
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(ids) < page {
			return nil
		}
	}
}
