package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

var (
	_ umkm.TrainingStore     = (*TrainingStore)(nil)
	_ umkm.ReminderQueue     = (*TrainingStore)(nil)
	_ umkm.NoticeQueue       = (*TrainingStore)(nil)
	_ umkm.ParticipantLister = (*TrainingStore)(nil)
)

// All the keys of one training share the hash tag {t:<id>}, so seating,
// cancelling, promoting and checking in are each one Lua script:
//
//	info    hash: data (JSON), status, capacity, deadline (ms), start (ms)
//	st      hash conversation → status (terdaftar, daftar_tunggu, hadir, dibatalkan)
//	conf    sorted set of seat holders (confirmed and attended), by seat order
//	wait    sorted set of the waitlist, by arrival order
//	codes   hash attendance code → conversation
//	code    hash conversation → attendance code
//	reg     hash conversation → registration id
//	at      hash conversation → time of the last change (ms)
//	seq     arrival counter (scores of conf and wait)
//	sent    hash "<kind>|<conversation>" → time a reminder was sent
//
// Across trainings: {trainings}:seq numbers trainings, {trainings}:all
// holds every id scored by its end (ms); {c:<conversation>}:trainings is an
// owner's set of training ids.
const (
	kInfo = iota
	kSt
	kConf
	kWait
	kCodes
	kCode
	kReg
	kAt
	kSeq
	kSent
)

func (s *TrainingStore) trainingKeys(id string) []string {
	tag := "t:" + id
	parts := []string{"info", "st", "conf", "wait", "codes", "code", "reg", "at", "seq", "sent"}
	keys := make([]string, len(parts))
	for i, p := range parts {
		keys[i] = s.Key(tag, p)
	}
	return keys
}

func (s *TrainingStore) ownerTrainings(c bot.Conversation) string { return s.convKey(c, "trainings") }

// promoteLua moves waitlisted owners into free seats, first come first;
// the scripts below that free or add seats end with it.
const promoteLua = `
local function promote(cap, now)
  local out = {}
  while redis.call('ZCARD', KEYS[3]) < cap do
    local first = redis.call('ZRANGE', KEYS[4], 0, 0)
    if #first == 0 then break end
    local c = first[1]
    redis.call('ZREM', KEYS[4], c)
    redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[9]), c)
    redis.call('HSET', KEYS[2], c, 'terdaftar')
    redis.call('HSET', KEYS[8], c, now)
    table.insert(out, c)
  end
  return out
end
`

// saveTraining: ARGV data, status, capacity, deadline ms, start ms, now ms.
// Refuses a capacity below the seats taken; a raised one promotes. A moved
// start forgets which reminders were sent, so the new date is reminded.
var saveTraining = redis.NewScript(promoteLua + `
local cap = tonumber(ARGV[3])
local n = redis.call('ZCARD', KEYS[3])
if cap < n then return {'refused', tostring(n)} end
local old = redis.call('HGET', KEYS[1], 'start')
if old and old ~= ARGV[5] then redis.call('DEL', KEYS[10]) end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'status', ARGV[2], 'capacity', ARGV[3], 'deadline', ARGV[4], 'start', ARGV[5])
local p = promote(cap, ARGV[6])
table.insert(p, 1, 'ok')
return p
`)

