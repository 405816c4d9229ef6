package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/mdp/qrterminal/v3"
	"github.com/redis/go-redis/v9"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/whatsapp"
)

func init() {
	addCommand("whatsapp", "WhatsApp number: pair (QR code), pair --phone 62812… (pairing code), status", runWhatsApp)
}

// openWhatsAppDevice opens the device store (schema upgraded) and its
// device; a new, unpaired device when none is stored.
func openWhatsAppDevice(ctx context.Context, cfg Config, wc waConfig, log *slog.Logger) (*whatsapp.DeviceStore, *store.Device, error) {
	dsn := wc.DSN
	if dsn == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("create data directory: %w", err)
		}
		dsn = whatsapp.SQLitePath(cfg.DataDir)
	}
	ds, err := whatsapp.OpenDeviceStore(ctx, dsn, whatsapp.Logger(log.With("module", "whatsmeow-store")))
	if err != nil {
		return nil, nil, err
	}
	dev, err := ds.GetFirstDevice(ctx)
	if err != nil {
		ds.Close()
		return nil, nil, fmt.Errorf("load whatsapp device: %w", err)
	}
	return ds, dev, nil
}

// startWhatsApp is serve's WhatsApp channel (waChannel).
func startWhatsApp(ctx context.Context, a *App, env *Env) (func(context.Context) error, bool, error) {
	wc := a.Cfg.WhatsApp
	if !wc.Enabled {
		return nil, false, nil
	}
	log := a.Log.With("channel", bot.WhatsApp)
	// Open the device store once now: a wrong WHATSAPP_DB stops serve at start.
	ds, _, err := openWhatsAppDevice(ctx, a.Cfg, wc, log)
	if err != nil {
		return nil, false, err
	}
	ds.Close()
	ch := newWAChannel(log)
	ch.sig = newWASignal(a.Store)
	ch.open = func(ctx context.Context) (*waSession, error) {
		return openWhatsAppSession(ctx, a, wc, log, ch)
	}
	pairer := &waPairer{base: ctx, cfg: a.Cfg, wc: wc, log: log, onPaired: ch.Paired, unlink: ch.LogOut,
		lease: a.Store, leaseKey: waPairerKey(a.Store), owner: a.Cfg.Instance}
	ch.pairer = pairer
	a.pairing = pairer // the console's /whatsapp page
	if err := watchWhatsApp(a, ch); err != nil {
		return nil, false, err
	}
	return ch.Run, true, nil
}

// openWhatsAppSession opens the device store and, when a number is
// paired, builds its adapter and puts it in the service (replies,
// product photos, the broadcasts' ban checks); the returned session holds
// the connection. No number paired: nil.
func openWhatsAppSession(ctx context.Context, a *App, wc waConfig, log *slog.Logger, ch *waChannel) (*waSession, error) {
	ds, dev, err := openWhatsAppDevice(ctx, a.Cfg, wc, log)
	if err != nil {
		return nil, err
	}
	if dev.ID == nil {
		ds.Close()
		return nil, nil
	}
	whatsapp.SetDeviceName(wc.DeviceName)
	cli := whatsmeow.NewClient(dev, whatsapp.Logger(log.With("module", "whatsmeow")))
	wc.Adapter.Account = whatsapp.AccountOf(*dev.ID)
	wc.Adapter.LeaseKey = waLeaseKey(a.Store)
	ad := whatsapp.New(wc.Adapter, cli, a.Dispatcher, whatsapp.Options{
		LIDs: dev.LIDs, Lease: a.Store, Status: newRedisStatus(a.Store), Log: a.Log,
		Relay: redisRelay{rdb: a.Store.Client(), key: waRelayKey(a.Store), ttl: cmp.Or(wc.Adapter.RelayMaxAge, whatsapp.DefaultConfig().RelayMaxAge)}, Observer: a.Observer, Media: &a.media,
		Users: a.Store, // conversation users are pseudonyms (store/wausers.go)
	})
	ad.Attach(cli)
	if err := linkWhatsApp(a, ch, ad); err != nil {
		ds.Close()
		return nil, err
	}
	ch.pairer.setLive(cli)
	return &waSession{
		run: func(ctx context.Context) error {
			defer ds.Close()
			defer ch.pairer.setLive(nil)
			return ad.Run(ctx)
		},
		holds:    cli.IsLoggedIn,
		logOut:   cli.Logout,
		unlinked: func() bool { return cli.Store.ID == nil }, // whatsmeow deletes a logged-out device
	}, nil
}

