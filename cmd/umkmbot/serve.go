package main

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"
)

// A service is a background job of serve (reminders, broadcasts).
type service func(ctx context.Context, a *App) error

var services = map[string]service{}

// addService registers a background job of serve.
func addService(name string, s service) {
	if _, dup := services[name]; dup {
		panic("umkmbot: service " + name + " registered twice")
	}
	services[name] = s
}

func init() {
	addCommand("serve", "run the enabled chat channels (Telegram, WhatsApp) and background jobs", runServe)
}

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("serve", env)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	if cfg.Privacy.Keys == nil {
		return errNoDataKey
	}
	tuneGC(env.Getenv)
	app, err := openApp(ctx, cfg, env.Stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.writable(); err != nil {
		return err
	}
	if err := checkSealed(ctx, app, env, false); err != nil {
		return err
	}
	if app.Embedded != nil {
		app.Log.Warn("using the embedded store: for trying out and small single-process use; set REDIS_URL for production", "dir", cfg.DataDir)
	}

	serveMetrics, err := listenMetrics(app) // METRICS_LISTEN: fails here when the port is taken
	if err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	var enabled []string
	for _, m := range channelModules {
		if m.start == nil {
			continue
		}
		n := m.describe(cfg).ID
		run, ok, err := m.start(gctx, app, env)
		if err != nil {
			return fmt.Errorf("start %s: %w", n, err)
		}
		if !ok {
			continue
		}
		enabled = append(enabled, string(n))
		g.Go(func() error { return run(gctx) })
	}
	if len(enabled) == 0 {
		return fmt.Errorf("no channel is enabled: set TELEGRAM_BOT_TOKEN or WHATSAPP_ENABLED=true (or try `umkmbot chat`)")
	}
	g.Go(func() error { return app.Dispatcher.Run(gctx) })
	g.Go(func() error { return serveMetrics(gctx) })
	g.Go(func() error { return app.runStore(gctx) })
	for n, s := range services {
		g.Go(func() error {
			if err := s(gctx, app); err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
			return nil
		})
	}
	app.Log.Info("serving", "channels", strings.Join(enabled, ","), "region", app.Region.Name, "instance", app.Cfg.Instance)
	return g.Wait()
}
