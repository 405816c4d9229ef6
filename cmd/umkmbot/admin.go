package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/term"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/bot/whatsapp"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/web"
)

func init() {
	addCommand("admin", "the Dinas web console: admin (run it alone), admin user add|passwd|disable|enable|list", runAdmin)
	addService("console", runConsoleService)
}

// AdminConfig is the web console's configuration.
type AdminConfig struct {
	Listen        string // ADMIN_LISTEN; "off" disables the console in serve
	SecureCookies bool   // ADMIN_SECURE_COOKIES: the console is reached over TLS
	TrustProxy    bool   // ADMIN_TRUST_PROXY: believe X-Forwarded-Proto/-For
}

// loadAdminConfig reads the console's settings; problems are appended to errs.
func loadAdminConfig(getenv func(string) string, errs *[]string) AdminConfig {
	c := AdminConfig{Listen: or(getenv("ADMIN_LISTEN"), "127.0.0.1:8080")}
	c.SecureCookies = envBool(getenv, "ADMIN_SECURE_COOKIES", false, errs)
	c.TrustProxy = envBool(getenv, "ADMIN_TRUST_PROXY", false, errs)
	return c
}

// exportRows gives the console the CLI exports' columns and rows (phone
// masked, no NIK column), so both export the same thing.
type exportRows struct{ region umkm.Region }

func (exportRows) Header() []string { return registrationColumns }
func (x exportRows) Row(r *umkm.Registration) []string {
	return registrationRow(x.region, r, false, false, csvLabel)
}

// The participants export, as `training participants` writes it (phone masked).
func (exportRows) ParticipantHeader() []string { return participantColumns }
func (exportRows) ParticipantRow(e umkm.Enrolment, r *umkm.Registration) []string {
	return participantRow(e, r, false)
}

// newConsole builds the web console on the app's store and catalog.
func newConsole(a *App) (*web.Server, error) {
	return web.New(web.Config{
		Region:        a.Region,
		Catalog:       a.Catalog,
		DefaultLang:   a.Cfg.DefaultLang,
		Sectors:       flows.SectorCodes(),
		SecureCookies: a.Cfg.Admin.SecureCookies,
		TrustProxy:    a.Cfg.Admin.TrustProxy,
		Canned:        a.Cfg.Tickets.Canned,
		Log:           a.Log.With("component", "console"),
	}, web.Deps{
		Officers:      a.Store,
		Sessions:      a.Store,
		Logins:        a.Store,
		Registrations: a.Store,
		Applications:  a.Store,
		Trainings:     a.Store,
		TrainingSaver: trainingSaver{a.Store.TrainingStore},
		Rows:          exportRows{region: a.Region},
		Audit:         a.Audit(),
		Participants:  a.Store,
		PartRows:      exportRows{region: a.Region},
		Broadcasts:    a.Store,
		Accounts:      a.Store,
		EndSessions:   a.Store,
		WhatsApp:      consoleWhatsApp{a},
		Pairing:       a.pairing,
		Products:      a.Store,
		Media:         &a.media,
		Images:        a.Store,
		Tickets:       observedTickets{a.Store, a.Observer},
		Poster:        a.Dispatcher,
		Channels:      a.Channels,
	})
}

// runConsoleService serves the console inside `umkmbot serve` unless
// ADMIN_LISTEN=off. /metrics and /readyz live in package ops on
// METRICS_LISTEN; the console has only /healthz.
func runConsoleService(ctx context.Context, a *App) error {
	if strings.EqualFold(a.Cfg.Admin.Listen, "off") {
		<-ctx.Done()
		return nil
	}
	con, err := newConsole(a)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.Cfg.Admin.Listen)
	if err != nil {
		// The chat channels matter more than the console: a second serve
		// on the same host keeps serving chats (set ADMIN_LISTEN=off there).
		a.Log.Error("web console not served", "addr", a.Cfg.Admin.Listen, "err", err)
		<-ctx.Done()
		return nil
	}
	return con.Serve(ctx, ln)
}

func runAdmin(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "user" {
		return runAdminUser(ctx, env, args[1:])
	}
	fs := flagSet("admin", env)
	listen := fs.String("listen", "", "address to serve on (default ADMIN_LISTEN, 127.0.0.1:8080)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Admin.Listen = *listen
	}
	if strings.EqualFold(cfg.Admin.Listen, "off") {
		return fmt.Errorf("ADMIN_LISTEN=off: give --listen 127.0.0.1:8080 to run the console")
	}
	app, err := openApp(ctx, cfg, env.Stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	if app.Embedded != nil && app.Embedded.ReadOnly() {
		return fmt.Errorf("another umkmbot process is using %s: run the console inside `umkmbot serve` (it serves ADMIN_LISTEN), or set REDIS_URL", cfg.DataDir)
	}
	con, err := newConsole(app)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.runStore(ctx) }()
	fmt.Fprintf(env.Stderr, "umkmbot: web console on http://%s (Ctrl-C to stop)\n", cfg.Admin.Listen)
	err = con.Run(ctx, cfg.Admin.Listen)
	cancel()
	if serr := <-done; err == nil {
		err = serr
	}
	return err
}

