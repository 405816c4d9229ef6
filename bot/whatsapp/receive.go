package whatsapp

import (
	"context"
	"time"

	"go.mau.fi/whatsmeow/appstate"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/umkmbot/umkmbot/bot"
)

type unreadMsgs struct {
	ids          []types.MessageID
	chat, sender types.JID
}

// HandleEvent is the whatsmeow event handler. For a message it returns
// true once the message is queued (or deliberately skipped): only then
// does whatsmeow acknowledge it; false leaves it unacknowledged so
// WhatsApp delivers it again. It never runs a turn: whatsmeow delivers the
// events of a connection one at a time, and a slow handler stalls them all.
func (a *Adapter) HandleEvent(evt any) bool {
	switch e := evt.(type) {
	case *events.Message:
		return a.onMessage(e)
	case *events.Connected:
		a.setConnected(true)
		a.log.Info("whatsapp connected")
		a.announce("connected")
	case *events.PushNameSetting:
		a.announce("push name changed") // the presence carries the name
	case *events.AppStateSyncComplete:
		if e.Name == appstate.WAPatchCriticalBlock {
			a.announce("push name synced") // the first sync after pairing brings the name
		}
	case *events.Disconnected:
		a.setConnected(false)
		a.log.Warn("whatsapp disconnected; reconnecting automatically")
	case *events.KeepAliveTimeout:
		a.log.Warn("whatsapp keepalive timed out", "errors", e.ErrorCount)
	case *events.KeepAliveRestored:
		a.log.Info("whatsapp keepalive restored")
	case *events.OfflineSyncPreview:
		a.log.Info("whatsapp: catching up on messages received while offline", "messages", e.Messages, "total", e.Total)
	case *events.OfflineSyncCompleted:
		a.log.Info("whatsapp: offline messages delivered", "count", e.Count)
	case *events.HistorySync:
		n := 0
		if e.Data != nil {
			n = len(e.Data.GetConversations())
		}
		a.log.Info("whatsapp history sync received; old messages are not answered", "conversations", n)
	case *events.TemporaryBan:
		a.onTempBan(e)
	case *events.LoggedOut:
		a.onLoggedOut(e)
	case *events.StreamReplaced:
		// Run records it and waits before connecting again (see replaced).
		a.setConnected(false)
		a.obs.Event("whatsapp_replaced")
		a.signal(e)
	case *events.ConnectFailure:
		// whatsmeow does not reconnect after these: Run lets the lease go
		// (a standby may take over) and connects again after a backoff.
		a.log.Error("whatsapp connect failure; connecting again after a pause", "reason", e.Reason.String(), "code", int(e.Reason), "message", e.Message)
		a.setConnected(false)
		a.obs.Event("whatsapp_connect_failure")
		a.signal(e)
	case *events.ClientOutdated:
		a.log.Error("whatsapp says this client version is outdated: update umkmbot (whatsmeow)")
		a.signal(e)
	case *events.StreamError:
		a.log.Warn("whatsapp stream error", "code", e.Code)
	case *events.UndecryptableMessage:
		a.log.Warn("whatsapp message could not be decrypted; WhatsApp will retry", "msg_id", e.Info.ID)
	}
	return true
}

func (a *Adapter) onMessage(e *events.Message) bool {
	a.Stats.Received.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.SubmitTimeout)
	defer cancel()
	msg, who, skip := a.conv.Convert(ctx, e)
	log := a.log.With(bot.ConvArgs(msg.Conv, msg.ID)...)
	switch skip {
	case Take:
	case SkipOld:
		a.Stats.Old.Add(1)
		log.Info("old whatsapp message not answered", "sent", msg.Time, "age", a.clock.Now().Sub(msg.Time).Round(time.Second))
		return true
	default:
		a.Stats.Skipped.Add(1)
		log.Debug("whatsapp message ignored", "why", string(skip))
		return true
	}
	if who.Resolved == "" {
		log.Warn("whatsapp sender known only by an @lid id; its phone number is unknown for now")
	}
	if err := a.pseudonymize(ctx, &msg); err != nil {
		a.Stats.SubmitFailed.Add(1)
		log.Error("whatsapp message not queued; WhatsApp will deliver it again", "err", err)
		return false
	}
	if err := a.sub.Submit(ctx, msg); err != nil {
		a.Stats.SubmitFailed.Add(1)
		log.Error("whatsapp message not queued; WhatsApp will deliver it again", "err", err)
		return false
	}
	a.Stats.Submitted.Add(1)
	a.noteUnread(msg.Conv.User, e.Info.ID, who)
	return true
}

// noteUnread remembers a message to mark read with the next reply.
func (a *Adapter) noteUnread(user string, id types.MessageID, who Sender) {
	if !a.cfg.MarkRead {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.unread) > 10000 {
		clear(a.unread) // a flood nobody answered: receipts are a courtesy
	}
	u := a.unread[user]
	if u.chat != who.Chat || u.sender != who.From {
		u = unreadMsgs{chat: who.Chat, sender: who.From}
	}
	if len(u.ids) < 50 {
		u.ids = append(u.ids, id)
	}
	a.unread[user] = u
}

func (a *Adapter) takeUnread(user string) (unreadMsgs, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.unread[user]
	delete(a.unread, user)
	return u, ok && len(u.ids) > 0
}
