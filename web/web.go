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

// Officers keeps the console's accounts.
type Officers interface {
	// Officer returns one account; bot.ErrNotFound if there is none.
	Officer(ctx context.Context, name string) (*umkm.Officer, error)
}

// Accounts lists, creates and changes accounts (admins, on /accounts).
type Accounts interface {
	Officers(ctx context.Context) ([]*umkm.Officer, error)
	CreateOfficer(ctx context.Context, o *umkm.Officer) error // umkm.ErrOfficerExists
	SaveOfficer(ctx context.Context, o *umkm.Officer) error
}

// SessionEnder ends every session of an account (new password, disabled,
// role changed).
type SessionEnder interface {
	DeleteOfficerSessions(ctx context.Context, name string) error
}

// Sessions keeps signed-in browsers. Ids are hashes of the cookie tokens.
type Sessions interface {
	CreateSession(ctx context.Context, id string, s umkm.OfficerSession, ttl time.Duration) error
	// Session returns a live session and extends it to ttl; bot.ErrNotFound.
	Session(ctx context.Context, id string, ttl time.Duration) (umkm.OfficerSession, error)
	DeleteSession(ctx context.Context, id string) error
}

// LoginCounter counts sign-in attempts per account and per address.
type LoginCounter interface {
	// LoginAttempt counts one attempt against each key within window and
	// returns the counts including it.
	LoginAttempt(ctx context.Context, window time.Duration, keys ...string) ([]int64, error)
	ClearLoginAttempts(ctx context.Context, keys ...string) error
}

// Registrations reads the region's registrations and corrects one.
type Registrations interface {
	Registration(ctx context.Context, id string) (*umkm.Registration, error)
	EachRegistration(ctx context.Context, region string, fn func(*umkm.Registration) error) error
	UpdateRegistration(ctx context.Context, r *umkm.Registration) error
}

// Applications reads curation applications and records the Dinas's
// decisions (the store queues the owner's notice with the change).
type Applications interface {
	Applications(ctx context.Context, region string, status umkm.ApplicationStatus) ([]umkm.Application, error)
	Application(ctx context.Context, id string) (*umkm.Application, error)
	SetApplicationStatus(ctx context.Context, id string, status umkm.ApplicationStatus, note string, at time.Time) (*umkm.Application, error)
}

// Trainings reads and changes trainings (the same store calls as
// `umkmbot training`).
type Trainings interface {
	AllTrainings(ctx context.Context) ([]*umkm.Training, error)
	Training(ctx context.Context, id string) (*umkm.Training, error)
	CreateTraining(ctx context.Context, t *umkm.Training) error
}

// TrainingSaver saves a changed training and queues the notices of owners
// moved from the waitlist to a seat (cmd/umkmbot's saveTraining does both,
// as the CLI does).
type TrainingSaver interface {
	SaveTraining(ctx context.Context, t *umkm.Training) (promoted int, err error)
}

// ExportRows gives the columns and rows of a registrations export, the
// same as `umkmbot export registrations` writes (cmd/umkmbot wires its
// own). The console writes them as CSV and neutralises formula cells.
type ExportRows interface {
	Header() []string
	Row(r *umkm.Registration) []string
}

// Broadcasts lists broadcasts with their progress and pauses, resumes or
// cancels one (umkm.BroadcastPause, …), as `umkmbot broadcast` does.
type Broadcasts interface {
	Broadcasts(ctx context.Context) ([]*umkm.Broadcast, error)
	ControlBroadcast(ctx context.Context, id, action string) (umkm.BroadcastStatus, error)
	// CreateBroadcast schedules b; the same Token creates it once.
	CreateBroadcast(ctx context.Context, b *umkm.Broadcast) error
}

