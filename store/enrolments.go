package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Enrolments: an owner takes a seat or a place on the waitlist, cancels,
// and checks in with the attendance code. The keys are the training's
// own (trainings.go).

// enrol: ARGV conversation, registration id, now ms, waitlist (1/0),
// candidate attendance codes... Returns {status, waitlist position, code}.
var enrolScript = redis.NewScript(`
local conv, now = ARGV[1], tonumber(ARGV[3])
local function answer(st)
  local pos = 0
  if st == 'daftar_tunggu' then pos = redis.call('ZRANK', KEYS[4], conv) + 1 end
  return {st, tostring(pos), redis.call('HGET', KEYS[6], conv) or ''}
end
local cur = redis.call('HGET', KEYS[2], conv)
if cur == 'terdaftar' or cur == 'hadir' or cur == 'daftar_tunggu' then return answer(cur) end
local info = redis.call('HMGET', KEYS[1], 'status', 'capacity', 'deadline', 'start')
if not info[1] then return {'missing', '0', ''} end
local deadline = tonumber(info[3])
if info[1] ~= 'open' or now >= tonumber(info[4]) or (deadline > 0 and now >= deadline) then return {'closed', '0', ''} end
local waiting = redis.call('ZCARD', KEYS[4])
local full = waiting > 0 or redis.call('ZCARD', KEYS[3]) >= tonumber(info[2])
if full and ARGV[4] ~= '1' then return {'penuh', tostring(waiting), ''} end
if not redis.call('HGET', KEYS[6], conv) then
  local code
  for i = 5, #ARGV do
    if redis.call('HSETNX', KEYS[5], ARGV[i], conv) == 1 then code = ARGV[i]; break end
  end
  if not code then return {'retry', '0', ''} end
  redis.call('HSET', KEYS[6], conv, code)
end
redis.call('HSET', KEYS[7], conv, ARGV[2])
redis.call('HSET', KEYS[8], conv, ARGV[3])
local seq = redis.call('INCR', KEYS[9])
if full then
  redis.call('ZADD', KEYS[4], seq, conv)
  redis.call('HSET', KEYS[2], conv, 'daftar_tunggu')
  return answer('daftar_tunggu')
end
redis.call('ZADD', KEYS[3], seq, conv)
redis.call('HSET', KEYS[2], conv, 'terdaftar')
return answer('terdaftar')
`)

// cancel: ARGV conversation, now ms. Returns {'none'} or {'ok', promoted...}.
var cancelScript = redis.NewScript(promoteLua + `
local conv = ARGV[1]
local cur = redis.call('HGET', KEYS[2], conv)
if cur ~= 'terdaftar' and cur ~= 'daftar_tunggu' then return {'none'} end
redis.call('HSET', KEYS[2], conv, 'dibatalkan')
redis.call('HSET', KEYS[8], conv, ARGV[2])
if cur == 'daftar_tunggu' then
  redis.call('ZREM', KEYS[4], conv)
  return {'ok'}
end
redis.call('ZREM', KEYS[3], conv)
local p = promote(tonumber(redis.call('HGET', KEYS[1], 'capacity') or '0'), ARGV[2])
table.insert(p, 1, 'ok')
return p
`)

// checkIn: ARGV code, conversation ("" for the Dinas), now ms. Returns
// {result, conversation}.
var checkInScript = redis.NewScript(`
local conv = redis.call('HGET', KEYS[5], ARGV[1])
if not conv or (ARGV[2] ~= '' and conv ~= ARGV[2]) then return {'nocode', ''} end
local st = redis.call('HGET', KEYS[2], conv)
if st == 'hadir' then return {'ok', conv} end
if st ~= 'terdaftar' then return {'notseated', conv} end
redis.call('HSET', KEYS[2], conv, 'hadir')
redis.call('HSET', KEYS[8], conv, ARGV[3])
return {'ok', conv}
`)

// ErrNotSeated is returned by CheckIn for a code whose holder has no seat
// (waitlisted or cancelled); it is umkm.ErrNotSeated.
var ErrNotSeated = umkm.ErrNotSeated

// codeSource draws attendance codes from r, or crypto/rand when r is nil.
type codeSource struct {
	mu sync.Mutex
	r  io.Reader
}

