package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

var _ bot.ProfileStore = (*ConversationStore)(nil)

// Profile returns what is remembered about a person (zero if nothing).
func (s *ConversationStore) Profile(ctx context.Context, c bot.Conversation) (bot.Profile, error) {
	m, err := s.rdb.HGetAll(ctx, s.profileKey(c)).Result()
	if err != nil {
		return bot.Profile{}, fmt.Errorf("load profile: %w", err)
	}
	return s.decodeProfile(m), nil
}

func decodeProfile(m map[string]string) bot.Profile {
	p := bot.Profile{
		Lang:        m[bot.FieldLang],
		OptOut:      m[bot.FieldOptOut] == "1",
		Unreachable: m[bot.FieldUnreachable] == "1",
		Phone:       m[bot.FieldPhone],
		Name:        m["name"],
		Draft:       m[bot.FieldDraft],
	}
	if t, err := time.Parse(time.RFC3339, m["seen"]); err == nil {
		p.Seen = t
	}
	return p
}

// setProfileScript: KEYS profile state; ARGV field, value ("": delete), a new
// profile token. The token changes with the profile, in one step, so that
// no process goes on with a profile it cached before (turn.go).
var setProfileScript = redis.NewScript(`
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HSET', KEYS[2], 'pv', ARGV[3]) end
return 1
`)

// SetProfile sets one field; "" deletes it.
func (s *ConversationStore) SetProfile(ctx context.Context, c bot.Conversation, field, value string) error {
	k := s.turnKeys(c)
	value, err := s.profileValue(field, value)
	if err != nil {
		return fmt.Errorf("set profile %s: %w", field, err)
	}
	if err := setProfileScript.Run(ctx, s.rdb, []string{k.profile, k.state}, field, value, newProfileToken()).Err(); err != nil {
		return fmt.Errorf("set profile %s: %w", field, err)
	}
	return nil
}
