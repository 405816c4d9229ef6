package store

import (
	"context"
	"fmt"
	"time"

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

// SetProfile sets one field; "" deletes it.
func (s *ConversationStore) SetProfile(ctx context.Context, c bot.Conversation, field, value string) error {
	k := s.profileKey(c)
	value, err := s.profileValue(field, value)
	if err != nil {
		return fmt.Errorf("set profile %s: %w", field, err)
	}
	if value == "" {
		err = s.rdb.HDel(ctx, k, field).Err()
	} else {
		err = s.rdb.HSet(ctx, k, field, value).Err()
	}
	if err != nil {
		return fmt.Errorf("set profile %s: %w", field, err)
	}
	return nil
}
