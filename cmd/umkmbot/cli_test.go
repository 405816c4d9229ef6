package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// runArgs runs the real program and returns its error and outputs.
func runArgs(env map[string]string, stdin string, args ...string) (err error, stdout, stderr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errs bytes.Buffer
	err = run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errs)
	return err, out.String(), errs.String()
}

// walk calls fn for every node of the command tree under c.
func walk(c *command, fn func(*command)) {
	fn(c)
	for _, s := range c.subs {
		walk(s, fn)
	}
}

// TestHelpEveryCommand: -h, --help and help of every command and
// subcommand exit 0, print the usage on standard output, and a leaf's help
// lists every one of its flags; nothing is opened (no data directory).
func TestHelpEveryCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	getenv := func(k string) string { return map[string]string{"DATA_DIR": dir}[k] }
	var paths []string
	walk(root, func(c *command) { paths = append(paths, strings.TrimSpace(strings.TrimPrefix(c.path(), "umkmbot"))) })
	if len(paths) < 25 {
		t.Fatalf("the command tree has %d nodes: %q", len(paths), paths)
	}
	for _, p := range paths {
		args := strings.Fields(p)
		for _, help := range [][]string{append(slices.Clone(args), "-h"), append(slices.Clone(args), "--help"), append([]string{"help"}, args...)} {
			t.Run(strings.Join(help, " "), func(t *testing.T) {
				var out, errs bytes.Buffer
				env := &Env{Getenv: getenv, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errs}
				err := runEnv(context.Background(), env, help)
				if err != nil || exitCode(err) != 0 {
					t.Fatalf("err = %v (exit %d)\nstderr:\n%s", err, exitCode(err), errs.String())
				}
				if want := "usage: " + strings.TrimSpace("umkmbot "+p); !strings.Contains(out.String(), want) {
					t.Fatalf("stdout lacks %q:\n%s\nstderr:\n%s", want, out.String(), errs.String())
				}
				if c := root.lookup(p); len(c.subs) == 0 {
					if env.flags == nil {
						t.Fatalf("leaf %q made no flag set", p)
					}
					env.flags.VisitAll(func(f *flag.Flag) {
						if !strings.Contains(out.String(), "  -"+f.Name) {
							t.Errorf("help does not list -%s:\n%s", f.Name, out.String())
						}
					})
				} else {
					for _, s := range c.subs {
						if !strings.Contains(out.String(), "  "+s.name) {
							t.Errorf("help does not list the subcommand %s:\n%s", s.name, out.String())
						}
					}
				}
			})
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("help opened the store: %s exists (%v)", dir, err)
	}
}

// TestUsageErrors: a bad command line exits 2 with the usage on standard
// error; a failure of a good command line exits 1.
func TestUsageErrors(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir()}
	for _, args := range [][]string{
		{},
		{"explode"},
		{"training"},
		{"training", "explode"},
		{"training", "add", "--bogus"},
		{"training", "edit"},
		{"training", "edit", "1", "2"},
		{"training", "checkin", "1"},
		{"training", "list", "--all=maybe"},
		{"curation", "set-status", "1"},
		{"curation", "set-status", "1", "lulus"},
		{"broadcast", "status"},
		{"broadcast", "create"},
		{"export"},
		{"export", "registrations", "--format", "pdf"},
		{"chat", "--bogus"},
		{"serve", "--bogus"},
		{"version", "extra"},
		{"config", "check", "extra"},
		{"whatsapp", "pair", "--bogus"},
	} {
		err, _, stderr := runArgs(env, "", args...)
		if exitCode(err) != 2 {
			t.Errorf("umkmbot %s: exit %d (%v), want 2", strings.Join(args, " "), exitCode(err), err)
		}
		if !strings.Contains(stderr, "usage: umkmbot") {
			t.Errorf("umkmbot %s: no usage on stderr:\n%s", strings.Join(args, " "), stderr)
		}
	}
	if err, _, _ := runArgs(env, "", "training", "close", "99"); exitCode(err) != 1 {
		t.Fatalf("closing a training that does not exist: exit %d (%v), want 1", exitCode(err), err)
	}
}

