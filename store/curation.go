package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

var _ umkm.CurationStore = (*CurationStore)(nil)

// A region's curation applications share the hash tag {k:<code digits>}:
//   seq          INCR counter for application numbers
//   app:<id>     the application (JSON)
//   all          sorted set id → submission time (ms)
//   conv         hash conversation → ids joined by ","
//   open         hash "<conversation>|<target>" → id of the undecided application
//   notices      list of umkm.CurationNotice JSON waiting for serve to send
//   notices:busy list of notices being sent (moved back at start if serve died)
// One slot, so a status change and its notice are written together.

func curationTag(region string) string { return "k:" + strings.ReplaceAll(region, ".", "") }

// appRecord is the stored form: the application plus its conversation.
type appRecord struct {
	*umkm.Application
	Conv string `json:"conv"`
}

// submitApp: KEYS seq, all, conv, open; ARGV conv, open field, record
// (without id: the key names it), key prefix of records, region digits,
// time ms.
// Returns {status, id}: "new" or "exists" (an undecided one for the same
// target).
var submitApp = redis.NewScript(`
local open = redis.call('HGET', KEYS[4], ARGV[2])
if open then return {'exists', open} end
local id = string.format('KUR-%s-%06d', ARGV[5], redis.call('INCR', KEYS[1]))
redis.call('SET', ARGV[4] .. id, ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[6], id)
local ids = redis.call('HGET', KEYS[3], ARGV[1])
if ids then redis.call('HSET', KEYS[3], ARGV[1], ids .. ',' .. id) else redis.call('HSET', KEYS[3], ARGV[1], id) end
redis.call('HSET', KEYS[4], ARGV[2], id)
return {'new', id}
`)

// SubmitApplication stores a as diajukan with the next number of its
// region. An owner has at most one undecided application per target:
// submitting again (a turn that ran twice) returns a *umkm.AlreadyAppliedError.
func (s *CurationStore) SubmitApplication(ctx context.Context, a *umkm.Application) error {
	a.Status = umkm.StatusSubmitted
	a.UpdatedAt = a.CreatedAt
	a.History = []umkm.StatusChange{{Status: umkm.StatusSubmitted, At: a.CreatedAt}}
	body, err := json.Marshal(appRecord{Application: a, Conv: a.Conv.String()})
	if err != nil {
		return fmt.Errorf("encode application: %w", err)
	}
	tag := curationTag(a.Region)
	res, err := submitApp.Run(ctx, s.rdb,
		[]string{s.Key(tag, "seq"), s.Key(tag, "all"), s.Key(tag, "conv"), s.Key(tag, "open")},
		a.Conv.String(), a.Conv.String()+"|"+a.Target, body, s.Key(tag, "app:"),
		strings.ReplaceAll(a.Region, ".", ""), a.CreatedAt.UnixMilli()).StringSlice()
	if err != nil {
		return fmt.Errorf("submit application: %w", err)
	}
	if res[0] == "exists" {
		return &umkm.AlreadyAppliedError{ID: res[1]}
	}
	a.ID = res[1]
	return nil
}

func regionOfApp(id string) (string, bool) {
	parts := strings.Split(id, "-")
	if len(parts) != 3 || parts[0] != "KUR" || parts[1] == "" {
		return "", false
	}
	return parts[1], true
}

// Application returns one application by id.
func (s *CurationStore) Application(ctx context.Context, id string) (*umkm.Application, error) {
	region, ok := regionOfApp(id)
	if !ok {
		return nil, fmt.Errorf("application %q: %w", id, bot.ErrNotFound)
	}
	body, err := s.rdb.Get(ctx, s.Key(curationTag(region), "app:"+id)).Bytes()
	if isNil(err) {
		return nil, fmt.Errorf("application %s: %w", id, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load application %s: %w", id, err)
	}
	return decodeApp(id, body)
}

func decodeApp(id string, body []byte) (*umkm.Application, error) {
	rec := appRecord{Application: &umkm.Application{}}
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, fmt.Errorf("decode application %s: %w", id, err)
	}
	rec.Application.ID = id
	rec.Application.Conv, _ = bot.ParseConversation(rec.Conv)
	return rec.Application, nil
}

// ApplicationsFor returns the applications made from conversation c.
func (s *CurationStore) ApplicationsFor(ctx context.Context, region string, c bot.Conversation) ([]umkm.Application, error) {
	ids, err := s.rdb.HGet(ctx, s.Key(curationTag(region), "conv"), c.String()).Result()
	if isNil(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find applications of %s: %w", c.Channel, err)
	}
	return s.applications(ctx, strings.Split(ids, ","))
}

