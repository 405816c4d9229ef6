package whatsapp

import (
	"context"
	"errors"
	"fmt"

	"go.mau.fi/whatsmeow/types"

	"github.com/umkmbot/umkmbot/bot"
)

// Users keeps WhatsApp ids (phone digits, "<lid>@lid", "<group>@g.us",
// as ConvUser makes them) out of storage: the conversation user is an
// opaque pseudonym, and the id to reply to is looked up (sealed at rest)
// when a reply goes out. cmd/umkmbot gives the store's map (a keyed HMAC
// of the id, the id sealed with the data key); without Users the id
// itself is the conversation user.
type Users interface {
	// WhatsAppUser returns the conversation user of id, made and kept
	// the first time.
	WhatsAppUser(ctx context.Context, id string) (string, error)
	// WhatsAppID returns the id behind a conversation user;
	// bot.ErrNotFound when none is known (the person was erased).
	WhatsAppID(ctx context.Context, user string) (string, error)
}

// pseudonymize replaces the WhatsApp id in msg's conversation with its
// pseudonym. Message.Phone keeps the number: the registration flow needs
// it, and seals it in the state.
func (a *Adapter) pseudonymize(ctx context.Context, msg *bot.Message) error {
	if a.users == nil || msg.Conv.User == "" {
		return nil
	}
	u, err := a.users.WhatsAppUser(ctx, msg.Conv.User)
	if err != nil {
		return fmt.Errorf("whatsapp conversation user: %w", err)
	}
	msg.Conv.User = u
	return nil
}

// chatJID is where replies to conversation user go. An id stored before
// pseudonyms (a queued broadcast entry, a relayed reply) is still
// understood. An unknown pseudonym is refused for good (bot.ErrRejected):
// the person was erased.
func (a *Adapter) chatJID(ctx context.Context, user string) (types.JID, error) {
	if jid, err := ChatJID(user); err == nil || a.users == nil {
		return jid, rejected(err)
	}
	id, err := a.users.WhatsAppID(ctx, user)
	if errors.Is(err, bot.ErrNotFound) {
		return types.JID{}, rejected(err)
	}
	if err != nil {
		return types.JID{}, fmt.Errorf("whatsapp conversation user %s: %w", maskUser(user), err)
	}
	jid, err := ChatJID(id)
	return jid, rejected(err)
}

func rejected(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", bot.ErrRejected, err)
}
