// Package telegram is umkmbot's Telegram channel on the Bot API
// (github.com/go-telegram-bot-api/telegram-bot-api/v5): it converts updates
// into bot.Message values for the dispatcher, and bot.Reply values into
// sendMessage requests with keyboards.
//
// Updates come by long polling (default) or by webhook. Either way an update
// is acknowledged to Telegram only after the dispatcher durably took it
// (Submit returned nil): polling moves the offset past it only then, the
// webhook answers 200 only then. A crash therefore redelivers instead of
// losing, and the core's duplicate check makes redelivery harmless.
//
// Only one process may long-poll a token, so polling is guarded by a lease
// (Leaser) that another process takes over when the holder dies. With a
// Journal the poll loop is pipelined: a fetched batch is kept in the
// journal (one write), the next getUpdates (which confirms the batch to
// Telegram) goes out while the batch is submitted, and the journal entry is
// dropped once every update of it was taken; the next poller submits what
// a crashed one left in the journal before it polls.
//
// An update the library cannot decode is logged (its id and the kind of
// error only), counted and skipped, so it cannot stop the intake.
//
// Sending keeps to Telegram's limits (per chat, per group chat, and for all
// chats of the bot across processes through a SharedLimiter), tells the
// shared limiter when Telegram answers 429, and classifies what it cannot
// deliver: bot.ErrUnreachable (blocked, chat gone), bot.ErrRejected (a
// request Telegram will never accept), a plain error for anything worth
// retrying later. It does not log the errors it returns: the caller does.
//
// The library's calls take no context; the adapter binds each call to a
// context through the HTTP client, and redacts the bot token (which the
// library puts in every URL) from every error it returns or logs.
package telegram

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/umkmbot/umkmbot/bot"
)

// DefaultAPIURL is Telegram's Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// Submitter durably takes a message: the dispatcher.
type Submitter interface {
	Submit(ctx context.Context, msg bot.Message) error
}

// HeldSubmitter is a Submitter that can also take a message its caller
// keeps durably until SubmitHeld returned nil (the poll journal), and may
// then run its turn before queueing it: the dispatcher
// (bot.Dispatcher.SubmitHeld).
type HeldSubmitter interface {
	SubmitHeld(ctx context.Context, msg bot.Message) error
}

// Leaser guards polling so one process polls a token at a time.
// *store.Store satisfies it.
type Leaser interface {
	ClaimLease(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, key, owner string) error
}

// SharedLimiter paces the sends of every process of the bot together
// (*store.Limiter, in Redis): Reserve takes a slot or says how long to
// wait, SlowDown makes every process wait after Telegram answered 429.
type SharedLimiter interface {
	Reserve(ctx context.Context, key bot.ChannelID) (time.Duration, error)
	SlowDown(ctx context.Context, key bot.ChannelID, after time.Duration) error
}

// Journal keeps fetched updates durable from getUpdates until the
// dispatcher took them all, so the poll loop may confirm a batch to
// Telegram (by asking for the next) while it is still being submitted.
// Batches are keyed by their first update id.
type Journal interface {
	Keep(ctx context.Context, id int, batch []byte) error
	Drop(ctx context.Context, id int) error
	// Kept returns the batches kept, by increasing id.
	Kept(ctx context.Context) ([][]byte, error)
}

// Command is one entry of the bot's command menu.
type Command struct {
	Name        string // without the slash: "daftar"
	Description string
}