func TestVersion(t *testing.T) {
	err, out, _ := runArgs(nil, "", "version")
	if err != nil || !regexp.MustCompile(`(?m)^umkmbot \S+\ncommit  \S+.*\nbuilt   \S+\ngo      go1`).MatchString(out) {
		t.Fatalf("version = %q, %v", out, err)
	}
	version, commit, buildTime = "v1.2.3", "abc1234", "2026-12-01T02:00:00Z"
	defer func() { version, commit, buildTime = "", "", "" }()
	if _, out, _ := runArgs(nil, "", "version"); !strings.Contains(out, "umkmbot v1.2.3\ncommit  abc1234") || !strings.Contains(out, "built   2026-12-01T02:00:00Z") {
		t.Fatalf("version with -ldflags values = %q", out)
	}
}

// TestSecretFiles: a NAME_FILE that is set but unreadable or empty stops
// every command naming it; before, serve, broadcast list and export ran on
// the embedded store with an unreadable REDIS_URL_FILE and exited 0.
func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"REDIS_URL_FILE": missing}, []string{"serve"}, "REDIS_URL_FILE=" + missing + " cannot be read"},
		{map[string]string{"REDIS_URL_FILE": missing}, []string{"broadcast", "list"}, "REDIS_URL_FILE"},
		{map[string]string{"REDIS_URL_FILE": missing}, []string{"export", "registrations"}, "REDIS_URL_FILE"},
		{map[string]string{"REDIS_URL_FILE": empty}, []string{"export", "registrations"}, "REDIS_URL_FILE=" + empty + " is empty"},
		{map[string]string{"REDIS_URL_FILE": empty, "REDIS_URL": "redis://x"}, []string{"config", "check"}, "REDIS_URL and REDIS_URL_FILE are both set"},
		{map[string]string{"TELEGRAM_BOT_TOKEN_FILE": missing}, []string{"serve"}, "TELEGRAM_BOT_TOKEN_FILE=" + missing + " cannot be read"},
		{map[string]string{"REDIS_PASSWORD_FILE": missing, "REDIS_CLUSTER_ADDRS": "127.0.0.1:1"}, []string{"chat"}, "REDIS_PASSWORD_FILE"},
		{map[string]string{"WHATSAPP_DB_DSN_FILE": missing}, []string{"whatsapp", "status"}, "WHATSAPP_DB_DSN_FILE"},
		{map[string]string{"TELEGRAM_WEBHOOK_SECRET_FILE": empty}, []string{"config", "check"}, "TELEGRAM_WEBHOOK_SECRET_FILE"},
	} {
		tc.env["DATA_DIR"] = filepath.Join(dir, "data")
		err, out, _ := runArgs(tc.env, "", tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != 1 {
			t.Errorf("%v umkmbot %s: err = %v, out %q; want exit 1 naming %q", tc.env, strings.Join(tc.args, " "), err, out, tc.want)
		}
		if strings.Contains(fmtErr(err), "no channel is enabled") {
			t.Errorf("a missing secret reported as no channel enabled: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a command with a bad secret file opened the embedded store (%v)", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestSecretNamesCoverSecretCalls: every setting read with secret() is in
// secretNames, so that loadConfig checks its NAME_FILE before anything
// starts.
func TestSecretNamesCoverSecretCalls(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`secret\(getenv, "([A-Z0-9_]+)"\)`)
	found := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			found++
			if !slices.Contains(secretNames, m[1]) {
				t.Errorf("%s reads %s with secret() but it is not in secretNames", f, m[1])
			}
		}
	}
	if found < 4 {
		t.Fatalf("found only %d secret() calls: the pattern is stale", found)
	}
}

// TestConfigCheck prints the effective configuration with every secret
// redacted, whether it came from the environment or a file.
func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte("123456:AAHsecretTOKENvalue_x\n"), 0o600)
	env := map[string]string{
		"REDIS_URL": "redis://app:s3cretpass@redis:6379/0", "TELEGRAM_BOT_TOKEN_FILE": tokenFile,
		"WHATSAPP_DB_DSN": "postgres://wa:dbpass99@db/wa", "ADMIN_WHATSAPP_NUMBERS": "081234567890",
		"STATE_TTL": "48h", "REGION": "bekasi",
	}
	err, out, _ := runArgs(env, "", "config", "check")
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cretpass", "AAHsecretTOKENvalue_x", "dbpass99", "81234567890"} {
		if strings.Contains(out, secret) {
			t.Errorf("config check shows %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"redis://app:xxxxx@redis:6379/0", "STATE_TTL                    48h0m0s", "REGION                       bekasi",
		"from " + tokenFile, "telegram                     on, long polling", "postgres://wa:xxxxx@db/wa", "RESUME_AFTER                 1h0m0s"} {
		if !strings.Contains(out, want) {
			t.Errorf("config check lacks %q:\n%s", want, out)
		}
	}
	if err, _, _ := runArgs(map[string]string{"STATE_TTL": "soon"}, "", "config", "check"); err == nil || !strings.Contains(err.Error(), "STATE_TTL") {
		t.Fatalf("a bad value passed config check: %v", err)
	}
}

