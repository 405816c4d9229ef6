// Package whatsapp is umkmbot's WhatsApp channel, on a regular WhatsApp
// number linked as a device through whatsmeow (go.mau.fi/whatsmeow).
//
// Incoming messages are converted by pure functions (Converter) and handed
// to the dispatcher from whatsmeow's event handler; with whatsmeow's
// synchronous ack WhatsApp is acknowledged only after the dispatcher queued
// the message durably. Outgoing replies are plain text with numbered
// options, split when long, paced per chat and globally with jitter, and
// wait for the connection instead of being dropped. A lease in Redis lets
// one serve process hold the device connection (Run).
package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/appstate"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/umkmbot/umkmbot/bot"
)

// Client is what the adapter needs of a WhatsApp connection to send.
// *whatsmeow.Client satisfies it, and also the optional capabilities the
// adapter looks for at run time (connecting, read receipts, typing,
// message ids, media download); a test fake implements what it tests.
type Client interface {
	SendMessage(ctx context.Context, to types.JID, msg *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error)
	IsConnected() bool
}

// Optional capabilities of a Client.
type (
	connector interface {
		Connect() error
		Disconnect()
	}
	readMarker interface {
		MarkRead(ctx context.Context, ids []types.MessageID, ts time.Time, chat, sender types.JID, receiptTypeExtra ...types.ReceiptType) error
	}
	presenceSender interface {
		SendChatPresence(ctx context.Context, jid types.JID, state types.ChatPresence, media types.ChatPresenceMedia) error
	}
	idMaker interface {
		GenerateMessageID() types.MessageID
	}
	fileDownloader interface {
		DownloadToFile(ctx context.Context, msg whatsmeow.DownloadableMessage, file whatsmeow.File) error
	}
	presenceAnnouncer interface {
		SendPresence(ctx context.Context, state types.Presence) error
	}
	numberChecker interface {
		IsOnWhatsApp(ctx context.Context, phones []string) ([]types.IsOnWhatsAppResponse, error)
	}
	uploader interface {
		Upload(ctx context.Context, plaintext []byte, appInfo whatsmeow.MediaType) (whatsmeow.UploadResponse, error)
	}
)

var _ Client = (*whatsmeow.Client)(nil)
var (
	_ connector         = (*whatsmeow.Client)(nil)
	_ readMarker        = (*whatsmeow.Client)(nil)
	_ presenceSender    = (*whatsmeow.Client)(nil)
	_ idMaker           = (*whatsmeow.Client)(nil)
	_ fileDownloader    = (*whatsmeow.Client)(nil)
	_ presenceAnnouncer = (*whatsmeow.Client)(nil)
	_ numberChecker     = (*whatsmeow.Client)(nil)
	_ uploader          = (*whatsmeow.Client)(nil)
)

// Submitter takes a converted message durably: the dispatcher.
type Submitter interface {
	Submit(ctx context.Context, msg bot.Message) error
}

// Config tunes the adapter. Zero values switch a feature off, except where
// a default is named; DefaultConfig has the recommended settings.
type Config struct {
	MaxAge      time.Duration // messages older than this (offline queue after downtime) are logged, not answered; 0: answer all
	AllowGroups bool          // also serve group chats: each group is one conversation

	RatePerMinute int           // messages per minute over all chats; 0: no global limit
	Burst         int           // how many may go out back to back before the per-minute pace applies (default 1)
	ChatGap       time.Duration // least time between two messages to one chat
	Jitter        time.Duration // random extra delay, up to this, before each message

	MarkRead bool          // send read receipts for what was answered
	Typing   time.Duration // show 'typing…' this long before a reply; 0: off

	SendWait      time.Duration // how long a send waits for a lost connection (default 60s)
	TimelockPause time.Duration // how long bulk sending stops after a reach-out time lock (default 24h)
	SubmitTimeout time.Duration // how long the event handler waits for the dispatcher (default 10s)
	MaxChunk      int           // longest piece of text sent (default MaxChunk)
	MaxMediaBytes int64         // largest media Fetch downloads, counted on the bytes received (default 5 MB)

	BanWait      time.Duration // wait after a temporary ban that names no end (default 1h)
	ReplacedWait time.Duration // first wait after another client replaced the connection; doubles while it repeats, up to 6h (default 10m)

	RelayMaxAge time.Duration // relayed replies older than this when the holder takes them are dropped, counted and logged (default 15m)
	RelayMax    int           // most replies kept on the relay; older ones are dropped when it overflows (default 10000)

	LeaseKey string        // Redis key of the connection lease
	LeaseTTL time.Duration // lifetime of the lease without renewal (default 30s)
	Owner    string        // this process's name in the lease
	Account  string        // the paired number (E.164), shown masked in the status
}

