package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

var _ bot.StateStore = (*ConversationStore)(nil)

func (s *Redis) convKey(c bot.Conversation, part string) string {
	return s.Key("c:"+c.String(), part)
}

// LoadState returns the conversation state, or a zero State.
func (s *ConversationStore) LoadState(ctx context.Context, c bot.Conversation) (bot.State, error) {
	vals, err := s.rdb.HMGet(ctx, s.stateKey(c), "v", "d").Result()
	if err != nil {
		return bot.State{}, fmt.Errorf("load state: %w", err)
	}
	return s.decodeState(vals)
}

var _ bot.TurnLoader = (*ConversationStore)(nil)

// LoadTurn reads the profile and the state in one round trip.
func (s *ConversationStore) LoadTurn(ctx context.Context, c bot.Conversation) (bot.Profile, bot.State, error) {
	var prof *redis.MapStringStringCmd
	var state *redis.SliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		prof = p.HGetAll(ctx, s.profileKey(c))
		state = p.HMGet(ctx, s.stateKey(c), "v", "d")
		return nil
	})
	if err != nil {
		return bot.Profile{}, bot.State{}, fmt.Errorf("load turn: %w", err)
	}
	st, err := s.decodeState(state.Val())
	if err != nil {
		return bot.Profile{}, bot.State{}, err
	}
	return s.decodeProfile(prof.Val()), st, nil
}

func (s *ConversationStore) decodeState(vals []any) (bot.State, error) {
	var st bot.State
	v, _ := vals[0].(string)
	d, _ := vals[1].(string)
	if v == "" || d == "" {
		return st, nil
	}
	if err := json.Unmarshal([]byte(d), &st); err != nil {
		return bot.State{}, fmt.Errorf("decode state: %w", err)
	}
	s.openState(&st)
	var err error
	st.Version, err = strconv.ParseInt(v, 10, 64)
	if err != nil {
		return bot.State{}, fmt.Errorf("decode state version %q: %w", v, err)
	}
	return st, nil
}

// casState writes the state if its version is still ARGV[1]; the version
// of a missing key is 0.
var casState = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'v') or '0'
if cur ~= ARGV[1] then return -1 end
local nv = tonumber(cur) + 1
redis.call('HSET', KEYS[1], 'v', nv, 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return nv
`)

// SaveState writes st with compare-and-set on st.Version and refreshes the
// idle TTL.
func (s *ConversationStore) SaveState(ctx context.Context, c bot.Conversation, st bot.State) (int64, error) {
	d, err := s.encodeState(st)
	if err != nil {
		return 0, err
	}
	s.states.drop(c)
	nv, err := casState.Run(ctx, s.rdb, []string{s.stateKey(c)},
		strconv.FormatInt(st.Version, 10), d, s.stateTTL.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("save state: %w", err)
	}
	if nv < 0 {
		return 0, bot.ErrConflict
	}
	return nv, nil
}