// next returns n random attendance code candidates.
func (c *codeSource) next(n int) ([]any, error) {
	buf := make([]byte, n*umkm.AttendanceCodeLen)
	c.mu.Lock()
	r := c.r
	if r == nil {
		r = rand.Reader
	}
	_, err := io.ReadFull(r, buf)
	c.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("draw attendance codes: %w", err)
	}
	out := make([]any, n)
	for i := range out {
		code := buf[i*umkm.AttendanceCodeLen : (i+1)*umkm.AttendanceCodeLen]
		for j, b := range code {
			code[j] = umkm.AttendanceAlphabet[int(b)%len(umkm.AttendanceAlphabet)]
		}
		out[i] = string(code)
	}
	return out, nil
}

// Enrol seats an owner, or waitlists them (see umkm.Enrolments).
func (s *TrainingStore) Enrol(ctx context.Context, e umkm.Enrolment, waitlist bool) (umkm.Enrolment, error) {
	keys := s.trainingKeys(e.Training)
	if e.At.IsZero() {
		e.At = s.now()
	}
	wl := "0"
	if waitlist {
		wl = "1"
	}
	for attempt := 0; attempt < 5; attempt++ {
		codes, err := s.codes.next(4)
		if err != nil {
			return e, err
		}
		args := append([]any{e.Conv.String(), e.Registration, ms(e.At), wl}, codes...)
		res, err := enrolScript.Run(ctx, s.rdb, keys, args...).StringSlice()
		if err != nil {
			return e, fmt.Errorf("enrol in training %s: %w", e.Training, err)
		}
		switch res[0] {
		case "retry": // every candidate code was taken: draw again
			continue
		case "missing":
			return e, fmt.Errorf("training %s: %w", e.Training, bot.ErrNotFound)
		case "closed":
			return e, fmt.Errorf("training %s: %w", e.Training, umkm.ErrTrainingClosed)
		}
		e.Status = umkm.EnrolStatus(res[0])
		e.Position, _ = strconv.Atoi(res[1])
		e.Code = res[2]
		if e.Status != umkm.StatusFull {
			if err := s.rdb.SAdd(ctx, s.ownerTrainings(e.Conv), e.Training).Err(); err != nil {
				return e, fmt.Errorf("index enrolment in %s: %w", e.Training, err)
			}
		}
		return e, nil
	}
	return e, fmt.Errorf("enrol in training %s: no free attendance code found", e.Training)
}

// Cancel frees an owner's seat or waitlist place (see umkm.Enrolments).
func (s *TrainingStore) Cancel(ctx context.Context, training string, c bot.Conversation) (bool, []umkm.Enrolment, error) {
	res, err := cancelScript.Run(ctx, s.rdb, s.trainingKeys(training), c.String(), ms(s.now())).StringSlice()
	if err != nil {
		return false, nil, fmt.Errorf("cancel in training %s: %w", training, err)
	}
	if res[0] != "ok" {
		return false, nil, nil
	}
	p, err := s.promoted(ctx, training, res[1:])
	return true, p, err
}

// CheckIn marks the holder of code attended (see umkm.Enrolments). A code
// whose holder has no seat gives ErrNotSeated.
func (s *TrainingStore) CheckIn(ctx context.Context, training, code string, c bot.Conversation) (umkm.Enrolment, error) {
	owner := ""
	if c != (bot.Conversation{}) {
		owner = c.String()
	}
	res, err := checkInScript.Run(ctx, s.rdb, s.trainingKeys(training), code, owner, ms(s.now())).StringSlice()
	if err != nil {
		return umkm.Enrolment{}, fmt.Errorf("check in to training %s: %w", training, err)
	}
	switch res[0] {
	case "nocode":
		return umkm.Enrolment{}, fmt.Errorf("attendance code in training %s: %w", training, bot.ErrNotFound)
	case "notseated":
		return umkm.Enrolment{}, fmt.Errorf("check in to training %s: %w", training, ErrNotSeated)
	}
	conv, _ := bot.ParseConversation(res[1])
	return s.Enrolment(ctx, training, conv)
}