// Applications returns every application of region, oldest first; status,
// if not empty, keeps only those with it.
func (s *CurationStore) Applications(ctx context.Context, region string, status umkm.ApplicationStatus) ([]umkm.Application, error) {
	ids, err := s.rdb.ZRange(ctx, s.Key(curationTag(region), "all"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list applications: %w", err)
	}
	all, err := s.applications(ctx, ids)
	if err != nil || status == "" {
		return all, err
	}
	keep := all[:0]
	for _, a := range all {
		if a.Status == status {
			keep = append(keep, a)
		}
	}
	return keep, nil
}

func (s *CurationStore) applications(ctx context.Context, ids []string) ([]umkm.Application, error) {
	out := make([]umkm.Application, 0, len(ids))
	for _, id := range ids {
		a, err := s.Application(ctx, id)
		if errors.Is(err, bot.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, nil
}

// SetApplicationStatus moves application id to status with the Dinas's
// note, and queues a notice for the owner in the same transaction. The
// order diajukan → ditinjau → diterima/ditolak is enforced
// (umkm.ErrBadTransition). It retries when another reviewer changed the
// application at the same moment.
func (s *CurationStore) SetApplicationStatus(ctx context.Context, id string, status umkm.ApplicationStatus, note string, at time.Time) (*umkm.Application, error) {
	region, ok := regionOfApp(id)
	if !ok {
		return nil, fmt.Errorf("application %q: %w", id, bot.ErrNotFound)
	}
	tag := curationTag(region)
	key := s.Key(tag, "app:"+id)
	var result *umkm.Application
	txf := func(tx *redis.Tx) error {
		body, err := tx.Get(ctx, key).Bytes()
		if isNil(err) {
			return fmt.Errorf("application %s: %w", id, bot.ErrNotFound)
		}
		if err != nil {
			return err
		}
		a, err := decodeApp(id, body)
		if err != nil {
			return err
		}
		if err := umkm.CheckTransition(a.Status, status); err != nil {
			return fmt.Errorf("application %s: %w", id, err)
		}
		a.Status, a.Note, a.UpdatedAt = status, note, at
		a.History = append(a.History, umkm.StatusChange{Status: status, Note: note, At: at})
		nb, err := json.Marshal(appRecord{Application: a, Conv: a.Conv.String()})
		if err != nil {
			return err
		}
		notice, err := json.Marshal(umkm.CurationNotice{Conv: a.Conv.String(), App: id, TargetName: a.TargetName, Status: status, Note: note})
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, nb, 0)
			if status.Final() {
				p.HDel(ctx, s.Key(tag, "open"), a.Conv.String()+"|"+a.Target)
			}
			p.LPush(ctx, s.Key(tag, "notices"), notice)
			return nil
		})
		result = a
		return err
	}
	for attempt := 0; attempt < 16; attempt++ {
		err := s.rdb.Watch(ctx, txf, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("set status of %s: %w", id, err)
		}
		return result, nil
	}
	return nil, fmt.Errorf("set status of %s: %w", id, bot.ErrConflict)
}

// requeueBusy moves notices left in the busy list (serve stopped while
// sending) back to the queue.
var requeueBusy = redis.NewScript(`
local n = 0
while redis.call('RPOPLPUSH', KEYS[1], KEYS[2]) do n = n + 1 end
return n
`)

// RequeueCurationNotices puts back notices a stopped serve did not finish
// sending; serve calls it once at start. Notices are sent at least once.
func (s *CurationStore) RequeueCurationNotices(ctx context.Context, region string) (int, error) {
	tag := curationTag(region)
	n, err := requeueBusy.Run(ctx, s.rdb, []string{s.Key(tag, "notices:busy"), s.Key(tag, "notices")}).Int()
	if err != nil {
		return 0, fmt.Errorf("requeue curation notices: %w", err)
	}
	return n, nil
}

// NextCurationNotice waits up to wait (at least a second, as Redis counts;
// 0 = do not wait) for a notice and moves it to the busy list; call the
// returned done once it is sent. ok is false when none came.
func (s *CurationStore) NextCurationNotice(ctx context.Context, region string, wait time.Duration) (n umkm.CurationNotice, done func(context.Context) error, ok bool, err error) {
	tag := curationTag(region)
	busy := s.Key(tag, "notices:busy")
	var raw string
	if wait > 0 {
		raw, err = s.rdb.BLMove(ctx, s.Key(tag, "notices"), busy, "RIGHT", "LEFT", wait).Result()
	} else {
		raw, err = s.rdb.LMove(ctx, s.Key(tag, "notices"), busy, "RIGHT", "LEFT").Result()
	}
	if isNil(err) {
		return n, nil, false, nil
	}
	if err != nil {
		return n, nil, false, fmt.Errorf("take curation notice: %w", err)
	}
	done = func(ctx context.Context) error {
		if err := s.rdb.LRem(ctx, busy, 1, raw).Err(); err != nil {
			return fmt.Errorf("finish curation notice: %w", err)
		}
		return nil
	}
	if err := json.Unmarshal([]byte(raw), &n); err != nil {
		// A notice nobody can read: drop it rather than block the queue.
		return n, nil, false, errors.Join(fmt.Errorf("decode curation notice: %w", err), done(ctx))
	}
	return n, done, true, nil
}
