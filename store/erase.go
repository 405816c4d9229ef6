package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

var _ umkm.PersonEraser = (*Store)(nil)

// Erasure (the owner's "hapus data"). What goes, key by key:
//
//	{r:<region>}       the record reg:<id>, its NIK index entry, conv → id,
//	                   all, the audience index sets; a tombstone is written
//	                   to erased (hash id → Tombstone JSON)
//	{t:<training>}     the enrolment through Cancel (the seat goes to the
//	                   waitlist), then the person's status, code, time,
//	                   registration id and reminder markers
//	{k:<region>}       the curation applications (records, indexes, open)
//	                   and their notices not yet sent
//	{b:<broadcast>}    the per-recipient record
//	{c:<conversation>} products (with their photo references), trainings
//	{q:<shard>}        the profile, the recent message ids and the
//	                   undelivered replies of the state hash
//	{wa}               a WhatsApp user's sealed number, by the retention
//	                   job once the state expired (ForgetErasedWhatsAppUsers)
//
// The conversation state itself is rewritten by the turn that erases (its
// flow ends, so no answers are kept); it expires an hour later.

// eraseReg: KEYS nik, conv, all, record, erased, then the audience sets;
// ARGV id, conversation, tombstone JSON, then the NIK's index fields.
var eraseReg = redis.NewScript(luaLeaveNIK + `
for i = 4, #ARGV do leaveNIK(KEYS[1], ARGV[i], ARGV[1]) end
if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[2]) end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[4])
for i = 6, #KEYS do redis.call('SREM', KEYS[i], ARGV[1]) end
redis.call('HSET', KEYS[5], ARGV[1], ARGV[3])
return 1
`)

// scrubEnrolment: the training keys (trainingKeys order); ARGV
// conversation. Removes what the training keeps of one person after
// Cancel freed their seat (or for a seat that cannot be cancelled any
// more: attended, or the training is over).
var scrubEnrolment = redis.NewScript(`
local conv = ARGV[1]
local code = redis.call('HGET', KEYS[6], conv)
if code then redis.call('HDEL', KEYS[5], code) end
redis.call('HDEL', KEYS[2], conv)
redis.call('ZREM', KEYS[3], conv)
redis.call('ZREM', KEYS[4], conv)
redis.call('HDEL', KEYS[6], conv)
redis.call('HDEL', KEYS[7], conv)
redis.call('HDEL', KEYS[8], conv)
local sent = redis.call('HKEYS', KEYS[10])
for _, k in ipairs(sent) do
  if string.sub(k, -#conv - 1) == '|' .. conv then redis.call('HDEL', KEYS[10], k) end
end
return 1
`)

// eraseApps: KEYS all, conv, open, notices, then the records; ARGV
// conversation, how its notices say it (`"conv":"telegram:42"`), then
// the ids. Notices of status changes not yet sent go too.
var eraseApps = redis.NewScript(`
for i = 3, #ARGV do redis.call('ZREM', KEYS[1], ARGV[i]) end
for _, n in ipairs(redis.call('LRANGE', KEYS[4], 0, -1)) do
  if string.find(n, ARGV[2], 1, true) then redis.call('LREM', KEYS[4], 0, n) end
end
redis.call('HDEL', KEYS[2], ARGV[1])
local open = redis.call('HGETALL', KEYS[3])
for i = 1, #open, 2 do
  if string.sub(open[i], 1, #ARGV[1] + 1) == ARGV[1] .. '|' then redis.call('HDEL', KEYS[3], open[i]) end
end
for i = 5, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
`)

// erasedStateTTL is how long the conversation state of an erased person
// is kept (it holds no answers: the turn that erased ends its flow).
const erasedStateTTL = time.Hour

// nikErasedField binds the tombstone's hash to its purpose, apart from
// the NIK index's.
const nikErasedField = "nik-erased"

// NIKHash is the keyed hash of nik kept in a tombstone (the newest data
// key's; without a Cipher, an unkeyed SHA-256 for tests).
func (s *Store) NIKHash(nik string) string {
	if s.cipher == nil {
		sum := sha256.Sum256([]byte(nikErasedField + "\x00" + nik))
		return "s" + hex.EncodeToString(sum[:16])
	}
	return s.cipher.Index(nikErasedField, nik)[0]
}