func runWhatsApp(ctx context.Context, env *Env, args []string) error {
	const usage = "usage: umkmbot whatsapp pair [--phone 62812…] | umkmbot whatsapp status"
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "pair":
		return runWhatsAppPair(ctx, env, args[1:])
	case "status":
		return runWhatsAppStatus(ctx, env, args[1:])
	}
	return fmt.Errorf("unknown whatsapp command %q\n%s", args[0], usage)
}

// runWhatsAppPair links this program to a WhatsApp number as a device.
func runWhatsAppPair(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("whatsapp pair", env)
	phoneArg := fs.String("phone", "", "pair with a code typed on the phone instead of a QR code: the bot's number, e.g. 6281234567890 (a landline with its area code too, e.g. 0264 201234)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	wc := cfg.WhatsApp
	var pairJID string
	if *phoneArg != "" {
		jid, err := whatsapp.PairJID(*phoneArg)
		if err != nil {
			return fmt.Errorf("--phone %q: %w (write it like 6281234567890, or a landline with its area code like 0264 201234)", *phoneArg, err)
		}
		pairJID = jid.User
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ds, dev, err := openWhatsAppDevice(ctx, cfg, wc, log)
	if err != nil {
		return err
	}
	defer ds.Close()
	if dev.ID != nil {
		fmt.Fprintf(env.Stdout, "Already paired with %s. To pair another number, remove this linked device on the phone "+
			"(WhatsApp → Linked devices); serve then logs out and the next `umkmbot whatsapp pair` starts afresh.\n",
			phone.Mask(whatsapp.AccountOf(*dev.ID)))
		return nil
	}
	whatsapp.SetDeviceName(wc.DeviceName) // the name the phone lists; taken now, at pairing
	cli := whatsmeow.NewClient(dev, whatsapp.Logger(log.With("module", "whatsmeow")))
	connected := make(chan struct{}, 1)
	cli.AddEventHandler(func(evt any) {
		if _, ok := evt.(*events.Connected); ok {
			select {
			case connected <- struct{}{}:
			default:
			}
		}
	})
	qr, err := cli.GetQRChannel(ctx)
	if err != nil {
		return fmt.Errorf("start pairing: %w", err)
	}
	if err := cli.Connect(); err != nil {
		return fmt.Errorf("connect to whatsapp: %w", err)
	}
	defer cli.Disconnect()
	if err := pairLoop(ctx, env.Stdout, qr, pairJID, cli.PairPhone); err != nil {
		return err
	}
	// Stay a moment so the phone finishes setting the device up.
	select {
	case <-connected:
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	account := phone.Mask(whatsapp.AccountOf(cli.Store.GetJID()))
	cli.Disconnect() // before serve connects the number: two connections replace each other
	if err := tellServePaired(ctx, cfg); err != nil {
		fmt.Fprintf(env.Stdout, "Paired with %s. Start (or restart) `umkmbot serve` with WHATSAPP_ENABLED=true (running serve processes could not be told: %v).\n", account, err)
		return nil
	}
	fmt.Fprintf(env.Stdout, "Paired with %s. A running `umkmbot serve` with WHATSAPP_ENABLED=true connects it within seconds; else start it.\n", account)
	return nil
}

// tellServePaired bumps the pairing generation the serve processes
// watch (waSignal), so one of them connects the number without a restart.
func tellServePaired(ctx context.Context, cfg Config) error {
	app, err := openApp(ctx, cfg, io.Discard)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.writable(); err != nil {
		return err
	}
	return newWASignal(app.Store).bump(ctx)
}

type pairPhoneFunc func(ctx context.Context, phone string, showPushNotification bool, clientType whatsmeow.PairClientType, clientDisplayName string) (string, error)

// pairLoop shows each QR code as it rotates (or, with a phone number, one
// pairing code) until the phone accepts, the codes run out, or ctx ends.
func pairLoop(ctx context.Context, out io.Writer, qr <-chan whatsmeow.QRChannelItem, number string, pairPhone pairPhoneFunc) error {
	codeShown := false
	for {
		var item whatsmeow.QRChannelItem
		var ok bool
		select {
		case <-ctx.Done():
			return ctx.Err()
		case item, ok = <-qr:
		}
		if !ok {
			return errors.New("pairing ended without success; run `umkmbot whatsapp pair` again")
		}
		switch {
		case item.Event == whatsmeow.QRChannelEventCode && number != "":
			if codeShown {
				continue
			}
			code, err := pairPhone(ctx, number, true, whatsmeow.PairClientChrome, "Chrome (Linux)")
			if err != nil {
				return fmt.Errorf("get a pairing code: %w", err)
			}
			codeShown = true
			fmt.Fprintf(out, "On the phone of %s: WhatsApp → Linked devices → Link a device → Link with phone number instead, and type:\n\n    %s\n\n(valid for about 160 seconds)\n",
				phone.Mask("+"+number), code)
		case item.Event == whatsmeow.QRChannelEventCode:
			fmt.Fprintf(out, "\nScan with the bot's phone: WhatsApp → Linked devices → Link a device (this code changes in %s):\n\n", item.Timeout.Round(time.Second))
			qrterminal.GenerateHalfBlock(item.Code, qrterminal.L, out)
		case item == whatsmeow.QRChannelSuccess:
			return nil
		case item == whatsmeow.QRChannelTimeout:
			return errors.New("no code was used in time; run `umkmbot whatsapp pair` again")
		case item.Event == whatsmeow.QRChannelEventError:
			return fmt.Errorf("pairing failed: %w", item.Error)
		default:
			return fmt.Errorf("pairing failed: %s", item.Event)
		}
	}
}

// runWhatsAppStatus says whether a number is paired, which process holds
// its connection, and whether WhatsApp restricted it.
func runWhatsAppStatus(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("whatsapp status", env)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	wc := cfg.WhatsApp
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ds, dev, err := openWhatsAppDevice(ctx, cfg, wc, log)
	if err != nil {
		return err
	}
	paired := dev.ID != nil
	account := ""
	if paired {
		account = phone.Mask(whatsapp.AccountOf(*dev.ID))
	}
	ds.Close()
	app, err := openApp(ctx, cfg, env.Stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	st, err := newRedisStatus(app.Store).LoadStatus(ctx)
	if err != nil {
		return err
	}
	holder, err := app.Redis.Get(ctx, waLeaseKey(app.Store)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("read whatsapp lease: %w", err)
	}
	writeWhatsAppStatus(env.Stdout, time.Now(), wc.Enabled, paired, account, holder, st)
	return nil
}

func writeWhatsAppStatus(w io.Writer, now time.Time, enabled, paired bool, account, holder string, st whatsapp.Status) {
	when := func(t time.Time) string { return t.In(bot.Jakarta).Format("2006-01-02 15:04 MST") }
	fmt.Fprintf(w, "enabled:     %v (WHATSAPP_ENABLED)\n", enabled)
	switch {
	case paired:
		fmt.Fprintf(w, "paired:      yes, %s\n", account)
	case st.Restriction == whatsapp.RestrictionBanned:
		fmt.Fprintf(w, "paired:      no — WhatsApp banned the number (code %d) and removed the device; pairing again does not help until WhatsApp lifts the ban\n", st.RestrictionCode)
	case st.LoggedOut:
		fmt.Fprintln(w, "paired:      no — the device was logged out; run `umkmbot whatsapp pair`")
	default:
		fmt.Fprintln(w, "paired:      no — run `umkmbot whatsapp pair` (or pair --phone 62812…)")
	}
	switch {
	case holder == "":
		fmt.Fprintln(w, "connection:  not held by any serve process")
	case st.Connected && st.Owner == holder:
		fmt.Fprintf(w, "connection:  connected, held by %s since %s\n", holder, when(st.Since))
	default:
		fmt.Fprintf(w, "connection:  held by %s, not connected (reconnecting)\n", holder)
	}
	if now.Before(st.ReplacedUntil) {
		fmt.Fprintf(w, "replaced:    another client took the connection (%d times in a row); no serve process connects before %s — stop the other client\n", st.Replaced, when(st.ReplacedUntil))
	}
	if st.Restriction == whatsapp.RestrictionBanned {
		fmt.Fprintf(w, "restriction: PERMANENT BAN (code %d) — open WhatsApp on the bot's phone to request a review; broadcasts and replies are stopped\n", st.RestrictionCode)
	} else if ok, until := st.BulkAllowed(now); !ok {
		what := "temporary ban"
		if st.Restriction == whatsapp.RestrictionTimelock {
			what = "reach-out time lock (error 463)"
		}
		fmt.Fprintf(w, "restriction: %s until %s — broadcasts are stopped; replies still go out when connected\n", what, when(until))
	} else {
		fmt.Fprintln(w, "restriction: none")
	}
	if !st.Updated.IsZero() {
		fmt.Fprintf(w, "updated:     %s\n", when(st.Updated))
	}
}