// Enrolment returns one owner's enrolment in a training; ErrNotFound if
// they never signed up.
func (s *TrainingStore) Enrolment(ctx context.Context, training string, c bot.Conversation) (umkm.Enrolment, error) {
	es, err := s.enrolments(ctx, c, []string{training})
	if err != nil {
		return umkm.Enrolment{}, err
	}
	if len(es) == 0 {
		return umkm.Enrolment{}, fmt.Errorf("enrolment in training %s: %w", training, bot.ErrNotFound)
	}
	return es[0], nil
}

// EnrolmentsOf lists the owner's enrolments, soonest training first.
func (s *TrainingStore) EnrolmentsOf(ctx context.Context, c bot.Conversation) ([]umkm.Enrolment, error) {
	ids, err := s.rdb.SMembers(ctx, s.ownerTrainings(c)).Result()
	if err != nil {
		return nil, fmt.Errorf("list trainings of %s: %w", c.Channel, err)
	}
	slices.SortFunc(ids, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	return s.enrolments(ctx, c, ids)
}

// enrolments reads c's enrolment in each training in one round trip,
// leaving out trainings c never signed up for.
func (s *TrainingStore) enrolments(ctx context.Context, c bot.Conversation, ids []string) ([]umkm.Enrolment, error) {
	type pending struct {
		st, code, reg, at *redis.StringCmd
		rank              *redis.IntCmd
	}
	conv := c.String()
	cmds := make([]pending, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			k := s.trainingKeys(id)
			cmds[i] = pending{p.HGet(ctx, k[kSt], conv), p.HGet(ctx, k[kCode], conv), p.HGet(ctx, k[kReg], conv),
				p.HGet(ctx, k[kAt], conv), p.ZRank(ctx, k[kWait], conv)}
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return nil, fmt.Errorf("load enrolments of %s: %w", c.Channel, err)
	}
	out := make([]umkm.Enrolment, 0, len(ids))
	for i, id := range ids {
		st := cmds[i].st.Val()
		if st == "" {
			continue
		}
		e := umkm.Enrolment{Training: id, Conv: c, Status: umkm.EnrolStatus(st), Code: cmds[i].code.Val(), Registration: cmds[i].reg.Val()}
		if at, err := strconv.ParseInt(cmds[i].at.Val(), 10, 64); err == nil {
			e.At = time.UnixMilli(at)
		}
		if e.Status == umkm.StatusWaitlisted && cmds[i].rank.Err() == nil {
			e.Position = int(cmds[i].rank.Val()) + 1
		}
		out = append(out, e)
	}
	return out, nil
}

// Participants lists every enrolment of a training: seat holders in seat
// order, then the waitlist in its order, then the cancelled.
func (s *TrainingStore) Participants(ctx context.Context, training string) ([]umkm.Enrolment, error) {
	k := s.trainingKeys(training)
	var st, code, reg, at *redis.MapStringStringCmd
	var conf, wait *redis.StringSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		st, code, reg, at = p.HGetAll(ctx, k[kSt]), p.HGetAll(ctx, k[kCode]), p.HGetAll(ctx, k[kReg]), p.HGetAll(ctx, k[kAt])
		conf, wait = p.ZRange(ctx, k[kConf], 0, -1), p.ZRange(ctx, k[kWait], 0, -1)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load participants of training %s: %w", training, err)
	}
	order := append(conf.Val(), wait.Val()...)
	seen := make(map[string]bool, len(order))
	for _, c := range order {
		seen[c] = true
	}
	var rest []string
	for c := range st.Val() {
		if !seen[c] {
			rest = append(rest, c)
		}
	}
	slices.Sort(rest)
	order = append(order, rest...)
	out := make([]umkm.Enrolment, 0, len(order))
	pos := 0
	for _, c := range order {
		conv, ok := bot.ParseConversation(c)
		if !ok {
			continue
		}
		e := umkm.Enrolment{Training: training, Conv: conv, Status: umkm.EnrolStatus(st.Val()[c]), Code: code.Val()[c], Registration: reg.Val()[c]}
		if n, err := strconv.ParseInt(at.Val()[c], 10, 64); err == nil {
			e.At = time.UnixMilli(n)
		}
		if e.Status == umkm.StatusWaitlisted {
			pos++
			e.Position = pos
		}
		out = append(out, e)
	}
	return out, nil
}