const adminUserUsage = `usage:
  umkmbot admin user add NAME --role admin|petugas|pengamat [--full-name "…"]   (password asked, or one line on stdin)
  umkmbot admin user passwd NAME
  umkmbot admin user disable NAME | enable NAME
  umkmbot admin user list`

func runAdminUser(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return errors.New(adminUserUsage)
	}
	verb, args := args[0], args[1:]
	name := ""
	if verb != "list" {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return errors.New(adminUserUsage)
		}
		name, args = umkm.OfficerName(args[0]), args[1:]
		if !umkm.ValidOfficerName(name) {
			return fmt.Errorf("account name %q: use 2 to 32 letters, digits, dots, dashes or underscores", name)
		}
	}
	fs := flagSet("admin user "+verb, env)
	role := fs.String("role", "", "admin, petugas or pengamat")
	fullName := fs.String("full-name", "", "the officer's full name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	app, err := openApp(ctx, cfg, env.Stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.writable(); err != nil {
		return err
	}
	now := time.Now()
	switch verb {
	case "add":
		r, ok := umkm.ParseRole(*role)
		if !ok {
			return fmt.Errorf("--role: use admin, petugas or pengamat")
		}
		hash, err := readNewPassword(env)
		if err != nil {
			return err
		}
		o := &umkm.Officer{Name: name, FullName: strings.TrimSpace(*fullName), Role: r, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
		if err := app.Store.CreateOfficer(ctx, o); err != nil {
			return err
		}
		app.Log.Info("console account added", "account", name, "role", r)
		fmt.Fprintf(env.Stdout, "account %s added (%s)\n", name, r)
	case "passwd", "disable", "enable":
		o, err := app.Store.Officer(ctx, name)
		if err != nil {
			return err
		}
		switch verb {
		case "passwd":
			if o.PasswordHash, err = readNewPassword(env); err != nil {
				return err
			}
		case "disable":
			o.Disabled = true
		case "enable":
			o.Disabled = false
		}
		if *role != "" {
			r, ok := umkm.ParseRole(*role)
			if !ok {
				return fmt.Errorf("--role: use admin, petugas or pengamat")
			}
			o.Role = r
		}
		if *fullName != "" {
			o.FullName = strings.TrimSpace(*fullName)
		}
		o.UpdatedAt = now
		if err := app.Store.SaveOfficer(ctx, o); err != nil {
			return err
		}
		// A new password or a disabled account ends every open session;
		// the sign-in limit starts afresh.
		if err := app.Store.DeleteOfficerSessions(ctx, name); err != nil {
			return err
		}
		if err := app.Store.ClearLoginAttempts(ctx, "u:"+name); err != nil {
			return err
		}
		app.Log.Info("console account changed", "account", name, "change", verb)
		fmt.Fprintf(env.Stdout, "account %s: %s done; its sessions are ended\n", name, verb)
	case "list":
		all, err := app.Store.Officers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tSTATE\tFULL NAME\tCHANGED")
		for _, o := range all {
			state := "active"
			if o.Disabled {
				state = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.Name, o.Role, state, o.FullName, o.UpdatedAt.In(bot.Jakarta).Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	default:
		return errors.New(adminUserUsage)
	}
	return nil
}

// readNewPassword asks for a password twice on a terminal, or reads one
// line from stdin (scripts: `printf '%s\n' "$PW" | umkmbot admin user add …`).
// Passwords never come from arguments, where ps and shell history see them.
func readNewPassword(env *Env) (string, error) {
	var pw string
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(env.Stderr, "password (at least %d characters): ", web.MinPasswordLen)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(env.Stderr, "again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		pw = string(a)
	} else {
		line, err := bufio.NewReader(io.LimitReader(env.Stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	return web.HashPassword(pw)
}

// consoleWhatsApp gives the console's dashboard the WhatsApp number's
// state as serve's WhatsApp channel records it in Redis (what `umkmbot
// whatsapp status` shows, without opening the device store).
type consoleWhatsApp struct{ a *App }

func (c consoleWhatsApp) WhatsAppState(ctx context.Context) (web.WhatsAppState, error) {
	st, err := newRedisStatus(c.a.Store).LoadStatus(ctx)
	if err != nil {
		return web.WhatsAppState{}, err
	}
	holder, err := c.a.Redis.Get(ctx, waLeaseKey(c.a.Store)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return web.WhatsAppState{}, fmt.Errorf("read whatsapp lease: %w", err)
	}
	now := time.Now()
	out := web.WhatsAppState{Used: !st.Updated.IsZero() || holder != "", Account: st.Account,
		Connected: st.Connected && holder != "" && st.Owner == holder, Holder: holder, Since: st.Since}
	ok, until := st.BulkAllowed(now)
	switch {
	case st.Restriction == whatsapp.RestrictionBanned:
		out.Problem = "banned"
	case !ok && st.Restriction == whatsapp.RestrictionTimelock:
		out.Problem, out.Until = "timelock", until
	case !ok:
		out.Problem, out.Until = "tempban", until
	case st.LoggedOut:
		out.Problem = "logged_out"
	case now.Before(st.ReplacedUntil):
		out.Problem, out.Until = "replaced", st.ReplacedUntil
	}
	return out, nil
}