// WhatsAppState is the Dinas's WhatsApp number as the dashboard shows it.
type WhatsAppState struct {
	Used      bool   // WhatsApp has run at least once (else there is nothing to show)
	Account   string // the paired number, masked
	Connected bool
	Holder    string // the serve process holding the connection; "" for none
	Since     time.Time
	// Problem is "", "banned", "tempban", "timelock", "logged_out" or
	// "replaced" (message web.whatsapp.problem.<Problem>); Until is when it
	// ends, zero when unknown.
	Problem string
	Until   time.Time
}

// WhatsAppStatus reads the WhatsApp number's state (cmd/umkmbot reads
// what serve's WhatsApp channel records in Redis).
type WhatsAppStatus interface {
	WhatsAppState(ctx context.Context) (WhatsAppState, error)
}

// Participants reads a training's sign-ups and checks owners in.
type Participants interface {
	Participants(ctx context.Context, training string) ([]umkm.Enrolment, error)
	// CheckIn marks the confirmed participant holding code attended
	// (bot.ErrNotFound when nobody holds it); c is zero from the console.
	CheckIn(ctx context.Context, training, code string, c bot.Conversation) (umkm.Enrolment, error)
}

// ParticipantRows gives the columns and rows of a participants export,
// the same as `umkmbot training participants` writes.
type ParticipantRows interface {
	ParticipantHeader() []string
	ParticipantRow(e umkm.Enrolment, r *umkm.Registration) []string
}

// Auditor keeps the audit log: who revealed a NIK, exported, changed what.
type Auditor interface {
	Audit(ctx context.Context, e umkm.AuditEntry) error
	// Recent returns the last n entries, newest first.
	Recent(ctx context.Context, n int) ([]umkm.AuditEntry, error)
}