// DefaultConfig is conservative enough for a regular WhatsApp number: at
// most 20 messages a minute over all chats (bursts of 3), a second apart in
// one chat, up to 1.5 s of jitter, read receipts and a short 'typing…'.
func DefaultConfig() Config {
	return Config{
		MaxAge:        10 * time.Minute,
		RatePerMinute: 20,
		Burst:         3,
		ChatGap:       time.Second,
		Jitter:        1500 * time.Millisecond,
		MarkRead:      true,
		Typing:        time.Second,
		SendWait:      time.Minute,
		TimelockPause: 24 * time.Hour,
		SubmitTimeout: 10 * time.Second,
		MaxChunk:      MaxChunk,
		MaxMediaBytes: 5 << 20,
		BanWait:       time.Hour,
		ReplacedWait:  10 * time.Minute,
		RelayMaxAge:   15 * time.Minute,
		RelayMax:      10000,
		LeaseTTL:      30 * time.Second,
	}
}

func (c *Config) fill() {
	d := DefaultConfig()
	if c.SendWait <= 0 {
		c.SendWait = d.SendWait
	}
	if c.TimelockPause <= 0 {
		c.TimelockPause = d.TimelockPause
	}
	if c.SubmitTimeout <= 0 {
		c.SubmitTimeout = d.SubmitTimeout
	}
	if c.MaxChunk <= 0 {
		c.MaxChunk = d.MaxChunk
	}
	if c.MaxMediaBytes <= 0 {
		c.MaxMediaBytes = d.MaxMediaBytes
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = d.LeaseTTL
	}
	if c.BanWait <= 0 {
		c.BanWait = d.BanWait
	}
	if c.ReplacedWait <= 0 {
		c.ReplacedWait = d.ReplacedWait
	}
	if c.RelayMaxAge <= 0 {
		c.RelayMaxAge = d.RelayMaxAge
	}
	if c.RelayMax <= 0 {
		c.RelayMax = d.RelayMax
	}
	if c.LeaseKey == "" {
		c.LeaseKey = "whatsapp:connection"
	}
	if c.Owner == "" {
		c.Owner = "local"
	}
}

// Stats counts what the adapter did.
type Stats struct {
	Received, Skipped, Old, Submitted, SubmitFailed atomic.Int64
	Sent, SendFailed, Retried, Relayed              atomic.Int64
	RelayStale, RelayDropped                        atomic.Int64 // relayed replies dropped as too old, or when the relay overflowed
}

// Options are the adapter's collaborators besides the client.
type Options struct {
	LIDs   LIDResolver // whatsmeow's LID store (client.Store.LIDs); optional
	Lease  Leaser      // the connection lease; nil: no lease (a single process)
	Status StatusStore // where the status is recorded; optional
	Relay  Relay       // replies from processes without the connection; nil: a single process
	Clock  Clock       // default the real clock
	Log    *slog.Logger
	// Observer receives send results and connection events for metrics;
	// default bot.NopObserver.
	Observer bot.Observer
	// Media gives the bytes of pictures other processes relay (they relay
	// the reference, not the picture); nil: those go out as text.
	Media bot.MediaSource
	// Users maps WhatsApp ids to pseudonymous conversation users and
	// back (users.go); nil: the id is the conversation user.
	Users Users
}

// Adapter is the WhatsApp channel: it receives through HandleEvent, sends
// through Send (bot.Sender), and holds the connection in Run.
type Adapter struct {
	cfg     Config
	client  Client
	photo   uploadedPhoto // the last picture uploaded (photo.go)
	media   bot.MediaSource
	sub     Submitter
	conv    Converter
	lease   Leaser
	store   StatusStore
	clock   Clock
	log     *slog.Logger
	limiter *limiter
	relay   Relay
	obs     bot.Observer
	users   Users
	holding atomic.Bool // this process holds the connection (Run)
	Stats   Stats

	signals chan any // connection events for Run

	mu     sync.Mutex
	up     chan struct{}         // closed while connected
	unread map[string]unreadMsgs // per conversation user: messages to mark read with the next reply
	status Status
	shared Status    // the status as the holder recorded it, read while standing by
	upAt   time.Time // when the connection last came up
}

type unreadMsgs struct {
	ids          []types.MessageID
	chat, sender types.JID
}

var (
	_ bot.Sender      = (*Adapter)(nil)
	_ bot.BulkChecker = (*Adapter)(nil)
)