// TestTrainingScheduleErrors: the README's example with a deadline in the
// past was accepted silently (the training then hidden from owners but
// "open" in the list); an end before the start said "start is required".
// Each wrong time is named with the reason.
func TestTrainingScheduleErrors(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	now := time.Now().In(bot.Jakarta)
	day := now.AddDate(0, 0, 10).Format("2006-01-02")
	past := now.AddDate(0, 0, -1).Format("2006-01-02 15:04")
	add := func(extra ...string) []string {
		return append([]string{"training", "add", "--title", "Kemasan", "--topic", "kemasan", "--capacity", "10", "--place", "Aula"}, extra...)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{add("--start", day+" 09:00", "--end", day+" 12:00", "--deadline", past), "--deadline " + past + " has already passed"},
		{add("--start", day+" 09:00", "--end", day+" 12:00", "--deadline", day+" 10:00"), "--deadline " + day + " 10:00 is after the start " + day + " 09:00"},
		{add("--start", day+" 09:00", "--end", day+" 08:00"), "--end " + day + " 08:00 is not after the start " + day + " 09:00"},
		{add("--start", past, "--end", now.AddDate(0, 0, 1).Format("2006-01-02 15:04")), "--start " + past + " has already passed"},
		{add("--end", day+" 12:00"), "--start is required"},
		{add("--start", "besok", "--end", day+" 12:00"), `--start: "besok" is not a WIB time`},
	} {
		err, _, _ := runArgs(env, "", tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("umkmbot %s: err = %v\nwant %q", strings.Join(tc.args, " "), err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "start is required and") {
			t.Errorf("the store's generic message instead of the CLI's: %v", err)
		}
	}
	if list := umkmbot(t, env, "", "training", "list", "--all"); strings.Count(list, "\n") != 1 {
		t.Fatalf("a refused training was stored:\n%s", list)
	}
	umkmbot(t, env, "", "training", "add", "--title", "Kemasan", "--topic", "kemasan", "--capacity", "10", "--place", "Aula",
		"--start", day+" 09:00", "--end", day+" 12:00", "--deadline", now.AddDate(0, 0, 9).Format("2006-01-02")+" 17:00")
	if err, _, _ := runArgs(env, "", "training", "edit", "1", "--start", now.AddDate(0, 0, 8).Format("2006-01-02")+" 09:00", "--end", now.AddDate(0, 0, 8).Format("2006-01-02")+" 12:00"); err == nil || !strings.Contains(err.Error(), "is after the start") {
		t.Fatalf("moving the start before the deadline: %v", err)
	}
}

// TestCheckinCodeErrors: six letters that are not in the attendance
// alphabet were called "not an attendance code (6 letters/digits)"; the
// message now says which characters codes never contain, and a well-formed
// code that is not the training's says so.
func TestCheckinCodeErrors(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	day := time.Now().In(bot.Jakarta).AddDate(0, 0, 10).Format("2006-01-02")
	umkmbot(t, env, "", "training", "add", "--title", "Kemasan", "--topic", "kemasan", "--capacity", "10", "--place", "Aula",
		"--start", day+" 09:00", "--end", day+" 12:00")
	for _, tc := range []struct{ code, want string }{
		{"zzzzzz", `"zzzzzz" is not a valid attendance code: codes never contain 'Z'`},
		{"b0o1s5", `codes never contain 'B', '0', 'O', '1', 'S', '5'`},
		{"ACE", "it has 3 characters; a code has 6"},
		{"ACEFGH", "code ACEFGH is not an attendance code of training 1"},
	} {
		err, _, _ := runArgs(env, "", "training", "checkin", "1", tc.code)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("checkin %s: err = %v\nwant %q", tc.code, err, tc.want)
		}
	}
	if err, _, _ := runArgs(env, "", "training", "checkin", "4", "ACEFGH"); err == nil || !strings.Contains(err.Error(), "training 4") {
		t.Errorf("checkin to a training that does not exist: %v", err)
	}
}

