package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot/whatsapp"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// umkmbotStdinErr runs the program with stdin and returns its error.
func umkmbotStdinErr(env map[string]string, stdin string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(stdin), io.Discard, io.Discard)
}

// consoleFor starts the console of env on a test server; setup changes
// the app first (a fake WhatsApp pairing source, say).
func consoleFor(t *testing.T, env map[string]string, setup ...func(*App)) (*App, *httptest.Server) {
	t.Helper()
	app := testApp(context.Background(), t, env)
	for _, f := range setup {
		f(app)
	}
	con, err := newConsole(app)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(con)
	t.Cleanup(ts.Close)
	return app, ts
}

// signIn posts the sign-in form like a browser and returns the client (with
// its cookie) and the status.
func signIn(t *testing.T, ts *httptest.Server, name, password string) (*http.Client, int) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/login", strings.NewReader(url.Values{"name": {name}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", ts.URL)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return c, res.StatusCode
}

func status(t *testing.T, c *http.Client, u string) int {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestAdminUserCommands: accounts are managed on the server with the
// password on stdin; a new password or disabling ends open sessions.
func TestAdminUserCommands(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	out := umkmbot(t, env, "sandi-pertama-1\n", "admin", "user", "add", "Rina", "--role", "pengamat", "--full-name", "Rina W")
	if !strings.Contains(out, "account rina added (pengamat)") {
		t.Fatalf("add: %q", out)
	}
	for _, bad := range []struct {
		stdin string
		args  []string
	}{
		{"sandi-kedua-22\n", []string{"admin", "user", "add", "rina", "--role", "petugas"}}, // taken
		{"pendek\n", []string{"admin", "user", "add", "dodi", "--role", "petugas"}},         // too short
		{"sandi-kedua-22\n", []string{"admin", "user", "add", "dodi", "--role", "raja"}},    // no such role
		{"sandi-kedua-22\n", []string{"admin", "user", "add", "a b", "--role", "petugas"}},  // bad name
		{"sandi-kedua-22\n", []string{"admin", "user", "passwd", "siapa"}},                  // no such account
		{"", []string{"admin", "user", "add", "dodi", "--role", "petugas"}},                 // no password
	} {
		if err := umkmbotStdinErr(env, bad.stdin, bad.args...); err == nil {
			t.Errorf("%v accepted", bad.args)
		}
	}
	list := umkmbot(t, env, "", "admin", "user", "list")
	if !strings.Contains(list, "rina") || !strings.Contains(list, "pengamat") || strings.Contains(list, "dodi") || strings.Contains(list, "argon2") {
		t.Fatalf("list:\n%s", list)
	}

	_, ts := consoleFor(t, env)
	c, code := signIn(t, ts, "rina", "sandi-pertama-1")
	if code != http.StatusSeeOther || status(t, c, ts.URL+"/") != http.StatusOK {
		t.Fatalf("sign in with the password given on stdin: %d", code)
	}
	umkmbot(t, env, "sandi-kedua-22\n", "admin", "user", "passwd", "rina")
	if got := status(t, c, ts.URL+"/"); got != http.StatusSeeOther {
		t.Fatalf("the session outlived a new password: %d", got)
	}
	if _, code := signIn(t, ts, "rina", "sandi-pertama-1"); code != http.StatusUnauthorized {
		t.Fatalf("old password: %d", code)
	}
	c, code = signIn(t, ts, "rina", "sandi-kedua-22")
	if code != http.StatusSeeOther {
		t.Fatalf("new password: %d", code)
	}
	umkmbot(t, env, "", "admin", "user", "disable", "rina")
	if got := status(t, c, ts.URL+"/"); got != http.StatusSeeOther {
		t.Fatalf("the session outlived disabling: %d", got)
	}
	if _, code := signIn(t, ts, "rina", "sandi-kedua-22"); code != http.StatusUnauthorized {
		t.Fatalf("a disabled account signs in: %d", code)
	}
	if list := umkmbot(t, env, "", "admin", "user", "list"); !strings.Contains(list, "disabled") {
		t.Fatalf("list does not show the account disabled:\n%s", list)
	}
	umkmbot(t, env, "", "admin", "user", "enable", "rina", "--role", "petugas")
	if c, code := signIn(t, ts, "rina", "sandi-kedua-22"); code != http.StatusSeeOther || status(t, c, ts.URL+"/trainings/new") != http.StatusOK {
		t.Fatalf("enabled as petugas: %d", code)
	}
}

// TestConsoleInServe: serve's console job listens on ADMIN_LISTEN and
// stops with the context; ADMIN_LISTEN=off keeps it quiet.
func TestConsoleInServe(t *testing.T) {
	_, prefix := redistest.Client(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, listen := range []string{addr, "off"} {
		env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "ADMIN_LISTEN": listen}
		cfg, err := loadConfig(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		app, err := openApp(context.Background(), cfg, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- runConsoleService(ctx, app) }()
		if listen != "off" {
			var res *http.Response
			for i := 0; i < 100; i++ {
				if res, err = http.Get("http://" + addr + "/healthz"); err == nil {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("healthz on ADMIN_LISTEN: %v", err)
			}
			res.Body.Close()
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("console job with ADMIN_LISTEN=%s: %v", listen, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("console job with ADMIN_LISTEN=%s did not stop", listen)
		}
		app.Close()
	}
	// The port is taken (another serve on this host): chats go on, the
	// console is not served, the job ends with the context.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "ADMIN_LISTEN": busy.Addr().String()}
	app := testApp(context.Background(), t, env)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runConsoleService(ctx, app) }()
	select {
	case err := <-done:
		t.Fatalf("the console job ended serve on a taken port: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("console job on a taken port: %v", err)
	}
	if _, err := loadConfig(func(k string) string { return map[string]string{"ADMIN_SECURE_COOKIES": "ja"}[k] }); err == nil ||
		!strings.Contains(err.Error(), "ADMIN_SECURE_COOKIES") {
		t.Fatalf("a bad ADMIN_SECURE_COOKIES: %v", err)
	}
}

// TestConsoleWhatsAppState: the dashboard reads what serve's WhatsApp
// channel records: nothing before WhatsApp ran, the connection and its
// holder, and each restriction with its end.
func TestConsoleWhatsAppState(t *testing.T) {
	_, prefix := redistest.Client(t)
	app, _ := consoleFor(t, map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix})
	ctx := context.Background()
	wa := consoleWhatsApp{app}
	if st, err := wa.WhatsAppState(ctx); err != nil || st.Used {
		t.Fatalf("before WhatsApp ran: %+v, %v", st, err)
	}
	now := time.Now()
	for _, tc := range []struct {
		status  whatsapp.Status
		holder  string
		problem string
		conn    bool
	}{
		{whatsapp.Status{Owner: "srv-1", Account: "+62812****7890", Connected: true, Since: now, Updated: now}, "srv-1", "", true},
		{whatsapp.Status{Owner: "srv-1", Connected: true, Updated: now}, "srv-2", "", false},
		{whatsapp.Status{Restriction: whatsapp.RestrictionBanned, Updated: now}, "", "banned", false},
		{whatsapp.Status{Restriction: whatsapp.RestrictionTempBan, RestrictedUntil: now.Add(time.Hour), Updated: now}, "", "tempban", false},
		{whatsapp.Status{Restriction: whatsapp.RestrictionTimelock, RestrictedUntil: now.Add(time.Hour), Updated: now}, "", "timelock", false},
		{whatsapp.Status{Restriction: whatsapp.RestrictionTempBan, RestrictedUntil: now.Add(-time.Hour), Updated: now}, "", "", false},
		{whatsapp.Status{LoggedOut: true, Updated: now}, "", "logged_out", false},
		{whatsapp.Status{Replaced: 3, ReplacedUntil: now.Add(time.Minute), Updated: now}, "", "replaced", false},
	} {
		if err := newRedisStatus(app.Store).SaveStatus(ctx, tc.status); err != nil {
			t.Fatal(err)
		}
		app.Redis.Set(ctx, waLeaseKey(app.Store), tc.holder, 0)
		if tc.holder == "" {
			app.Redis.Del(ctx, waLeaseKey(app.Store))
		}
		st, err := wa.WhatsAppState(ctx)
		if err != nil || !st.Used || st.Problem != tc.problem || st.Connected != tc.conn {
			t.Errorf("status %+v holder %q: got %+v, %v; want problem %q connected %v", tc.status, tc.holder, st, err, tc.problem, tc.conn)
		}
	}
}
