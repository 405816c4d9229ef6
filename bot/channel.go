package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"
)

// This file holds the contracts between the core and a channel beyond
// Sender: pacing, a platform's "slow down", photos and bulk sending, and
// the Channel value every channel is described by, with its registry.

// RetryAfterError is what a channel returns when the platform asks to slow
// down (Telegram's 429 with retry_after): the limiter waits After.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("slow down: retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// RateLimiter paces sends per channel across every process.
type RateLimiter interface {
	// Reserve takes a send slot on ch now and returns 0, or returns how
	// long to wait before asking again.
	Reserve(ctx context.Context, ch ChannelID) (time.Duration, error)
	// SlowDown makes ch wait at least after and halves its rate for a while.
	SlowDown(ctx context.Context, ch ChannelID, after time.Duration) error
}

// PhotoNotifier is an optional capability of a Notifier: sending a photo
// (a file reference from channel from) with the message as its caption.
// Without it, broadcasts go out as text only (and the preview says so).
type PhotoNotifier interface {
	NotifyPhoto(ctx context.Context, to Conversation, photo Media, from ChannelID, caption Out) error
}

// BulkChecker is an optional capability of a channel: whether messages
// nobody asked for may be sent now, and if not until when (WhatsApp
// reports temporary bans). Fan-out holds the channel's deliveries while it
// says no.
type BulkChecker interface {
	BulkAllowed() (ok bool, until time.Time)
}

// Channel describes a chat channel once, for every part of the program
// that deals with channels: the broadcast fan-out (its workers, pace and
// bulk permission), the admin check, the siaran channel choice (its name
// and the words for it), the metrics and readiness, and the outbox (its
// Sender). A channel is one package (bot/telegram, bot/whatsapp,
// bot/console) and one registration in cmd.
//
// Its description (ID to Batch) holds in every process, whether or not
// the channel runs there: the terminal chat composes broadcasts for
// WhatsApp owners and knows WhatsApp's admins. Link is what runs it in
// this process and is empty where it does not run.
type Channel struct {
	ID ChannelID
	// Label is the message id of the channel's name as people read it
	// ("channel.telegram"), in every locale.
	Label string
	// Aliases are other words an officer may type for the channel when
	// choosing it ("tg", "wa"); its id and label are always understood.
	Aliases []string
	// Media says what the channel can send besides text.
	Media MediaSupport
	// IsAdmin reports whether the person with this channel user id may
	// compose and control broadcasts; nil: nobody on this channel.
	IsAdmin func(user string) bool
	// Admins lists the channel user ids of its configured admins, for
	// notices to them (a ticket waiting too long); nil: none.
	Admins func() []string
	// Rate paces broadcasts on this channel, all processes together (the
	// platform's limit for messages nobody asked for); zero: no limit.
	Rate Rate
	// Workers is how many broadcast senders run per process (default 1).
	Workers int
	// Batch is how many queued deliveries a broadcast sender takes at once
	// (default 16; a slow channel takes 1 so that taken entries do not
	// wait long enough to be taken over by another process).
	Batch int

	Link
}

// Link is what runs a channel in this process.
type Link struct {
	// Sender delivers replies and notifications; nil: the channel does not
	// run in this process (not enabled, not paired, or a CLI command).
	Sender Sender
	// Bulk, if set, says whether messages nobody asked for may go out now
	// (WhatsApp's temporary bans); broadcasts wait while it says no.
	Bulk BulkChecker
	// Fetch, if set, downloads a file a person sent, by its reference
	// (the console's product photos, pictures sent on to other channels).
	Fetch func(ctx context.Context, ref string) ([]byte, error)
	// Ready, if set, says whether the channel can serve now (nil) or why
	// not, for /readyz; no personal data, no secrets.
	Ready func(ctx context.Context) error
}

// Serves reports whether the channel runs in this process.
func (c Channel) Serves() bool { return c.Sender != nil }