// Config configures the adapter. Zero values take the defaults noted.
type Config struct {
	Token       string
	APIURL      string // Bot API server (default DefaultAPIURL); files are downloaded from it too
	AllowGroups bool   // serve group chats too (one conversation per group)
	Keyboard    Keyboard
	Labels      Labels
	Commands    []Command // registered with setMyCommands at start, if any

	// Long polling.
	PollTimeout time.Duration // long-poll wait (default 30s)
	Leaser      Leaser        // nil: poll without a lease (a single process)
	LeaseKey    string        // Redis key of the lease
	Owner       string        // this process's name in the lease
	LeaseTTL    time.Duration // default 15s; renewed every TTL/3
	Journal     Journal       // nil: the next getUpdates waits until a batch is submitted

	// Webhook mode, when WebhookURL is set.
	WebhookURL    string
	WebhookListen string // default ":8443"
	WebhookSecret string // default: derived from the token (DeriveSecret)
	// DeleteWebhookOnStop deletes the webhook when Run ends. Off by
	// default: every process takes webhook requests, so one stopping must
	// not stop the updates of the others (see DeleteWebhook).
	DeleteWebhookOnStop bool

	// Sending.
	RatePerSecond  float64       // all chats together (default 30; negative: unlimited), in this process and, with Shared, in all
	RatePerChat    float64       // one chat (default 1; negative: unlimited)
	RatePerGroup   int           // one group chat, messages a minute (default 20; negative: as RatePerChat)
	ChatBurst      int           // messages one chat may get at once (default 3)
	Shared         SharedLimiter // nil: the limit of all chats is per process
	MaxAttempts    int           // tries for a 5xx or network error (default 3)
	Backoff        time.Duration // first retry wait, doubling (default 500ms)
	MaxRetryAfter  time.Duration // longest 429 wait within a send (default 5s); longer: a *bot.RetryAfterError
	RequestTimeout time.Duration // one sendMessage call (default 10s)

	// HTTPClient makes every call. Default: one keeping up to 128 idle
	// connections, and plain messages (sendMessage) on the adapter's own
	// connections unless a proxy from the environment applies (httpconn.go).
	// Calls are bounded by their context.
	HTTPClient *http.Client
	Log        *slog.Logger
	Observer   bot.Observer // default bot.NopObserver
}

// Stats counts what the adapter did; read them with Load.
type Stats struct {
	Updates, Ignored, SubmitFailed    atomic.Int64 // updates received, not served, not taken
	Undecodable                       atomic.Int64 // updates the library could not decode (skipped)
	Sent, SendFailed, Retried, Waited atomic.Int64 // messages sent, given up, retried, 429 answers
	Unreachable, Rejected             atomic.Int64 // blocked or chat gone; refused for good
	// MaybeDoubled counts retries after an attempt whose request was sent
	// and never answered (a timeout, a cut connection): Telegram may have
	// delivered it, so the person may get the message twice.
	MaybeDoubled          atomic.Int64
	PollErrors, Conflicts atomic.Int64 // getUpdates failures, 409 answers
}

// Adapter is the Telegram channel. It implements bot.Sender.
type Adapter struct {
	cfg      Config
	api      *tgbotapi.BotAPI // never called directly: see call
	http     *http.Client
	log      *slog.Logger
	obs      bot.Observer
	limit    *limiter
	limitKey bot.ChannelID // this bot's key in the shared limiter
	offset   int           // next update id to ask for (poll loop only)
	Stats    Stats
	photo    sentPhoto // the last picture uploaded (photo.go)

	sendURL    string      // the sendMessage endpoint (sendMessage in send.go)
	updatesURL string      // the getUpdates endpoint (getUpdates in updates.go)
	post       *poster     // sendMessage's own connections; nil: through a.http (httpconn.go)
	workers    bot.Workers // goroutines kept for submitting updates (stacks already grown)
	markups    markups     // keyboards already encoded (markupcache.go)

	role   atomic.Int32 // what Run is doing: roleStarting, rolePolling, roleStandby, roleWebhook
	lastOK atomic.Int64 // unix nanoseconds of the last getUpdates that answered
}

// What Run is doing, for Ready.
const (
	roleStarting int32 = iota
	rolePolling
	roleStandby
	roleWebhook
)

// ErrNotReady is wrapped by Ready's answer when updates are not being
// taken.
var ErrNotReady = errors.New("telegram: not taking updates")

// Ready reports whether this process takes the bot's updates, or stands by
// while another process polls: nil when the webhook is being served, when
// this process polls and getUpdates answered within two poll timeouts, or
// when another process holds the polling lease.
func (a *Adapter) Ready(context.Context) error {
	switch a.role.Load() {
	case roleWebhook, roleStandby:
		return nil
	case rolePolling:
		last := time.Unix(0, a.lastOK.Load())
		if since := time.Since(last); since > 2*a.cfg.PollTimeout+15*time.Second {
			return fmt.Errorf("%w: no answer from getUpdates for %s", ErrNotReady, since.Round(time.Second))
		}
		return nil
	}
	return fmt.Errorf("%w: starting", ErrNotReady)
}