// New builds an adapter that submits to sub and sends through client.
func New(cfg Config, client Client, sub Submitter, o Options) *Adapter {
	cfg.fill()
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Observer == nil {
		o.Observer = bot.NopObserver{}
	}
	a := &Adapter{
		cfg: cfg, client: client, sub: sub, lease: o.Lease, store: o.Status, clock: o.Clock, relay: o.Relay, obs: o.Observer, media: o.Media, users: o.Users,
		log:     o.Log.With("channel", bot.WhatsApp),
		conv:    Converter{MaxAge: cfg.MaxAge, Now: o.Clock.Now, LIDs: o.LIDs, AllowGroups: cfg.AllowGroups},
		limiter: newLimiter(cfg.RatePerMinute, cfg.Burst, cfg.ChatGap, cfg.Jitter),
		signals: make(chan any, 16),
		up:      make(chan struct{}),
		unread:  map[string]unreadMsgs{},
	}
	a.status.Owner = cfg.Owner
	if client.IsConnected() {
		close(a.up)
		a.status.Connected = true
	}
	return a
}

// Attach configures a whatsmeow client for the adapter: acknowledgements
// only after the handler returned success (synchronous ack), automatic
// reconnects, and the adapter's event handler.
//
// The synchronous ack needs the decrypted-event buffer: whatsmeow keeps
// the plaintext of each message in the device store until the handler
// succeeded. Without it a message whose queueing failed is lost all the
// same: its redelivery cannot be decrypted a second time (the Signal
// counter has moved on), and whatsmeow skips and acknowledges it.
func (a *Adapter) Attach(cli *whatsmeow.Client) {
	cli.SynchronousAck = true
	cli.EnableDecryptedEventBuffer = true
	cli.EnableAutoReconnect = true
	cli.InitialAutoReconnect = true
	cli.AddEventHandlerWithSuccessStatus(a.HandleEvent)
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

func (a *Adapter) onTempBan(e *events.TemporaryBan) {
	wait, known := e.Expire, true
	if wait <= 0 { // WhatsApp did not say: connecting again at once would only meet the ban again
		wait, known = a.cfg.BanWait, false
	}
	until := a.clock.Now().Add(wait)
	a.log.Error("WHATSAPP TEMPORARY BAN: WhatsApp refuses this number until the ban ends. "+
		"Broadcasts stay stopped until then; the connection is retried after it. "+
		"Send fewer messages nobody asked for (see the README on ban risk).",
		"reason", e.Code.String(), "until", until.In(bot.Jakarta).Format(time.RFC3339), "end_known", known)
	a.restrict(RestrictionTempBan, until, int(e.Code))
	a.setConnected(false)
	a.obs.Event("whatsapp_ban")
	a.signal(e)
}

// onLoggedOut handles the end of the pairing: the phone removed the
// device, or WhatsApp banned the number (connect failure 403 "locked" or
// 406 "banned"), where pairing again does not help.
func (a *Adapter) onLoggedOut(e *events.LoggedOut) {
	a.setConnected(false)
	if isPermanentBan(e.Reason) {
		a.log.Error("WHATSAPP NUMBER BANNED: WhatsApp refused this number for good and removed the linked device "+
			"(code "+e.Reason.NumberString()+"). Pairing again does not help while the ban lasts. "+
			"Open WhatsApp on the bot's phone: it shows the ban and lets you request a review. "+
			"Until WhatsApp lifts it, use another number (and fewer messages nobody asked for) or Telegram; "+
			"the rest of the service keeps running.",
			"reason", e.Reason.String(), "code", int(e.Reason))
		a.update(func(s *Status) {
			s.LoggedOut, s.Connected = true, false
			s.Restriction, s.RestrictedUntil, s.RestrictionCode = RestrictionBanned, time.Time{}, int(e.Reason)
		})
		a.obs.Event("whatsapp_permanent_ban")
		a.signal(e)
		return
	}
	a.log.Error("WHATSAPP LOGGED OUT: the phone removed this linked device (or WhatsApp did). "+
		"The WhatsApp channel stops; the rest of the service keeps running. "+
		"Pair again with `umkmbot whatsapp pair` (or `umkmbot whatsapp pair --phone 62812…`) and restart serve.",
		"reason", e.Reason.String(), "on_connect", e.OnConnect)
	a.update(func(s *Status) { s.LoggedOut, s.Connected = true, false })
	a.obs.Event("whatsapp_logged_out")
	a.signal(e)
}

// isPermanentBan reports the connect failures by which WhatsApp bans a
// number: 403 (LOCKED in WhatsApp Web's code) and 406 (BANNED).
func isPermanentBan(r events.ConnectFailureReason) bool {
	return r == events.ConnectFailureMainDeviceGone || r == events.ConnectFailureUnknownLogout
}

// announce sends the 'available' presence, as WhatsApp's own clients do
// when they come online. It publishes the account's push name and makes
// whatsmeow send ordinary delivery receipts instead of 'inactive' ones.
// Before the first app state sync after pairing the name is not known yet;
// the sync (AppStateSyncComplete, PushNameSetting) calls it again.
func (a *Adapter) announce(why string) {
	p, ok := a.client.(presenceAnnouncer)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch err := p.SendPresence(ctx, types.PresenceAvailable); {
	case errors.Is(err, whatsmeow.ErrNoPushName):
		a.log.Info("whatsapp: the account's name is not known yet; presence follows after the sync", "when", why)
	case err != nil:
		a.log.Warn("whatsapp: send presence", "when", why, "err", err)
	default:
		a.log.Debug("whatsapp presence sent: available", "when", why)
	}
}

// restrict records a restriction WhatsApp announced.
func (a *Adapter) restrict(kind string, until time.Time, code int) {
	a.update(func(s *Status) {
		s.Restriction, s.RestrictedUntil, s.RestrictionCode = kind, until, code
	})
}

// BulkAllowed reports whether messages nobody asked for (broadcasts) may
// be sent now, and if not, until when to wait: false during a temporary
// ban or after a reach-out time lock. Broadcast jobs ask it before each
// batch; other processes read the same from the StatusStore.
func (a *Adapter) BulkAllowed() (bool, time.Time) {
	return a.Status().BulkAllowed(a.clock.Now())
}

// Status returns the adapter's current status.
func (a *Adapter) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

// update changes the status and records it (best effort).
func (a *Adapter) update(f func(*Status)) {
	a.mu.Lock()
	f(&a.status)
	a.status.Updated = a.clock.Now()
	s := a.status
	a.mu.Unlock()
	if a.store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.store.SaveStatus(ctx, s); err != nil {
		a.log.Warn("record whatsapp status", "err", err)
	}
}

// setConnected tracks the connection for senders waiting on it.
func (a *Adapter) setConnected(up bool) {
	a.mu.Lock()
	changed := a.status.Connected != up
	if up && changed {
		close(a.up)
		a.upAt = a.clock.Now()
	} else if !up && changed {
		a.up = make(chan struct{})
	}
	a.mu.Unlock()
	if !changed {
		return
	}
	a.update(func(s *Status) {
		s.Connected, s.Since = up, a.clock.Now()
		if up && s.Restriction == RestrictionBanned {
			s.Restriction, s.RestrictionCode = "", 0 // paired again and let in: the ban is over
		}
	})
	if up {
		a.obs.Event("whatsapp_connected")
	} else {
		a.obs.Event("whatsapp_disconnected")
	}
}

// Connection reports, for readiness checks and metrics, whether the
// device is connected and which restriction WhatsApp has put on the
// number ("" for none, else a Restriction… constant). In a process that
// stands by for the lease it reports the holder's connection as last
// recorded (read every LeaseTTL/3).
func (a *Adapter) Connection() (connected bool, ban string) {
	now := a.clock.Now()
	a.mu.Lock()
	s := a.status
	if !a.holding.Load() && a.store != nil {
		s.Connected = a.shared.Connected
	}
	a.mu.Unlock()
	if s.Restriction == RestrictionBanned || s.Restriction != "" && now.Before(s.RestrictedUntil) {
		ban = s.Restriction
	}
	return s.Connected, ban
}

// connectedCh returns a channel closed once the Connected event comes, or
// nil when it came already (the client may lag behind the event, or the
// Disconnected event may still be on its way): then waiters poll.
func (a *Adapter) connectedCh() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.status.Connected {
		return nil
	}
	return a.up
}

