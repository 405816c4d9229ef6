package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// Relay carries replies from serve processes that do not hold the device
// connection to the one that does: with several processes, any of them
// may run a conversation's turn (or a broadcast), but only the holder can
// talk to WhatsApp. cmd/umkmbot keeps it in a Redis list.
type Relay interface {
	// Push appends item and keeps at most limit items, dropping the
	// oldest; it returns how many it dropped.
	Push(ctx context.Context, item []byte, limit int) (dropped int64, err error)
	// Pop takes the oldest item, waiting up to wait; nil when none came.
	Pop(ctx context.Context, wait time.Duration) ([]byte, error)
}

// relayed is one reply on the relay.
type relayed struct {
	To    string    `json:"to"` // conversation user
	Reply bot.Reply `json:"reply"`
	At    time.Time `json:"at"`
	// Photo is a picture sent with Reply as its caption: its reference
	// only (the holder reads the bytes from Options.Media).
	Photo *relayedPhoto `json:"photo,omitempty"`
	// Doc is a document sent with Reply as its caption; Reply.Attach
	// names its bytes (bot/whatsapp/document.go).
	Doc *relayedDoc `json:"doc,omitempty"`
}

type relayedPhoto struct {
	Media bot.Media     `json:"media"`
	From  bot.ChannelID `json:"from"`
}

// relaySend hands a reply to the process holding the connection.
func (a *Adapter) relaySend(ctx context.Context, to bot.Conversation, r bot.Reply) error {
	return a.relayItem(ctx, to, relayed{To: to.User, Reply: r, At: a.clock.Now()})
}

// relayItem hands a reply or picture to the process holding the connection.
func (a *Adapter) relayItem(ctx context.Context, to bot.Conversation, it relayed) error {
	b, err := json.Marshal(it)
	if err != nil {
		return fmt.Errorf("encode relayed whatsapp reply: %w", err)
	}
	dropped, err := a.relay.Push(ctx, b, a.cfg.RelayMax)
	if err != nil {
		a.obs.Event("whatsapp_relay_error")
		a.log.With(bot.ConvArgs(to, "")...).Error("relay whatsapp reply to the connection holder", "err", err)
		return fmt.Errorf("relay whatsapp reply to %s: %w", maskUser(to.User), err)
	}
	if dropped > 0 {
		a.Stats.RelayDropped.Add(dropped)
		for range min(dropped, 1000) {
			a.obs.Event("whatsapp_relay_dropped")
		}
		a.log.Error("whatsapp relay full: the oldest replies were dropped unsent; is the process holding the connection stuck?",
			"dropped", dropped, "max", a.cfg.RelayMax)
	}
	a.Stats.Relayed.Add(1)
	a.obs.Event("whatsapp_relayed")
	return nil
}

// drainRelay sends what other processes relayed, until ctx ends. It takes
// replies off the relay only while connected, and a reply taken is sent
// even while shutting down (bounded by SendWait), so it is not lost
// between the relay and WhatsApp.
func (a *Adapter) drainRelay(ctx context.Context) {
	for ctx.Err() == nil {
		if !a.client.IsConnected() {
			// Take nothing off the relay while it could not be sent.
			_ = a.clock.Wait(ctx, time.Second, a.connectedCh())
			continue
		}
		b, err := a.relay.Pop(ctx, 5*time.Second)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Warn("read whatsapp relay", "err", err)
				_ = sleep(ctx, a.clock, time.Second)
			}
			continue
		}
		if b == nil {
			continue
		}
		var it relayed
		if err := json.Unmarshal(b, &it); err != nil {
			a.log.Error("drop unreadable relayed whatsapp reply", "err", err)
			continue
		}
		if age := a.clock.Now().Sub(it.At); age > a.cfg.RelayMaxAge {
			// After an outage, a menu or a "please wait" from long ago only
			// confuses: the conversation has moved on (or will on the
			// person's next message).
			a.Stats.RelayStale.Add(1)
			a.obs.Event("whatsapp_relay_stale")
			a.log.Warn("dropped a relayed whatsapp reply: too old to send", "user", maskUser(it.To),
				"age", age.Round(time.Second), "max_age", a.cfg.RelayMaxAge)
			continue
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.SendWait)
		to := bot.Conversation{Channel: bot.WhatsApp, User: it.To}
		if it.Photo != nil {
			if err := a.sendRelayedPhoto(sctx, to, it); err != nil {
				a.log.Warn("send relayed whatsapp picture", "user", maskUser(it.To), "err", err)
			}
		} else if it.Doc != nil {
			if err := a.sendRelayedDocument(sctx, to, it); err != nil {
				a.log.Warn("send relayed whatsapp document", "user", maskUser(it.To), "err", err)
			}
		} else {
			_ = a.sendDirect(sctx, to, it.Reply) // logged and counted there
		}
		cancel()
	}
}

// startRelay runs drainRelay while the connection is held; the returned
// stop ends it and waits for it.
func (a *Adapter) startRelay(ctx context.Context) (stop func()) {
	a.holding.Store(true)
	if a.relay == nil {
		return func() { a.holding.Store(false) }
	}
	dctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.drainRelay(dctx)
	}()
	return func() {
		cancel()
		wg.Wait()
		a.holding.Store(false)
	}
}
