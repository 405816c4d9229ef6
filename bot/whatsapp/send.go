package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
// Errors tell the outbox what to do: wrapping bot.ErrUnreachable when the
// person is no longer on WhatsApp, bot.ErrRejected when WhatsApp refused
// the message for good (a malformed recipient, a 4xx answer, a reach-out
// time lock: retrying would only add refusals that raise the ban risk);
// anything else (disconnected past SendWait, timeouts, 5xx) is plain and
// may be retried.
//
// In a process that does not hold the connection, with a Relay configured,
// the reply is handed to the holder instead: nil then means handed over,
// and only the holder counts it as sent.
func (a *Adapter) Send(ctx context.Context, to bot.Conversation, r bot.Reply) error {
	if a.relay != nil && !a.holding.Load() {
		return a.relaySend(ctx, to, r)
	}
	return a.sendDirect(ctx, to, r)
}

func (a *Adapter) sendDirect(ctx context.Context, to bot.Conversation, r bot.Reply) error {
	log := a.log.With(bot.ConvArgs(to, "")...)
	jid, err := a.chatJID(ctx, to.User)
	if err != nil {
		a.Stats.SendFailed.Add(1)
		if errors.Is(err, bot.ErrRejected) {
			a.obs.Send(bot.WhatsApp, "rejected")
		}
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
	if err := a.sendFile(ctx, jid, r.File, deadline); err != nil {
		a.Stats.SendFailed.Add(1)
		log.Error("send whatsapp document", "err", err)
		return fmt.Errorf("send whatsapp document to %s: %w", maskUser(to.User), err)
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
	return a.sendMessage(ctx, jid, &waE2E.Message{Conversation: proto.String(text)}, deadline)
}

// sendFile uploads a reply's file and sends it as a document, when the
// client can upload (whatsmeow can); without, the text already sent is
// the copy.
func (a *Adapter) sendFile(ctx context.Context, jid types.JID, f *bot.ReplyFile, deadline time.Time) error {
	up, ok := a.client.(uploader)
	if f == nil || f.Text == "" || !ok {
		return nil
	}
	if err := a.waitConnected(ctx, deadline); err != nil {
		return err
	}
	data := []byte(f.Text)
	res, err := up.Upload(ctx, data, whatsmeow.MediaDocument)
	if err != nil {
		return fmt.Errorf("upload document: %w", err)
	}
	msg := &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
		URL: proto.String(res.URL), DirectPath: proto.String(res.DirectPath), MediaKey: res.MediaKey,
		FileEncSHA256: res.FileEncSHA256, FileSHA256: res.FileSHA256, FileLength: proto.Uint64(uint64(len(data))),
		Mimetype: proto.String("text/plain"), FileName: proto.String(f.Name), Title: proto.String(f.Name),
	}}
	return a.sendMessage(ctx, jid, msg, deadline)
}

// sendMessage sends one message within the pace, retrying what may be
// retried until deadline.
func (a *Adapter) sendMessage(ctx context.Context, jid types.JID, msg *waE2E.Message, deadline time.Time) error {
	var extra []whatsmeow.SendRequestExtra
	if g, ok := a.client.(idMaker); ok {
		extra = append(extra, whatsmeow.SendRequestExtra{ID: g.GenerateMessageID()})
	}
	if err := a.waitConnected(ctx, deadline); err != nil {
		a.obs.Send(bot.WhatsApp, "error")
		return err
	}
	if err := sleep(ctx, a.clock, a.limiter.reserve(a.clock.Now(), jid.User).Sub(a.clock.Now())); err != nil {
		a.obs.Send(bot.WhatsApp, "error")
		return err
	}
	for attempt := 0; ; attempt++ {
		_, err := a.client.SendMessage(ctx, jid, msg, extra...)
		switch {
		case err == nil:
			a.obs.Send(bot.WhatsApp, "ok")
			return nil
		case serverCode(err) == 463:
			until := a.clock.Now().Add(a.cfg.TimelockPause)
			a.log.Error("WHATSAPP REACH-OUT TIME LOCK: WhatsApp refused a message to someone who did not write first (error 463). "+
				"Broadcasts stop until the lock ends; replies to people who write still go out. The refused message is dropped.",
				"pause_until", until.In(bot.Jakarta).Format(time.RFC3339))
			a.restrict(RestrictionTimelock, until, 463)
			a.obs.Send(bot.WhatsApp, "rejected")
			a.obs.Event("whatsapp_timelock")
			return fmt.Errorf("%w: %w: reach-out time lock: %w", bot.ErrRejected, ErrRestricted, err)
		case !retryable(err) || ctx.Err() != nil:
			err, result := a.classify(ctx, jid, err)
			a.obs.Send(bot.WhatsApp, result)
			return err
		}
		a.Stats.Retried.Add(1)
		a.obs.Send(bot.WhatsApp, "retry")
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

// classify reads a send error retrying here cannot cure, for the outbox
// and the metrics: a 4xx answer from WhatsApp is a refusal for good
// (bot.ErrUnreachable when the number is no longer on WhatsApp, else
// bot.ErrRejected), as is a recipient whatsmeow cannot address; anything
// else stays a plain error the outbox may retry.
func (a *Adapter) classify(ctx context.Context, jid types.JID, err error) (error, string) {
	if errors.Is(err, whatsmeow.ErrRecipientADJID) || errors.Is(err, whatsmeow.ErrUnknownServer) || errors.Is(err, whatsmeow.ErrBroadcastListUnsupported) {
		return fmt.Errorf("%w: %w", bot.ErrRejected, err), "rejected"
	}
	code := serverCode(err)
	if code < 400 || code >= 500 || code == 408 || code == 429 {
		return err, "error"
	}
	if a.notOnWhatsApp(ctx, jid) {
		return fmt.Errorf("%w: not on whatsapp: %w", bot.ErrUnreachable, err), "unreachable"
	}
	return fmt.Errorf("%w: %w", bot.ErrRejected, err), "rejected"
}

// notOnWhatsApp asks WhatsApp whether a phone number has left it. Only
// after a refusal: looking up many numbers is itself a ban risk.
func (a *Adapter) notOnWhatsApp(ctx context.Context, jid types.JID) bool {
	c, ok := a.client.(numberChecker)
	if !ok || jid.Server != types.DefaultUserServer {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	res, err := c.IsOnWhatsApp(ctx, []string{"+" + jid.User})
	if err != nil {
		a.log.Debug("whatsapp: check whether a number is on whatsapp", "err", err)
		return false
	}
	return len(res) == 1 && !res[0].IsIn
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

// serverCode is the error code of a whatsmeow ErrServerReturnedError
// ("server returned error 463": 463 is a reach-out time lock), 0 for
// other errors.
func serverCode(err error) int {
	if !errors.Is(err, whatsmeow.ErrServerReturnedError) {
		return 0
	}
	msg := err.Error()
	code, cerr := strconv.Atoi(msg[strings.LastIndexByte(msg, ' ')+1:])
	if cerr != nil {
		return 0
	}
	return code
}