var _ bot.Sender = (*Adapter)(nil)

// New checks the configuration and the token (getMe) and returns the
// adapter. It does not start taking updates: see Run, which may be called
// once.
func New(ctx context.Context, cfg Config) (*Adapter, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &Adapter{cfg: cfg, http: cfg.HTTPClient, log: cfg.Log}
	if a.http == nil {
		// Replies to many chats go out at once: keep their connections
		// (the default keeps 2 idle per host and reconnects the rest).
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 128
		a.http = &http.Client{Transport: t}
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.log = a.log.With("channel", bot.Telegram)
	a.obs = cfg.Observer
	if a.obs == nil {
		a.obs = bot.NopObserver{}
	}
	a.limit = newLimiter(cfg.RatePerSecond, cfg.RatePerChat, cfg.ChatBurst, time.Now)
	a.limit.limitGroups(cfg.RatePerGroup)
	a.limitKey = LimitKey(cfg.Token)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	api, err := tgbotapi.NewBotAPIWithClient(cfg.Token, cfg.APIURL+"/bot%s/%s", ctxClient{cctx, a.http})
	if err != nil {
		return nil, fmt.Errorf("telegram: check token (getMe): %w", a.redact(err))
	}
	a.api = api
	a.sendURL = cfg.APIURL + "/bot" + cfg.Token + "/sendMessage"
	a.updatesURL = cfg.APIURL + "/bot" + cfg.Token + "/getUpdates"
	if cfg.HTTPClient == nil {
		a.post = newPoster(a.sendURL)
	}
	return a, nil
}

// withDefaults checks c (Validate) and fills in the defaults.
func (cfg Config) withDefaults() (Config, error) {
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	cfg.APIURL = strings.TrimRight(or(cfg.APIURL, DefaultAPIURL), "/")
	if cfg.Keyboard == "" {
		cfg.Keyboard = ReplyKeyboard
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 30 * time.Second
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 15 * time.Second
	}
	if cfg.Owner == "" {
		cfg.Owner = "local"
	}
	if cfg.WebhookURL != "" {
		cfg.WebhookListen = or(cfg.WebhookListen, ":8443")
		if cfg.WebhookSecret == "" {
			cfg.WebhookSecret = DeriveSecret(cfg.Token)
		}
	}
	if cfg.RatePerSecond == 0 {
		cfg.RatePerSecond = 30
	}
	if cfg.RatePerChat == 0 {
		cfg.RatePerChat = 1
	}
	if cfg.RatePerGroup == 0 {
		cfg.RatePerGroup = 20
	}
	if cfg.ChatBurst <= 0 {
		cfg.ChatBurst = 3
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = 5 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	return cfg, nil
}

// LimitKey is the key of a bot's sends in the shared limiter: the bot's
// id (the public part of the token), so that every process of the bot
// shares it and broadcasts (keyed by channel) are not counted twice.
func LimitKey(token string) bot.ChannelID {
	id, _, _ := strings.Cut(token, ":")
	return bot.ChannelID("telegram-bot-" + id)
}

// Username is the bot's @name, as getMe said.
func (a *Adapter) Username() string { return a.api.Self.UserName }

// ctxClient binds every request of a library call to a context, so the
// call can be cancelled.
type ctxClient struct {
	ctx context.Context
	c   *http.Client
}

func (c ctxClient) Do(req *http.Request) (*http.Response, error) {
	return c.c.Do(req.WithContext(c.ctx))
}

// call returns the library bound to ctx for one call.
func (a *Adapter) call(ctx context.Context) *tgbotapi.BotAPI {
	b := *a.api
	b.Client = ctxClient{ctx, a.http}
	return &b
}

// redactedError hides the bot token in a library error's text while
// keeping the cause for errors.As (a *tgbotapi.Error has no token in it).
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// redact returns err with the token removed from its text.
func (a *Adapter) redact(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: Redact(err.Error(), a.cfg.Token), cause: err}
}

// Redact replaces the token (also URL-escaped) in s.
func Redact(s, token string) string {
	if token == "" {
		return s
	}
	s = strings.ReplaceAll(s, token, "<token>")
	if esc := url.PathEscape(token); esc != token {
		s = strings.ReplaceAll(s, esc, "<token>")
	}
	if esc := url.QueryEscape(token); esc != token {
		s = strings.ReplaceAll(s, esc, "<token>")
	}
	return s
}

// DeriveSecret makes the webhook secret from the token when none is
// configured: stable, so every process of a deployment agrees, and not
// guessable without the token.
func DeriveSecret(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("umkmbot telegram webhook secret"))
	return hex.EncodeToString(m.Sum(nil))
}