// ErasePerson erases the person of conversation c (see umkm.PersonEraser).
func (s *Store) ErasePerson(ctx context.Context, regions []string, c bot.Conversation) (umkm.Erasure, error) {
	e := umkm.Erasure{At: s.now()}
	conv := c.String()

	// Trainings first, through the cancel path, so the seats go to the
	// waitlist while the training still knows the person.
	ids, err := s.rdb.SMembers(ctx, s.ownerTrainings(c)).Result()
	if err != nil {
		return e, fmt.Errorf("erase: list trainings: %w", err)
	}
	for _, id := range ids {
		cancelled, promoted, err := s.Cancel(ctx, id, c)
		if err != nil {
			return e, fmt.Errorf("erase: %w", err)
		}
		if cancelled {
			e.Trainings++
		}
		e.Promoted = append(e.Promoted, promoted...)
		if err := scrubEnrolment.Run(ctx, s.rdb, s.trainingKeys(id), conv).Err(); err != nil {
			return e, fmt.Errorf("erase: training %s: %w", id, err)
		}
	}

	for _, region := range regions {
		if err := s.eraseApplications(ctx, region, c, &e); err != nil {
			return e, err
		}
		if err := s.eraseRegistration(ctx, region, c, &e); err != nil {
			return e, err
		}
	}

	// Per-recipient broadcast records.
	bids, err := s.rdb.ZRange(ctx, s.bcKey("all"), 0, -1).Result()
	if err != nil {
		return e, fmt.Errorf("erase: list broadcasts: %w", err)
	}
	for _, id := range bids {
		n, err := s.rdb.HDel(ctx, s.bKey(id, "rec"), conv).Result()
		if err != nil {
			return e, fmt.Errorf("erase: broadcast %s: %w", id, err)
		}
		e.Broadcasts += int(n)
	}

	// Hand-over tickets with the owner's messages (issue 14).
	if e.Tickets, err = s.EraseTickets(ctx, c); err != nil {
		return e, fmt.Errorf("erase: %w", err)
	}

	n, err := s.rdb.HLen(ctx, s.convKey(c, "products")).Result()
	if err != nil {
		return e, fmt.Errorf("erase: count products: %w", err)
	}
	e.Products = int(n)
	k := s.turnKeys(c)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.convKey(c, "products"), s.convKey(c, "products:seq"), s.convKey(c, "products:origin"),
			s.ownerTrainings(c), s.convKey(c, "state"), s.convKey(c, "profile"))
		return nil
	})
	if err != nil {
		return e, fmt.Errorf("erase: products: %w", err)
	}
	// The turn keys share a slot of their own. The queue and the state
	// hash are the running turn's: the profile, the recent ids and the
	// replies not yet delivered (or not yet acknowledged: they may show
	// a name) go here; the turn commits a state without answers and its
	// own reply.
	// The state hash then expires within erasedStateTTL instead of STATE_TTL,
	// unless the person writes again: 'ex', a moment ahead of this turn's
	// time, tells its commit that the expiry was just set (turn.go
	// refreshes it when a minute has passed since 'ex', and at 'ex' itself).
	now := s.now().UnixMilli() + 1
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, k.profile)
		p.HDel(ctx, k.state, "seen", "out", "ob", "oi", "pv")
		p.HSet(ctx, k.state, "ex", now)
		p.PExpire(ctx, k.state, min(erasedStateTTL, s.stateTTL))
		p.ZRem(ctx, k.outq, conv)
		return nil
	})
	if err != nil {
		return e, fmt.Errorf("erase: conversation: %w", err)
	}
	s.states.drop(c)
	// A WhatsApp user's sealed number stays for the replies of this turn;
	// the retention job drops it once the state expired (wausers.go).
	return e, s.markWhatsAppErased(ctx, c)
}

func (s *Store) eraseRegistration(ctx context.Context, region string, c bot.Conversation, e *umkm.Erasure) error {
	r, err := s.RegistrationFor(ctx, region, c)
	if err != nil {
		if errors.Is(err, bot.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("erase: %w", err)
	}
	tomb, err := json.Marshal(umkm.Tombstone{Registration: r.ID, ErasedAt: e.At.UTC(), NIKHash: s.NIKHash(r.NIK)})
	if err != nil {
		return fmt.Errorf("erase: encode tombstone: %w", err)
	}
	idx := s.nikIndex(r.NIK)
	idx = append(idx, r.NIK) // an entry made before encryption
	args := []any{r.ID, c.String(), string(tomb)}
	for _, f := range idx {
		args = append(args, f)
	}
	tag := regionTag(r.Region)
	keys := s.regKeys(r.Region)
	keys = append([]string{keys[1], keys[2], keys[3], s.Key(tag, "reg:"+r.ID), s.Key(tag, "erased")}, s.ixKeys(r)...)
	if err := eraseReg.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		return fmt.Errorf("erase registration %s: %w", r.ID, err)
	}
	if err := s.pruneWords(ctx, r.Region, regWords(r)); err != nil {
		return fmt.Errorf("erase registration %s: %w", r.ID, err)
	}
	e.Registration = r.ID
	return nil
}

func (s *Store) eraseApplications(ctx context.Context, region string, c bot.Conversation, e *umkm.Erasure) error {
	tag := curationTag(region)
	ids, err := s.rdb.HGet(ctx, s.Key(tag, "conv"), c.String()).Result()
	if isNil(err) || ids == "" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("erase: find applications: %w", err)
	}
	list := strings.Split(ids, ",")
	keys := []string{s.Key(tag, "all"), s.Key(tag, "conv"), s.Key(tag, "open"), s.Key(tag, "notices")}
	quoted, _ := json.Marshal(c.String())
	args := []any{c.String(), `"conv":` + string(quoted)}
	for _, id := range list {
		keys = append(keys, s.Key(tag, "app:"+id))
		args = append(args, id)
	}
	if err := eraseApps.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		return fmt.Errorf("erase applications: %w", err)
	}
	e.Applications += len(list)
	return nil
}

// Tombstones returns the tombstones of region's erased registrations.
func (s *Store) Tombstones(ctx context.Context, region string) ([]umkm.Tombstone, error) {
	m, err := s.rdb.HGetAll(ctx, s.Key(regionTag(region), "erased")).Result()
	if err != nil {
		return nil, fmt.Errorf("list tombstones: %w", err)
	}
	out := make([]umkm.Tombstone, 0, len(m))
	for _, v := range m {
		var t umkm.Tombstone
		if json.Unmarshal([]byte(v), &t) == nil {
			out = append(out, t)
		}
	}
	return out, nil
}