// Deps is what the console reads and changes. *store.Store implements all
// but Rows, PartRows and TrainingSaver, which cmd/umkmbot provides.
type Deps struct {
	Officers      Officers
	Sessions      Sessions
	Logins        LoginCounter
	Registrations Registrations
	Applications  Applications
	Trainings     Trainings
	TrainingSaver TrainingSaver
	Rows          ExportRows
	Audit         Auditor
	Participants  Participants
	PartRows      ParticipantRows
	Broadcasts    Broadcasts
	Accounts      Accounts
	EndSessions   SessionEnder
	WhatsApp      WhatsAppStatus // optional: nil leaves the dashboard without it

	// Pairing links the WhatsApp number from /whatsapp (admins); optional:
	// nil leaves the page with the number's state only.
	Pairing WhatsAppPairing

	// Products and Media show the products' photos on the curation
	// review; optional: without either the review lists names only.
	Products Products
	Media    MediaFetcher
	// Images keeps broadcast pictures; optional: without it broadcasts
	// are text only.
	Images Images

	// Tickets and Poster serve the officers' inbox of hand-over tickets
	// (web/tickets.go); optional: without both there is no inbox.
	Tickets TicketDesk
	Poster  ConversationPoster
}

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
		d.Accounts == nil || d.EndSessions == nil {
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

// Who may use a route.
type access int

const (
	public    access = iota // anyone (sign-in page, health, static files)
	signedIn                // any signed-in officer
	mayChange               // admin and petugas: changes and unmasked data
	adminOnly               // admin: the audit log
)

// route is one page or action of the console.
type route struct {
	method, pattern string
	access          access
	handle          http.HandlerFunc
}

// routeTable lists every page and action; the security tests walk it.
func (s *Server) routeTable() []route {
	health := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	}
	return []route{
		{"GET", "/healthz", public, health},
		{"GET", "/lang", public, s.setLang},
		{"GET", "/login", public, s.loginPage},
		{"POST", "/login", public, s.login},
		{"POST", "/logout", signedIn, s.logout},

		{"GET", "/{$}", signedIn, s.dashboard},
		{"GET", "/registrations", signedIn, s.registrationList},
		{"GET", "/registrations/{id}", signedIn, s.registrationDetail},
		{"POST", "/registrations/{id}/nik", mayChange, s.registrationRevealNIK},
		{"GET", "/registrations/{id}/edit", mayChange, s.registrationForm},
		{"POST", "/registrations/{id}", mayChange, s.registrationCorrect},
		{"GET", "/export/{file}", mayChange, s.registrationExport},

		{"GET", "/trainings", signedIn, s.trainingList},
		{"GET", "/trainings/new", mayChange, s.trainingForm},
		{"POST", "/trainings", mayChange, s.trainingCreate},
		{"GET", "/trainings/{id}", signedIn, s.trainingDetail},
		{"POST", "/trainings/{id}/checkin", mayChange, s.trainingCheckIn},
		{"GET", "/export/trainings/{id}/{file}", mayChange, s.participantExport},
		{"GET", "/trainings/{id}/edit", mayChange, s.trainingForm},
		{"POST", "/trainings/{id}", mayChange, s.trainingUpdate},
		{"POST", "/trainings/{id}/open", mayChange, s.trainingSetStatus(umkm.TrainingOpen)},
		{"POST", "/trainings/{id}/close", mayChange, s.trainingSetStatus(umkm.TrainingClosed)},

		{"GET", "/curation", signedIn, s.curationList},
		{"GET", "/curation/{id}", signedIn, s.curationDetail},
		{"POST", "/curation/{id}", mayChange, s.curationDecide},
		{"GET", "/curation/{id}/photos/{n}", signedIn, s.curationPhoto},

		{"GET", "/broadcasts", signedIn, s.broadcastList},
		{"GET", "/broadcasts/progress.json", signedIn, s.broadcastProgress},
		{"GET", "/broadcasts/new", mayChange, s.broadcastCompose},
		{"POST", "/broadcasts/preview", mayChange, s.broadcastPreview},
		{"POST", "/broadcasts", mayChange, s.broadcastCreate},
		{"POST", "/broadcasts/{id}/{action}", mayChange, s.broadcastControl},
		{"GET", "/broadcasts/images/{ref}", signedIn, s.broadcastImage},

		{"GET", "/whatsapp", adminOnly, s.whatsAppPage},
		{"POST", "/whatsapp/pair", adminOnly, s.whatsAppPair},
		{"POST", "/whatsapp/logout", adminOnly, s.whatsAppLogout},

		{"GET", "/tickets", signedIn, s.ticketList},
		{"GET", "/tickets/{id}", signedIn, s.ticketDetail},
		{"POST", "/tickets/{id}/claim", mayChange, s.ticketClaim},
		{"POST", "/tickets/{id}/reply", mayChange, s.ticketReply},
		{"POST", "/tickets/{id}/close", mayChange, s.ticketClose},
		{"POST", "/tickets/{id}/transfer", mayChange, s.ticketTransfer},
		{"GET", "/tickets/{id}/files/{ref}", signedIn, s.ticketFile},

		{"GET", "/audit", adminOnly, s.auditPage},
		{"GET", "/accounts", adminOnly, s.accountList},
		{"GET", "/accounts/new", adminOnly, s.accountForm},
		{"POST", "/accounts", adminOnly, s.accountCreate},
		{"GET", "/accounts/{name}", adminOnly, s.accountForm},
		{"POST", "/accounts/{name}", adminOnly, s.accountUpdate},
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	for _, rt := range s.routeTable() {
		h := rt.handle
		switch rt.access {
		case signedIn:
			h = s.signedIn(h)
		case mayChange:
			h = s.mayChange(h)
		case adminOnly:
			h = s.adminOnly(h)
		}
		mux.HandleFunc(rt.method+" "+rt.pattern, h)
	}

	// Cross-site requests that change anything are refused (Sec-Fetch-Site
	// and Origin checked against Host), login included; SameSite cookies
	// are the second line.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.cfg.Log.Warn("web: cross-origin request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		s.fail(w, r, http.StatusForbidden, "web.error.cross_origin")
	}))
	return securityHeaders(cop.Handler(mux))
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