// signal passes a connection event to Run without blocking the handler.
func (a *Adapter) signal(e any) {
	select {
	case a.signals <- e:
	default:
	}
}

// Fetch downloads a photo the user sent, by the Media.Ref of its message,
// refusing files larger than Config.MaxMediaBytes: at once when the sender
// declares a larger size, else as soon as more bytes arrive than the cap
// allows (the declared size is the sender's word, not a fact).
func (a *Adapter) Fetch(ctx context.Context, ref string) ([]byte, error) {
	im, err := parseRef(ref)
	if err != nil {
		return nil, err
	}
	if im.GetFileLength() > uint64(a.cfg.MaxMediaBytes) {
		return nil, fmt.Errorf("whatsapp media of %d bytes: %w", im.GetFileLength(), ErrTooLarge)
	}
	d, ok := a.client.(fileDownloader)
	if !ok {
		return nil, errors.New("whatsapp client cannot download media")
	}
	// The download is encrypted: up to 16 bytes of padding and a 10-byte MAC
	// more than the picture.
	f := &cappedFile{max: a.cfg.MaxMediaBytes + 26}
	if err := d.DownloadToFile(ctx, im, f); err != nil {
		if f.over {
			return nil, fmt.Errorf("whatsapp media larger than %d bytes: %w", a.cfg.MaxMediaBytes, ErrTooLarge)
		}
		return nil, fmt.Errorf("download whatsapp media: %w", err)
	}
	if int64(len(f.b)) > a.cfg.MaxMediaBytes {
		return nil, fmt.Errorf("whatsapp media of %d bytes: %w", len(f.b), ErrTooLarge)
	}
	return f.b, nil
}
