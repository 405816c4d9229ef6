// Package web is the Dinas web console: officers sign in with a browser
// (office PC or phone) to follow the programme on a dashboard, find,
// correct and export registrations, run trainings and check-ins, review
// curation applications, send broadcasts and manage accounts, instead of
// running commands on the server.
//
// Pages are server-rendered html/template files embedded in the binary,
// with one small stylesheet; the only script (static/live.js) moves the
// broadcast progress bars, and every page works without it, on a cheap
// phone and on a server without internet. Every text comes from the
// go-i18n catalog (locales/web.*.toml), Indonesian first, English too.
//
// The package declares the small interfaces it needs (Officers, Sessions,
// Registrations, …); *store.Store implements them and only cmd/umkmbot
// wires the two together.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config tunes the console.
type Config struct {
	Region      umkm.Region
	Catalog     *bot.Catalog
	DefaultLang string   // "id" or "en"
	Sectors     []string // sector codes (flows.SectorCodes()); empty: those the catalog has labels for
	// SecureCookies marks the session cookie Secure always (the console is
	// behind TLS). Without it the cookie is Secure when the request came
	// over TLS, or, with TrustProxy, when X-Forwarded-Proto says https.
	SecureCookies bool
	// TrustProxy believes X-Forwarded-Proto and X-Forwarded-For (set it
	// only behind a reverse proxy that sets them).
	TrustProxy  bool
	SessionIdle time.Duration // a session unused this long ends (default 8h)
	SessionMax  time.Duration // a session ends this long after sign-in at the latest (default 7 days)
	// Sign-in attempts allowed per account and per address within
	// LoginWindow (defaults 5, 30 and 15 minutes).
	LoginPerAccount int
	LoginPerAddress int
	LoginWindow     time.Duration
	PageSize        int           // registrations per page (default 25)
	Canned          []CannedReply // ready answers of the ticket inbox (ParseCanned); nil: the built-in ones
	Now             func() time.Time
	Log             *slog.Logger
}

func (c *Config) defaults() error {
	if c.Catalog == nil {
		return errors.New("web: a catalog is required")
	}
	if c.DefaultLang == "" {
		c.DefaultLang = bot.DefaultLang
	}
	if c.SessionIdle <= 0 {
		c.SessionIdle = 8 * time.Hour
	}
	if c.SessionMax <= 0 {
		c.SessionMax = 7 * 24 * time.Hour
	}
	if c.LoginPerAccount <= 0 {
		c.LoginPerAccount = 5
	}
	if c.LoginPerAddress <= 0 {
		c.LoginPerAddress = 30
	}
	if c.LoginWindow <= 0 {
		c.LoginWindow = 15 * time.Minute
	}
	if c.Canned == nil {
		var err error
		if c.Canned, err = ParseCanned(nil); err != nil {
			return err
		}
	}
	if c.PageSize <= 0 {
		c.PageSize = 25
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return nil
}

// Server is the console's HTTP handler.
type Server struct {
	cfg     Config
	deps    Deps
	pages   map[string]*template.Template
	sectors []string
	handler http.Handler
}

// New builds the console. Every Deps field is required.
func New(cfg Config, d Deps) (*Server, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if d.Officers == nil || d.Sessions == nil || d.Logins == nil || d.Registrations == nil ||
		d.Applications == nil || d.Trainings == nil || d.TrainingSaver == nil || d.Rows == nil || d.Audit == nil ||
		d.Participants == nil || d.PartRows == nil || d.Broadcasts == nil ||
		d.Accounts == nil || d.EndSessions == nil || d.Channels == nil {
		return nil, errors.New("web: every dependency is required")
	}
	s := &Server{cfg: cfg, deps: d, pages: map[string]*template.Template{}}
	if err := s.parse(); err != nil {
		return nil, err
	}
	s.sectors = cfg.Sectors
	if len(s.sectors) == 0 {
		s.sectors = sectorCodes(cfg.Catalog)
	}
	s.handler = s.routes()
	return s, nil
}

// funcs are the template helpers; translation is the page's T method.
var funcs = template.FuncMap{
	// args passes several values to a sub-template: {{template "bars" (args $ .Data.Weeks)}}.
	"args": func(v ...any) []any { return v },
	"add":  func(a, b int) int { return a + b },
}

// parse reads every page template with the layout.
func (s *Server) parse() error {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("web: parse %s: %w", n, err)
		}
		s.pages[base] = t
	}
	return nil
}

// ServeHTTP serves the console.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Run serves on addr until ctx ends, then shuts down within 10 seconds.
func (s *Server) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("web console: listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn)}
	s.cfg.Log.Info("web console listening", "addr", ln.Addr().String())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("web console: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-done
	return err
}

// maxBody is the largest request body read (a broadcast text is 3,500
// characters at most).
const maxBody = 64 << 10

// securityHeaders keeps pages out of frames and caches and limits what a
// page may load to this server.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		// Forms are small: a larger body is cut off (the form then fails
		// to parse and is refused). The broadcast form may carry a picture.
		limit := int64(maxBody)
		if r.Method == http.MethodPost && (r.URL.Path == "/broadcasts" || r.URL.Path == "/broadcasts/preview" || ticketUpload(r.URL.Path)) {
			limit += maxImage + 64<<10
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// sectorCodes lists the sector codes the catalog has labels for
// ("sector.kuliner"), "lainnya" last.
func sectorCodes(c *bot.Catalog) []string {
	var out []string
	for id := range c.IDs(bot.DefaultLang) {
		if code, ok := strings.CutPrefix(id, "sector."); ok && code != "lainnya" {
			out = append(out, code)
		}
	}
	slices.Sort(out)
	if c.Has(bot.DefaultLang, "sector.lainnya") {
		out = append(out, "lainnya")
	}
	return out
}