// MediaSupport is what a channel can send besides text.
type MediaSupport struct {
	// Photos: its Sender is a PhotoSender, so broadcasts with a picture go
	// out as a picture with the text as caption (else as text alone).
	Photos bool
}

// Rate is a pace of sending: at most N messages in any Per. Spread sends
// them evenly apart (Per/N between two) with Jitter, a random extra share
// (0 to 1) of that gap, for a platform that bans bursts. The zero Rate is
// no limit.
type Rate struct {
	N      int
	Per    time.Duration
	Spread bool
	Jitter float64
}

// Channels is the program's registry of chat channels, in the order they
// were registered (the order people see them in). cmd builds one and
// hands it to what iterates channels; it is safe for concurrent use, and a
// channel linked after start (WhatsApp paired while serving) is seen by
// the next look.
type Channels struct {
	mu   sync.RWMutex
	list []Channel
}

// NewChannels returns a registry holding cs (see Register).
func NewChannels(cs ...Channel) *Channels {
	r := &Channels{}
	for _, c := range cs {
		r.Register(c)
	}
	return r
}

var channelIDRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,19}$`)

// Register adds a channel. An id that is empty, not a short lower-case
// word (it is part of storage keys and metric labels), already registered
// or the picture source Uploaded, and a channel that claims photos while
// its Sender cannot send them, are programming errors: Register panics,
// as the program must not start half-wired.
func (r *Channels) Register(c Channel) {
	if !channelIDRE.MatchString(string(c.ID)) || c.ID == Uploaded {
		panic(fmt.Sprintf("bot: channel id %q: want a short lower-case word", c.ID))
	}
	if err := c.Link.check(c); err != nil {
		panic(err.Error())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, have := range r.list {
		if have.ID == c.ID {
			panic(fmt.Sprintf("bot: channel %q registered twice", c.ID))
		}
	}
	r.list = append(r.list, c)
}

// ErrUnknownChannel is returned by Channels.Link for a channel id that was
// never registered.
var ErrUnknownChannel = errors.New("channel not registered")

// Link sets what runs channel id in this process, replacing an earlier
// link (a WhatsApp number paired again).
func (r *Channels) Link(id ChannelID, l Link) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.list {
		if r.list[i].ID == id {
			if err := l.check(r.list[i]); err != nil {
				return err
			}
			r.list[i].Link = l
			return nil
		}
	}
	return fmt.Errorf("link channel %q: %w", id, ErrUnknownChannel)
}

func (l Link) check(c Channel) error {
	if _, ok := l.Sender.(PhotoSender); c.Media.Photos && l.Sender != nil && !ok {
		return fmt.Errorf("bot: channel %q claims photos but its sender %T cannot send them", c.ID, l.Sender)
	}
	return nil
}

// All returns the registered channels in registration order.
func (r *Channels) All() []Channel {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.list)
}

// IDs returns the registered channels' ids in registration order.
func (r *Channels) IDs() []ChannelID {
	all := r.All()
	ids := make([]ChannelID, len(all))
	for i, c := range all {
		ids[i] = c.ID
	}
	return ids
}

// Get returns the channel registered as id.
func (r *Channels) Get(id ChannelID) (Channel, bool) {
	if r == nil {
		return Channel{}, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, c := range r.list {
		if c.ID == id {
			return c, true
		}
	}
	return Channel{}, false
}

// Has reports whether a channel is registered as id.
func (r *Channels) Has(id ChannelID) bool {
	_, ok := r.Get(id)
	return ok
}

// IsAdmin reports whether conv may compose and control broadcasts: its
// channel is registered and that channel's IsAdmin says yes. A person on
// a channel this program does not know is never an admin.
func (r *Channels) IsAdmin(conv Conversation) bool {
	c, ok := r.Get(conv.Channel)
	return ok && c.IsAdmin != nil && c.IsAdmin(conv.User)
}