func validSecret(s string) bool {
	if len(s) < 1 || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// apiError returns the Bot API's answer inside err, if it is one.
func apiError(err error) (*tgbotapi.Error, bool) {
	var pe *tgbotapi.Error
	if errors.As(err, &pe) {
		return pe, true
	}
	var ve tgbotapi.Error
	if errors.As(err, &ve) {
		return &ve, true
	}
	return nil, false
}

// Download opens a file the user sent (Media.Ref) through the configured
// API server. The caller closes it.
func (a *Adapter) Download(ctx context.Context, fileID string) (io.ReadCloser, error) {
	f, err := a.call(ctx).GetFile(tgbotapi.FileConfig{FileID: fileID})
	if err != nil {
		return nil, fmt.Errorf("telegram: get file: %w", a.redact(err))
	}
	if f.FilePath == "" {
		return nil, errors.New("telegram: get file: no file path (file too big for the Bot API?)")
	}
	link := a.cfg.APIURL + "/file/bot" + a.cfg.Token + "/" + f.FilePath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, fmt.Errorf("telegram: download: %w", a.redact(err))
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("telegram: download: %w", a.redact(err))
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("telegram: download: HTTP %d", resp.StatusCode)
	}
	return resp.Body, nil
}

// SetCommands registers the command menu.
func (a *Adapter) SetCommands(ctx context.Context, cmds []Command) error {
	bc := make([]tgbotapi.BotCommand, 0, len(cmds))
	for _, c := range cmds {
		bc = append(bc, tgbotapi.BotCommand{Command: c.Name, Description: c.Description})
	}
	if _, err := a.call(ctx).Request(tgbotapi.NewSetMyCommands(bc...)); err != nil {
		return fmt.Errorf("telegram: set commands: %w", a.redact(err))
	}
	return nil
}

// Run takes updates until ctx ends, by webhook when configured and by long
// polling otherwise, and gives each to sub.
func (a *Adapter) Run(ctx context.Context, sub Submitter) error {
	defer a.workers.Stop()
	defer a.post.closeIdle()
	if len(a.cfg.Commands) > 0 {
		if err := a.SetCommands(ctx, a.cfg.Commands); err != nil {
			a.log.Warn("command menu not registered", "err", err)
		}
	}
	if a.cfg.WebhookURL != "" {
		return a.runWebhook(ctx, sub)
	}
	return a.runPoll(ctx, sub)
}

// take converts and submits one update; false when Submit failed (the
// update must be offered again).
func (a *Adapter) take(ctx context.Context, sub Submitter, u tgbotapi.Update) bool {
	a.Stats.Updates.Add(1)
	msg, ok := ToMessage(u, a.cfg.AllowGroups)
	if !ok {
		a.Stats.Ignored.Add(1)
		return true
	}
	if err := sub.Submit(ctx, msg); err != nil {
		a.Stats.SubmitFailed.Add(1)
		a.log.With(bot.ConvArgs(msg.Conv, msg.ID)...).Warn("update not taken, it will be offered again", "update", u.UpdateID, "err", err)
		return false
	}
	return true
}

// answerCallback stops the button's spinner, best effort.
func (a *Adapter) answerCallback(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.RequestTimeout)
	defer cancel()
	if _, err := a.call(ctx).Request(tgbotapi.NewCallback(id, "")); err != nil {
		a.log.Warn("answer callback query", "err", a.redact(err))
	}
}

// backoff is base doubled n times, at most 30s.
func backoff(base time.Duration, n int) time.Duration {
	d := base << min(n, 10)
	if d > 30*time.Second || d <= 0 {
		d = 30 * time.Second
	}
	return d
}
