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
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

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
