package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// ErrUnreachable is returned (wrapped) by a Sender when the channel says the
// person cannot be reached any more (they blocked the bot): retrying is
// pointless and the profile is marked.
var ErrUnreachable = errors.New("recipient unreachable")

// ErrNoChannel is returned when no sender serves a conversation's channel.
var ErrNoChannel = errors.New("no channel for conversation")

// Sender delivers a rendered reply to one conversation. Channel adapters
// implement it; they format Options as buttons or as a numbered list.
type Sender interface {
	Send(ctx context.Context, to Conversation, r Reply) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, to Conversation, r Reply) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, to Conversation, r Reply) error { return f(ctx, to, r) }

// Notifier sends a message nobody asked for right now (a waitlist seat, a
// reminder, a curation decision) to a person, in their language.
type Notifier interface {
	Notify(ctx context.Context, to Conversation, outs ...Out) error
}

// Outbox routes replies to the channel of each conversation and renders
// notifications in the recipient's language.
type Outbox struct {
	cat      *Catalog
	profiles ProfileStore
	log      *slog.Logger
	defLang  string

	mu      sync.RWMutex
	senders map[ChannelID]Sender
	media   MediaSource // pictures' bytes for NotifyPhoto; nil: none
	photos  photoCache
}

var _ Notifier = (*Outbox)(nil)

// NewOutbox returns an outbox with no channels.
func NewOutbox(cat *Catalog, profiles ProfileStore, defaultLang string, log *slog.Logger) *Outbox {
	if log == nil {
		log = slog.Default()
	}
	if defaultLang == "" {
		defaultLang = DefaultLang
	}
	return &Outbox{cat: cat, profiles: profiles, log: log, defLang: defaultLang, senders: map[ChannelID]Sender{}}
}

// Register makes s the sender of channel ch.
func (o *Outbox) Register(ch ChannelID, s Sender) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.senders[ch] = s
}

// Send delivers r to conversation to. An ErrUnreachable answer marks the
// person's profile.
func (o *Outbox) Send(ctx context.Context, to Conversation, r Reply) error {
	o.mu.RLock()
	s := o.senders[to.Channel]
	o.mu.RUnlock()
	if s == nil {
		return fmt.Errorf("send to %s: %w", to.Channel, ErrNoChannel)
	}
	var err error
	if r.Attach != nil {
		err = o.sendAttached(ctx, s, to, r) // bot/attach.go
	} else {
		err = s.Send(ctx, to, r)
	}
	if errors.Is(err, ErrUnreachable) && o.profiles != nil {
		if perr := o.profiles.SetProfile(ctx, to, FieldUnreachable, "1"); perr != nil {
			o.log.Warn("mark unreachable", "channel", to.Channel, "err", perr)
		}
	}
	return err
}

// Lang returns the language a person reads.
func (o *Outbox) Lang(ctx context.Context, to Conversation) string {
	if o.profiles != nil {
		if p, err := o.profiles.Profile(ctx, to); err == nil && p.Lang != "" {
			return p.Lang
		}
	}
	return o.defLang
}

// Notify renders outs in the recipient's language and sends them.
func (o *Outbox) Notify(ctx context.Context, to Conversation, outs ...Out) error {
	lang := o.Lang(ctx, to)
	for _, out := range outs {
		if err := o.Send(ctx, to, o.cat.Out(lang, out)); err != nil {
			return err
		}
	}
	return nil
}
