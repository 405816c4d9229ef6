package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The reminder schedule is one sorted set {rem}:due of "<training>|<kind>"
// scored by the time it is due (ms). Claiming moves an item's score to the
// end of the claimer's lease, so other processes skip it until the lease
// runs out; finishing removes it. Which participants got a reminder is
// recorded per training ({t:<id>}:sent), before sending.
//
// {rem}:notify is a list of notices (JSON) queued where no channel runs,
// for serve to send.

func (s *TrainingStore) dueKey() string    { return s.Key("rem", "due") }
func (s *TrainingStore) noticeKey() string { return s.Key("rem", "notify") }

// claimDue: KEYS due; ARGV now ms, lease end ms, max.
var claimDue = redis.NewScript(`
local items = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(items) do redis.call('ZADD', KEYS[1], ARGV[2], m) end
return items
`)

// finishDue: KEYS due; ARGV member, lease end ms. Removes the item only if
// it is still the claim (not rescheduled meanwhile).
var finishDue = redis.NewScript(`
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
`)

// scheduleReminders puts t's reminders on the schedule, at the new time
// when the start moved. One already past is claimed at once and dropped by
// the runner when it is too late; one already sent is not sent again (the
// sent markers, cleared only when the start moves).
func (s *TrainingStore) scheduleReminders(ctx context.Context, t *umkm.Training) error {
	zs := make([]redis.Z, 0, len(umkm.ReminderOffsets))
	for kind, before := range umkm.ReminderOffsets {
		zs = append(zs, redis.Z{Score: float64(t.Start.Add(-before).UnixMilli()), Member: t.ID + "|" + kind})
	}
	if err := s.rdb.ZAdd(ctx, s.dueKey(), zs...).Err(); err != nil {
		return fmt.Errorf("schedule reminders of training %s: %w", t.ID, err)
	}
	return nil
}

// ClaimReminders takes up to max items due at now for lease.
func (s *TrainingStore) ClaimReminders(ctx context.Context, now time.Time, lease time.Duration, max int) ([]umkm.Reminder, error) {
	until := now.Add(lease)
	items, err := claimDue.Run(ctx, s.rdb, []string{s.dueKey()}, ms(now), ms(until), max).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("claim reminders: %w", err)
	}
	out := make([]umkm.Reminder, 0, len(items))
	for _, m := range items {
		id, kind, ok := strings.Cut(m, "|")
		if !ok {
			continue
		}
		out = append(out, umkm.Reminder{Training: id, Kind: kind, Lease: time.UnixMilli(until.UnixMilli())})
	}
	return out, nil
}

// FinishReminder removes a claimed item unless it was rescheduled.
func (s *TrainingStore) FinishReminder(ctx context.Context, r umkm.Reminder) error {
	if err := finishDue.Run(ctx, s.rdb, []string{s.dueKey()}, r.Training+"|"+r.Kind, ms(r.Lease)).Err(); err != nil && !isNil(err) {
		return fmt.Errorf("finish reminder %s|%s: %w", r.Training, r.Kind, err)
	}
	return nil
}

// MarkReminded records that c got reminder r; first is false if it had.
func (s *TrainingStore) MarkReminded(ctx context.Context, r umkm.Reminder, c bot.Conversation) (bool, error) {
	first, err := s.rdb.HSetNX(ctx, s.trainingKeys(r.Training)[kSent], r.Kind+"|"+c.String(), ms(s.now())).Result()
	if err != nil {
		return false, fmt.Errorf("mark reminder %s of training %s: %w", r.Kind, r.Training, err)
	}
	return first, nil
}

// PushNotices queues notices for serve.
func (s *TrainingStore) PushNotices(ctx context.Context, ns ...umkm.TrainingNotice) error {
	if len(ns) == 0 {
		return nil
	}
	vals := make([]any, len(ns))
	for i, n := range ns {
		b, err := json.Marshal(n)
		if err != nil {
			return fmt.Errorf("encode notice: %w", err)
		}
		vals[i] = b
	}
	if err := s.rdb.LPush(ctx, s.noticeKey(), vals...).Err(); err != nil {
		return fmt.Errorf("queue notices: %w", err)
	}
	return nil
}

// popNotices: KEYS list; ARGV max. Takes the oldest max entries.
var popNotices = redis.NewScript(`
local n = tonumber(ARGV[1])
local items = redis.call('LRANGE', KEYS[1], -n, -1)
redis.call('LTRIM', KEYS[1], 0, -n - 1)
return items
`)

// PopNotices takes up to max queued notices, oldest first. A notice taken
// by a process that dies before sending it is lost.
func (s *TrainingStore) PopNotices(ctx context.Context, max int) ([]umkm.TrainingNotice, error) {
	items, err := popNotices.Run(ctx, s.rdb, []string{s.noticeKey()}, strconv.Itoa(max)).StringSlice()
	if err != nil && !isNil(err) {
		return nil, fmt.Errorf("take notices: %w", err)
	}
	slices.Reverse(items)
	out := make([]umkm.TrainingNotice, 0, len(items))
	for _, it := range items {
		var n umkm.TrainingNotice
		if err := json.Unmarshal([]byte(it), &n); err != nil {
			return out, fmt.Errorf("decode notice: %w", err)
		}
		out = append(out, n)
	}
	return out, nil
}