// TestCurationSetStatusByNumber: an application is named by its number as
// trainings are; a missing application is reported as missing before the
// note a rejection needs.
func TestCurationSetStatusByNumber(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	if err, _, _ := runArgs(env, "", "curation", "set-status", "7", "ditolak"); err == nil || !strings.Contains(err.Error(), "KUR-3214-000007 not found") {
		t.Fatalf("rejecting an application that does not exist: %v", err)
	}
	rdb, _ := redistest.Client(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	app := &umkm.Application{Region: "32.14", Target: "menong", TargetName: "Galeri Menong", Status: umkm.StatusSubmitted,
		RegistrationID: "UMKM-3214-000001", Conv: bot.Conversation{Channel: bot.Console, User: "demo"}, Products: []string{"Keripik"}}
	if err := s.SubmitApplication(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	if app.ID != "KUR-3214-000001" {
		t.Fatalf("application id %s", app.ID)
	}
	if err, _, _ := runArgs(env, "", "curation", "set-status", "1", "ditolak"); err == nil || !strings.Contains(err.Error(), "ditolak needs --note") {
		t.Fatalf("rejecting without a note: %v", err)
	}
	if out := umkmbot(t, env, "", "curation", "set-status", "1", "ditinjau"); !strings.Contains(out, "KUR-3214-000001: ditinjau") {
		t.Fatalf("set-status 1 said %q", out)
	}
	if out := umkmbot(t, env, "", "curation", "set-status", "kur-3214-000001", "diterima"); !strings.Contains(out, "KUR-3214-000001: diterima") {
		t.Fatalf("set-status by the listed id said %q", out)
	}
}

// TestBroadcastListAudience: create previewed "recipients: 1" while list
// showed AUDIENCE 0, because the store counts the audience only when
// delivery starts; list now counts a broadcast that has not started.
func TestBroadcastListAudience(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	umkmbot(t, env, registration, "chat")
	text := filepath.Join(t.TempDir(), "siaran.txt")
	os.WriteFile(text, []byte("Pelatihan kemasan 1 Desember di aula DKUPP."), 0o644)
	created := umkmbot(t, env, "", "broadcast", "create", "--text-file", text, "--kecamatan", "Plered", "--at", "2030-12-01 09:00")
	if !strings.Contains(created, "recipients: 1 ") {
		t.Fatalf("create said:\n%s", created)
	}
	list := umkmbot(t, env, "", "broadcast", "list")
	if !regexp.MustCompile(`(?m)^1 +scheduled +2030-12-01 09:00 +1\* +0 +Pelatihan`).MatchString(list) || !strings.Contains(list, "* not started") {
		t.Fatalf("list does not show the audience of 1:\n%s", list)
	}
}

// TestChatAsOwner: the terminal chat is an admin (siaran composes a
// broadcast) unless --as-owner, which shows an owner's view (the menu).
func TestChatAsOwner(t *testing.T) {
	if out := umkmbot(t, map[string]string{"DATA_DIR": t.TempDir()}, "siaran\n", "chat"); !strings.Contains(out, "Tulis isi siaran") {
		t.Fatalf("admin chat, siaran:\n%s", out)
	}
	out := umkmbot(t, map[string]string{"DATA_DIR": t.TempDir()}, "siaran\n", "chat", "--as-owner")
	if strings.Contains(out, "Tulis isi siaran") || !strings.Contains(out, "1. Daftar UMKM") {
		t.Fatalf("owner chat, siaran:\n%s", out)
	}
}

// TestHeldEmbeddedStore: next to a process that holds the embedded store
// (a running chat), a command that reads works without trying to reload
// the outlets (that stalled 5 s on an i/o timeout), and one that writes
// stops at once with a clear message instead of "ERR read-only".
func TestHeldEmbeddedStore(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DATA_DIR": dir}
	umkmbot(t, env, registration, "chat")
	holder, err := store.OpenEmbedded(store.EmbeddedOptions{Dir: dir, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	err, out, stderr := runArgs(env, "", "export", "registrations")
	if err != nil || strings.Count(out, "\n") != 2 || strings.Contains(stderr, "outlets not reloaded") {
		t.Fatalf("export next to a holder: %v\n%s\nstderr:\n%s", err, out, stderr)
	}
	day := time.Now().In(bot.Jakarta).AddDate(0, 0, 10).Format("2006-01-02")
	for _, args := range [][]string{
		{"training", "add", "--title", "K", "--topic", "kemasan", "--capacity", "1", "--place", "A", "--start", day + " 09:00", "--end", day + " 12:00"},
		{"chat"},
		{"serve"},
		{"curation", "set-status", "1", "ditinjau"},
	} {
		err, _, _ := runArgs(env, "", args...)
		if err == nil || !strings.Contains(err.Error(), "is using the embedded store in "+dir) {
			t.Errorf("umkmbot %s next to a holder: %v", strings.Join(args, " "), err)
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestRedisPasswordWithURL: REDIS_PASSWORD (from a secret file, as the
// compose file does) goes into a REDIS_URL without credentials; both
// places at once is refused.
func TestRedisPasswordWithURL(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("p@ss word\n"), 0o600)
	get := func(env map[string]string) func(string) string { return func(k string) string { return env[k] } }
	cfg, err := loadConfig(get(map[string]string{"REDIS_URL": "redis://redis:6379/0", "REDIS_PASSWORD_FILE": pw}))
	if err != nil || cfg.Redis.URL != "redis://:p%40ss%20word@redis:6379/0" {
		t.Fatalf("URL = %q, %v", cfg.Redis.URL, err)
	}
	if _, err := loadConfig(get(map[string]string{"REDIS_URL": "redis://:a@redis:6379/0", "REDIS_PASSWORD": "b"})); err == nil {
		t.Fatal("a password in the URL and in REDIS_PASSWORD accepted")
	}
	// The URL with the password reaches a real Redis that requires it.
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("no redis-server on PATH")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	srv := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--requirepass", "p@ss word", "--save", "", "--appendonly", "no")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx := context.Background()
	url := "redis://127.0.0.1:" + port + "/0"
	if _, err := store.Connect(ctx, url); err == nil {
		t.Fatal("the test Redis takes clients without the password")
	}
	cfg, err = loadConfig(get(map[string]string{"REDIS_URL": url, "REDIS_PASSWORD_FILE": pw}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := store.Open(ctx, cfg.Redis)
	if err != nil {
		t.Fatalf("connect with REDIS_PASSWORD_FILE: %v", err)
	}
	c.Close()
}
