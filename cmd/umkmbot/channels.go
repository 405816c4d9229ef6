package main

import (
	"context"
	"sync"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/ops"
	"github.com/umkmbot/umkmbot/store"
)

// A channel module is one chat channel of the program: describe says
// what it is from the configuration (its name, who its admins are, its
// broadcast pace), for every command, since the terminal chat and the CLI
// deal with WhatsApp owners too; start, when serve runs the channel,
// builds its adapter, links it (App.linkChannel) and returns what runs it.
type channelModule struct {
	describe func(Config) bot.Channel
	start    channelStarter // nil: serve does not run it
}

// A channel starter builds a channel from the app when its configuration
// enables it, and returns what runs it.
type channelStarter func(ctx context.Context, a *App, env *Env) (run func(context.Context) error, enabled bool, err error)

// channelModules are the program's chat channels, in the order officers
// see them. Adding a channel: its package under bot/, a file here with
// its describe and start functions, and one line in this list.
var channelModules = []channelModule{
	{describe: telegramChannel, start: startTelegram},
	{describe: whatsappChannel, start: startWhatsApp},
	{describe: consoleChannel}, // the terminal: `umkmbot chat` links it
}

// newChannels describes every channel of the program for cfg.
func newChannels(cfg Config) *bot.Channels {
	r := bot.NewChannels()
	for _, m := range channelModules {
		r.Register(m.describe(cfg))
	}
	return r
}

// addChannel registers c, linked when it has a Sender: everything that
// iterates channels sees it from then on (tests add fake channels so).
func (a *App) addChannel(c bot.Channel) {
	l := c.Link
	c.Link = bot.Link{}
	a.Channels.Register(c)
	if err := a.linkChannel(c.ID, l); err != nil {
		panic(err) // registered just above; a photo claim Register would have refused too
	}
}

// linkChannel makes channel id run in this process through l: its Sender
// becomes the outbox's for the channel, its Fetch the source of the files
// people sent on it, its Ready a readiness check of /readyz.
func (a *App) linkChannel(id bot.ChannelID, l bot.Link) error {
	if err := a.Channels.Link(id, l); err != nil {
		return err
	}
	if l.Sender != nil {
		a.Outbox.Register(id, l.Sender)
	}
	if l.Fetch != nil {
		a.media.add(id, l.Fetch)
	}
	if a.Metrics != nil && l.Ready != nil {
		a.Metrics.AddCheck(string(id), ops.CheckFunc(l.Ready))
	}
	return nil
}

// storeRate is a channel's broadcast pace as the shared limiter takes it.
func storeRate(r bot.Rate) store.Rate {
	return store.Rate{N: r.N, Per: r.Per, Spread: r.Spread, Jitter: r.Jitter}
}

// botRate is a configured pace as a channel's Rate.
func botRate(r store.Rate) bot.Rate {
	return bot.Rate{N: r.N, Per: r.Per, Spread: r.Spread, Jitter: r.Jitter}
}

// channelLimiter paces broadcasts at each registered channel's Rate,
// shared by every process through the store; a channel registered while
// serving gets its limiter at its first send.
type channelLimiter struct {
	store    *store.Store
	channels *bot.Channels

	mu sync.Mutex
	by map[bot.ChannelID]*store.Limiter
}

var _ bot.RateLimiter = (*channelLimiter)(nil)

func (l *channelLimiter) limiter(ch bot.ChannelID) *store.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lim := l.by[ch]; lim != nil {
		return lim
	}
	if l.by == nil {
		l.by = map[bot.ChannelID]*store.Limiter{}
	}
	c, _ := l.channels.Get(ch)
	lim := l.store.Limiter(map[bot.ChannelID]store.Rate{ch: storeRate(c.Rate)})
	l.by[ch] = lim
	return lim
}

func (l *channelLimiter) Reserve(ctx context.Context, ch bot.ChannelID) (time.Duration, error) {
	return l.limiter(ch).Reserve(ctx, ch)
}

func (l *channelLimiter) SlowDown(ctx context.Context, ch bot.ChannelID, after time.Duration) error {
	return l.limiter(ch).SlowDown(ctx, ch, after)
}
