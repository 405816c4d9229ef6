package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
)

// Check is one readiness condition: nil when ready, else why not (no
// personal data, no secrets).
type Check interface {
	Ready(ctx context.Context) error
}

// CheckFunc adapts a function to Check.
type CheckFunc func(ctx context.Context) error

// Ready calls f.
func (f CheckFunc) Ready(ctx context.Context) error { return f(ctx) }

type namedCheck struct {
	name string
	c    Check
}

// AddCheck adds a readiness condition: "redis", "telegram", "whatsapp".
// A check of a name already added replaces it (a channel linked again).
func (m *Metrics) AddCheck(name string, c Check) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.checks {
		if m.checks[i].name == name {
			m.checks[i].c = c
			return
		}
	}
	m.checks = append(m.checks, namedCheck{name, c})
}

// RedisCheck is ready while Redis answers PING.
func RedisCheck(rdb redis.UniversalClient) Check {
	return CheckFunc(func(ctx context.Context) error { return rdb.Ping(ctx).Err() })
}

// CheckResult is the outcome of one readiness check.
type CheckResult struct {
	Name string
	Err  error
}

// Ready runs every check (concurrently, each bounded by Options.Timeout)
// and returns their results in the order they were added, and whether all
// passed.
func (m *Metrics) Ready(ctx context.Context) ([]CheckResult, bool) {
	m.mu.Lock()
	checks := append([]namedCheck(nil), m.checks...)
	m.mu.Unlock()
	res := make([]CheckResult, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, m.timeout)
			defer cancel()
			res[i] = CheckResult{Name: c.name, Err: c.c.Ready(cctx)}
		})
	}
	wg.Wait()
	ok := true
	for _, r := range res {
		ok = ok && r.Err == nil
	}
	return res, ok
}

// Handler serves /metrics (Prometheus text format), /healthz (200 while
// the process serves HTTP) and /readyz (200 when every check passes, else
// 503 naming the failing ones). The web console can mount it on its own
// server.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		res, ok := m.Ready(r.Context())
		var b strings.Builder
		for _, c := range res {
			if c.Err != nil {
				fmt.Fprintf(&b, "%s: %v\n", c.Name, c.Err)
			} else {
				fmt.Fprintf(&b, "%s: ok\n", c.Name)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		io.WriteString(w, b.String())
	})
	return mux
}

// Serve serves h on ln until ctx ends, then shuts down gracefully
// (requests in flight get up to 5 seconds).
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("metrics server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics server: %w", err)
	}
	return nil
}

// Probe GETs path ("/healthz" or "/readyz") from the server listening on
// addr (as configured: ":9090" and "0.0.0.0:9090" are reached on the
// loopback address) and returns nil for a 200 answer, else what went
// wrong with the body of the answer.
func Probe(ctx context.Context, addr, path string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	u := "http://" + net.JoinHostPort(host, port) + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s\n%s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
