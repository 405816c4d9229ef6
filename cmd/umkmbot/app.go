package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/pii"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/locales"
	"github.com/umkmbot/umkmbot/ops"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/web"
)

// App is the program's parts, built from a Config. Commands build one,
// run what they need of it and close it. Tests build one to drive the
// real program end to end.
type App struct {
	Cfg        Config
	Log        *slog.Logger
	Embedded   *store.Embedded // nil when REDIS_URL is set
	Redis      redis.UniversalClient
	Store      *store.Store
	Catalog    *bot.Catalog
	Region     umkm.Region
	Keys       *pii.Keyring // data keys for NIK and phone (keys.go)
	KeyMade    string       // path of the local key file made at this start, if one was
	Flows      *bot.Registry
	Engine     *bot.Engine
	Outbox     *bot.Outbox
	Dispatcher *bot.Dispatcher
	// Channels are the program's chat channels (channels.go): described
	// for every command, linked where they run.
	Channels *bot.Channels

	Metrics  *ops.Metrics  // nil unless METRICS_LISTEN is set
	Observer bot.Observer  // the metrics, or bot.NopObserver; never nil
	instance *instanceLock // held while the default INSTANCE_ID is ours

	// pairing links the WhatsApp number from the console's /whatsapp
	// page; set by serve's WhatsApp channel, nil without it.
	pairing web.WhatsAppPairing
	// media downloads what users sent, per channel (product photos on the
	// console's curation review); serve's channels add theirs.
	media channelMedia
}

// openApp connects the store and builds the engine.
func openApp(ctx context.Context, cfg Config, logOut io.Writer) (*App, error) {
	log := newLogger(cfg, logOut)
	a := &App{Cfg: cfg, Log: log, Channels: newChannels(cfg)}
	region, market, faq := cfg.region, cfg.market, cfg.faq // loaded by loadConfig
	a.Region = region
	var err error
	endpoint := cfg.Redis
	if !cfg.UsesRedis() {
		emb, err := store.OpenEmbedded(store.EmbeddedOptions{Dir: cfg.DataDir, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("open embedded store in %s: %w", cfg.DataDir, err)
		}
		a.Embedded = emb
		endpoint = store.Endpoint{URL: emb.URL()}
	}
	a.Redis, err = store.Open(ctx, endpoint)
	if err != nil {
		a.Close()
		return nil, err
	}
	if a.Keys, a.KeyMade, err = openKeys(cfg); err != nil {
		a.Close()
		return nil, err
	}
	a.Store = store.New(a.Redis, store.Options{Prefix: cfg.RedisPrefix, StateTTL: cfg.StateTTL, SendDeadline: cfg.Turn.ResendAfter, Cipher: a.Keys,
		TicketTTL: cfg.Tickets.TTL})
	if err := addWhatsAppAdmins(ctx, a); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.openMetrics(); err != nil {
		a.Close()
		return nil, err
	}
	if a.writable() == nil { // a read-only open finds the writer's work done
		if n, err := a.Store.MigrateTurnKeys(ctx); err != nil {
			a.Close()
			return nil, err
		} else if n > 0 {
			log.Info("moved conversations to the sharded key layout", "keys", n)
		}
	}
	if err := loadOutlets(ctx, a); err != nil {
		a.Close()
		return nil, err
	}
	for _, u := range region.Served() { // once per kabupaten/kota: index older registrations for broadcast counts
		if a.writable() != nil {
			break // read-only: the writer indexes them
		}
		if err := a.Store.EnsureAudienceIndex(ctx, u.Code); err != nil {
			a.Close()
			return nil, err
		}
	}
	a.Catalog, err = bot.NewCatalog(locales.FS, log)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Outbox = bot.NewOutbox(a.Catalog, a.Store, cfg.DefaultLang, log)
	a.media.add(bot.Uploaded, a.Store.Image) // broadcast pictures uploaded on the console
	a.Outbox.SetMediaSource(&a.media)        // pictures go out as pictures across channels
	a.Flows, err = flows.New(flows.Deps{
		Region:        region,
		Registrations: a.Store,
		Notifier:      a.Outbox,
		Trainings:     a.Store,
		MaxPerNIK:     cfg.MaxPerNIK,
		Log:           log,
		FAQ:           faq,
		Selling:       flows.Selling{Market: market, Products: a.Store, Outlets: a.Store, Curation: a.Store},
		Broadcasting:  flows.Broadcasting{Admins: a.Channels.IsAdmin, Channels: a.Channels, Broadcasts: a.Store, Profiles: a.Store},
		Rights:        flows.Rights{Eraser: a.Store, Audit: a.Store.AuditLog(cfg.Privacy.AuditTTL)},
		Tickets:       observedTickets{a.Store, a.Observer},
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Engine = bot.NewEngine(bot.EngineConfig{DefaultLang: cfg.DefaultLang, ResumeAfter: cfg.ResumeAfter},
		a.Flows, a.Store, a.Store, a.Catalog, log)
	if cfg.Instance == "" {
		if cfg.Instance, a.instance, err = defaultInstance(cfg.DataDir); err != nil {
			host, _ := os.Hostname()
			cfg.Instance = fmt.Sprintf("%s-pid%d", host, os.Getpid())
			log.Warn("no stable instance id; leases of a crashed run wait out their expiry", "err", err, "instance", cfg.Instance)
		}
		a.Cfg.Instance = cfg.Instance
	}
	a.Dispatcher = bot.NewDispatcher(bot.DispatcherConfig{Owner: cfg.Instance, Flood: cfg.Turn.Flood, SendRetryMax: cfg.Turn.SendRetryMax,
		ShareAbove: cfg.Turn.ShareAbove, Observer: a.Observer},
		a.Store, a.Engine, a.Outbox, a.Catalog, cfg.DefaultLang, log)
	return a, nil
}

// runStore keeps the embedded store's snapshots going (nothing to do with
// a real Redis) until ctx ends.
func (a *App) runStore(ctx context.Context) error {
	if a.Embedded == nil {
		<-ctx.Done()
		return nil
	}
	return a.Embedded.Run(ctx)
}

// Close releases everything; it is safe on a half-built App.
func (a *App) Close() error {
	defer a.instance.Close()
	if a.Redis != nil {
		a.Redis.Close()
	}
	if a.Embedded != nil {
		done := make(chan error, 1)
		go func() { done <- a.Embedded.Close() }()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return fmt.Errorf("closing the embedded store timed out")
		}
	}
	return nil
}
