package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"github.com/umkmbot/umkmbot/bot"
)

// Send delivers a reply: plain text with its options as a numbered list
// (buttons do not show on regular accounts), split into pieces of at most
// Config.MaxChunk characters. Before the first piece it marks what the
// person sent as read and shows 'typing…' (when configured). Each piece is
// paced by the rate limiter, waits up to Config.SendWait for a lost
// connection and is retried; a piece that cannot be sent is an error,
// counted and logged with the number masked, never dropped silently.
//
// In a process that does not hold the connection, with a Relay configured,
// the reply is handed to the holder instead.
func (a *Adapter) Send(ctx context.Context, to bot.Conversation, r bot.Reply) error {
	if a.relay != nil && !a.holding.Load() {
		return a.relaySend(ctx, to, r)
	}
	return a.sendDirect(ctx, to, r)
}

func (a *Adapter) sendDirect(ctx context.Context, to bot.Conversation, r bot.Reply) error {
	log := a.log.With(bot.ConvArgs(to, "")...)
	jid, err := ChatJID(to.User)
	if err != nil {
		a.Stats.SendFailed.Add(1)
		log.Error("send whatsapp message", "err", err)
		return err
	}
	pieces := Split(r.PlainText(), a.cfg.MaxChunk)
	deadline := a.clock.Now().Add(a.cfg.SendWait)
	for i, text := range pieces {
		if i == 0 {
			a.beforeReply(ctx, to.User, jid, deadline)
		}
		if err := a.sendText(ctx, jid, text, deadline); err != nil {
			a.Stats.SendFailed.Add(int64(len(pieces) - i))
			log.Error("send whatsapp message", "piece", i+1, "of", len(pieces), "err", err)
			return fmt.Errorf("send whatsapp message to %s: %w", maskUser(to.User), err)
		}
		a.Stats.Sent.Add(1)
	}
	if p, ok := a.client.(presenceSender); ok && a.cfg.Typing > 0 && len(pieces) > 0 {
		if err := p.SendChatPresence(ctx, jid, types.ChatPresencePaused, types.ChatPresenceMediaText); err != nil {
			log.Debug("whatsapp typing off", "err", err)
		}
	}
	return nil
}

// beforeReply marks the person's messages read and shows 'typing…'. Both
// are courtesies: failures are logged at debug level and do not stop the
// reply.
func (a *Adapter) beforeReply(ctx context.Context, user string, jid types.JID, deadline time.Time) {
	if a.waitConnected(ctx, deadline) != nil {
		return // sendText reports it
	}
	if rm, ok := a.client.(readMarker); ok && a.cfg.MarkRead {
		if u, ok := a.takeUnread(user); ok {
			if err := rm.MarkRead(ctx, u.ids, a.clock.Now(), u.chat, u.sender); err != nil {
				a.log.Debug("whatsapp mark read", "err", err)
			}
		}
	}
	if p, ok := a.client.(presenceSender); ok && a.cfg.Typing > 0 {
		if err := p.SendChatPresence(ctx, jid, types.ChatPresenceComposing, types.ChatPresenceMediaText); err != nil {
			a.log.Debug("whatsapp typing on", "err", err)
			return
		}
		_ = sleep(ctx, a.clock, a.cfg.Typing)
	}
}

// sendText sends one piece, waiting for its slot and for the connection,
// and retrying under the same message id (so a send that went through
// but whose answer was lost is not shown twice) until deadline.
func (a *Adapter) sendText(ctx context.Context, jid types.JID, text string, deadline time.Time) error {
	msg := &waE2E.Message{Conversation: proto.String(text)}
	var extra []whatsmeow.SendRequestExtra
	if g, ok := a.client.(idMaker); ok {
		extra = append(extra, whatsmeow.SendRequestExtra{ID: g.GenerateMessageID()})
	}
	if err := a.waitConnected(ctx, deadline); err != nil {
		return err
	}
	if err := sleep(ctx, a.clock, a.limiter.reserve(a.clock.Now(), jid.User).Sub(a.clock.Now())); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		_, err := a.client.SendMessage(ctx, jid, msg, extra...)
		switch {
		case err == nil:
			return nil
		case isTimelock(err):
			until := a.clock.Now().Add(a.cfg.TimelockPause)
			a.log.Error("WHATSAPP REACH-OUT TIME LOCK: WhatsApp refused a message to someone who did not write first (error 463). "+
				"Broadcasts stop until the lock ends; replies to people who write still go out.",
				"pause_until", until.In(bot.Jakarta).Format(time.RFC3339))
			a.restrict(RestrictionTimelock, until, 463)
			return fmt.Errorf("%w: reach-out time lock: %w", ErrRestricted, err)
		case !retryable(err) || ctx.Err() != nil:
			return err
		}
		a.Stats.Retried.Add(1)
		a.log.Warn("whatsapp send failed, retrying", "attempt", attempt+1, "err", err)
		wait := min(time.Second<<min(attempt, 4), 10*time.Second)
		if !a.clock.Now().Add(wait).Before(deadline) {
			return fmt.Errorf("%w after %s: %w", ErrDisconnected, a.cfg.SendWait, err)
		}
		if err := sleep(ctx, a.clock, wait); err != nil {
			return err
		}
		if err := a.waitConnected(ctx, deadline); err != nil {
			return err
		}
	}
}

// waitConnected returns once the client is connected, or ErrDisconnected
// at deadline.
func (a *Adapter) waitConnected(ctx context.Context, deadline time.Time) error {
	for !a.client.IsConnected() {
		left := deadline.Sub(a.clock.Now())
		if left <= 0 {
			return fmt.Errorf("%w for %s", ErrDisconnected, a.cfg.SendWait)
		}
		// Poll as well as wait for the Connected event: the client may say
		// it is connected a moment before or after the event.
		if err := a.clock.Wait(ctx, min(left, time.Second), a.connectedCh()); err != nil {
			return err
		}
	}
	return nil
}

// retryable reports a send error that a new connection may cure.
func retryable(err error) bool {
	return errors.Is(err, whatsmeow.ErrNotConnected) || errors.Is(err, whatsmeow.ErrIQDisconnected) ||
		errors.Is(err, whatsmeow.ErrMessageTimedOut) || errors.Is(err, whatsmeow.ErrIQTimedOut)
}

// isTimelock reports WhatsApp's error 463 (NackCallerReachoutTimelocked).
func isTimelock(err error) bool {
	return errors.Is(err, whatsmeow.ErrServerReturnedError) && strings.HasSuffix(err.Error(), " 463")
}