func ms(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// CreateTraining numbers t, stores it and schedules its reminders.
func (s *TrainingStore) CreateTraining(ctx context.Context, t *umkm.Training) error {
	if err := t.Validate(); err != nil {
		return err
	}
	n, err := s.rdb.Incr(ctx, s.Key("trainings", "seq")).Result()
	if err != nil {
		return fmt.Errorf("number training: %w", err)
	}
	t.ID = strconv.FormatInt(n, 10)
	if t.Status == "" {
		t.Status = umkm.TrainingOpen
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	if _, err := s.UpdateTraining(ctx, t); err != nil {
		return err
	}
	return nil
}

// UpdateTraining rewrites t (its details, status and capacity). A capacity
// below the seats already taken is refused with a *umkm.CapacityError; a
// raised one promotes waitlisted owners, who are returned for the caller to
// notify.
func (s *TrainingStore) UpdateTraining(ctx context.Context, t *umkm.Training) ([]umkm.Enrolment, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("encode training: %w", err)
	}
	res, err := saveTraining.Run(ctx, s.rdb, s.trainingKeys(t.ID),
		body, string(t.Status), t.Capacity, ms(t.Deadline), ms(t.Start), ms(s.now())).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("save training %s: %w", t.ID, err)
	}
	if res[0] == "refused" {
		n, _ := strconv.Atoi(res[1])
		return nil, &umkm.CapacityError{Confirmed: n}
	}
	if err := s.rdb.ZAdd(ctx, s.Key("trainings", "all"), redis.Z{Score: float64(t.End.UnixMilli()), Member: t.ID}).Err(); err != nil {
		return nil, fmt.Errorf("index training %s: %w", t.ID, err)
	}
	if err := s.scheduleReminders(ctx, t); err != nil {
		return nil, err
	}
	return s.promoted(ctx, t.ID, res[1:])
}

// promoted loads the enrolments of promoted conversations.
func (s *TrainingStore) promoted(ctx context.Context, id string, convs []string) ([]umkm.Enrolment, error) {
	var out []umkm.Enrolment
	for _, c := range convs {
		conv, ok := bot.ParseConversation(c)
		if !ok {
			continue
		}
		e, err := s.Enrolment(ctx, id, conv)
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Training returns one training with its seat counts.
func (s *TrainingStore) Training(ctx context.Context, id string) (*umkm.Training, error) {
	ts, err := s.loadTrainings(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("training %s: %w", id, bot.ErrNotFound)
	}
	return ts[0], nil
}

// Trainings returns the trainings that have not ended by now, soonest first.
func (s *TrainingStore) Trainings(ctx context.Context, now time.Time) ([]*umkm.Training, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, s.Key("trainings", "all"), &redis.ZRangeBy{Min: "(" + ms(now), Max: "+inf"}).Result()
	if err != nil {
		return nil, fmt.Errorf("list trainings: %w", err)
	}
	ts, err := s.loadTrainings(ctx, ids)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(ts, func(a, b *umkm.Training) int { return a.Start.Compare(b.Start) })
	return ts, nil
}

// AllTrainings returns every training, past ones too, by id.
func (s *TrainingStore) AllTrainings(ctx context.Context) ([]*umkm.Training, error) {
	ids, err := s.rdb.ZRange(ctx, s.Key("trainings", "all"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list trainings: %w", err)
	}
	ts, err := s.loadTrainings(ctx, ids)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(ts, func(a, b *umkm.Training) int {
		x, _ := strconv.Atoi(a.ID)
		y, _ := strconv.Atoi(b.ID)
		return x - y
	})
	return ts, nil
}

// loadTrainings reads trainings and their seat counts in one round trip;
// ids with no record are left out.
func (s *TrainingStore) loadTrainings(ctx context.Context, ids []string) ([]*umkm.Training, error) {
	type pending struct {
		info       *redis.SliceCmd
		conf, wait *redis.IntCmd
	}
	cmds := make([]pending, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			k := s.trainingKeys(id)
			cmds[i] = pending{p.HMGet(ctx, k[kInfo], "data", "status"), p.ZCard(ctx, k[kConf]), p.ZCard(ctx, k[kWait])}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load trainings: %w", err)
	}
	out := make([]*umkm.Training, 0, len(ids))
	for i, id := range ids {
		vals := cmds[i].info.Val()
		data, _ := vals[0].(string)
		status, _ := vals[1].(string)
		if data == "" {
			continue
		}
		t := &umkm.Training{}
		if err := json.Unmarshal([]byte(data), t); err != nil {
			return nil, fmt.Errorf("decode training %s: %w", id, err)
		}
		t.ID, t.Status = id, umkm.TrainingStatus(status)
		t.Confirmed, t.Waitlisted = int(cmds[i].conf.Val()), int(cmds[i].wait.Val())
		out = append(out, t)
	}
	return out, nil
}
