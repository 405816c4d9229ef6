package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/ops"
)

func init() {
	addCommand("healthcheck", "exit 0 when serve's /healthz (or /readyz with --ready) on METRICS_LISTEN answers 200, else 1", runHealthcheck)
}

// opsConfig is the observability part of the configuration.
type opsConfig struct {
	MetricsListen string // METRICS_LISTEN: host:port of /metrics, /healthz, /readyz; empty: off
	LogFormat     string // LOG_FORMAT: text (default) or json
}

// loadOpsConfig reads METRICS_LISTEN and LOG_FORMAT, adding problems to errs.
func loadOpsConfig(getenv func(string) string, errs *[]string) opsConfig {
	c := opsConfig{MetricsListen: getenv("METRICS_LISTEN"), LogFormat: or(getenv("LOG_FORMAT"), "text")}
	if c.MetricsListen != "" {
		_, port, err := net.SplitHostPort(c.MetricsListen)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
			*errs = append(*errs, fmt.Sprintf("METRICS_LISTEN=%q is not host:port (e.g. 127.0.0.1:9090 or :9090)", c.MetricsListen))
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		*errs = append(*errs, fmt.Sprintf("LOG_FORMAT=%q: use text or json", c.LogFormat))
	}
	return c
}

// newLogger is the program's logger: LOG_FORMAT json writes one JSON
// object a line (for log collectors), text the logfmt-like lines of slog.
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	o := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.Ops.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}

// openMetrics sets the app's Observer, and with METRICS_LISTEN its
// metrics: turn, queue and broadcast series, Redis errors, and the Redis
// readiness check, and the registered channels. Channels add their
// readiness checks as they are linked (App.linkChannel).
func (a *App) openMetrics() error {
	a.Observer = bot.NopObserver{}
	if a.Cfg.Ops.MetricsListen == "" {
		return nil
	}
	m := ops.New(ops.Options{})
	if err := errors.Join(m.WatchQueues(a.Store), m.WatchBroadcasts(a.Store), m.WatchChannels(a.Channels)); err != nil {
		return err
	}
	a.Redis.AddHook(m.RedisHook())
	m.AddCheck("redis", ops.RedisCheck(a.Redis))
	a.Metrics, a.Observer = m, m
	return nil
}

// watchMetrics lets a channel register its own series (Telegram's 429s,
// WhatsApp's bans) when serve has metrics; a failure is logged, not fatal.
func (a *App) watchMetrics(what string, watch func(*ops.Metrics) error) {
	if a.Metrics == nil {
		return
	}
	if err := watch(a.Metrics); err != nil {
		a.Log.Warn("channel metrics", "channel", what, "err", err)
	}
}

// listenMetrics listens on METRICS_LISTEN (before the channels start, so
// a taken port stops serve at once) and returns what serves the metrics
// until its context ends; with METRICS_LISTEN empty it just waits.
func listenMetrics(a *App) (func(context.Context) error, error) {
	if a.Metrics == nil {
		return func(ctx context.Context) error { <-ctx.Done(); return nil }, nil
	}
	ln, err := net.Listen("tcp", a.Cfg.Ops.MetricsListen)
	if err != nil {
		return nil, fmt.Errorf("METRICS_LISTEN: %w", err)
	}
	a.Log.Info("metrics serving", "addr", ln.Addr().String(), "paths", "/metrics /healthz /readyz")
	return func(ctx context.Context) error { return ops.Serve(ctx, ln, a.Metrics.Handler(), a.Log) }, nil
}

// runHealthcheck is the container's health check: it asks the running
// serve on METRICS_LISTEN and exits 0 for a 200 answer, else 1.
func runHealthcheck(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("healthcheck", env)
	ready := fs.Bool("ready", false, "ask /readyz (Redis reachable, channels connected) instead of /healthz (process up)")
	addr := fs.String("addr", "", "host:port of serve's metrics server (default METRICS_LISTEN)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var errs []string
	c := loadOpsConfig(env.Getenv, &errs)
	if *addr == "" {
		if len(errs) > 0 {
			return errors.New(errs[0])
		}
		*addr = c.MetricsListen
	}
	if *addr == "" {
		return errors.New("healthcheck: METRICS_LISTEN is not set, so serve has no health endpoint (set it, e.g. :9090, or pass --addr)")
	}
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := ops.Probe(ctx, *addr, path); err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	fmt.Fprintln(env.Stdout, "ok")
	return nil
}
