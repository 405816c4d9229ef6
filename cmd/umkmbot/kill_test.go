package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot/telegram/telegramtest"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// serveChildEnv makes the test binary run "umkmbot serve" instead of the
// tests (see init): the kill test starts it as a separate process.
const serveChildEnv = "UMKMBOT_TEST_SERVE_CHILD"

func init() {
	if os.Getenv(serveChildEnv) != "1" {
		return
	}
	ctx, stop := signalContext()
	defer stop()
	if err := run(ctx, []string{"serve"}, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "umkmbot:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func signalContext() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background()) // the test kills with SIGKILL only
}

// The registration a simulated person walks, with what the bot's reply
// to each line must say.
var killScript = []struct{ say, want string }{
	{"daftar", `(?i)setuju`}, {"1", `(?i)nama lengkap`}, {"Budi Santoso", `(?i)NIK`},
	{"3214 0155 0390 %04d", `(?i)(tercatat|nomor HP)`}, {"0812%08d", `(?i)nama usaha`}, {"Warung Budi", `(?i)bidang`},
	{"1", `(?i)kecamatan`}, {"plered", `(?i)desa`}, {"Anjun", `(?i)alamat`}, {"Jl. Raya Anjun No. 5", `(?i)produk utama`},
	{"keripik singkong", `(?i)modal`}, {"1", `(?i)omzet`}, {"1", `(?i)bekerja`}, {"3", `(?i)NIB`}, {"lewati", `(?i)marketplace`},
	{"1,2", `(?i)periksa data`}, {"ya", `UMKM-3214-\d{6}`},
}

// TestServeKilled runs serve as a separate process against a fake Bot API
// and a real Redis with AOF, kills it with SIGKILL six times while 100
// people register (each taking 20 ms to answer) and starts it again each
// time, and once kills Redis (SIGKILL) too and restarts it from its AOF:
// every person finishes, and the registrations are exact (one number
// each, no number twice).
func TestServeKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills serve processes")
	}
	srv := redistest.NewDurableServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	const prefix = "kill"
	const token = "555000111:AAkill_test_token"
	tg := telegramtest.New(token)
	defer tg.Close()
	dataDir := t.TempDir()
	env := append(os.Environ(), serveChildEnv+"=1", "TELEGRAM_BOT_TOKEN="+token, "TELEGRAM_API_URL="+tg.URL,
		"REDIS_URL="+srv.URL(), "REDIS_PREFIX="+prefix, "DATA_DIR="+dataDir, "LOG_LEVEL=error",
		"TELEGRAM_RATE_PER_SECOND=100000", "TELEGRAM_RATE_PER_CHAT=100000", "OUTBOX_RESEND_AFTER=300ms",
		"DATA_KEY="+testDataKey) // the child runs serve from init, before TestMain sets testDataKey

	var mu sync.Mutex
	var child *exec.Cmd
	start := func() {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = env
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		child = cmd
		mu.Unlock()
	}
	kill := func() {
		mu.Lock()
		defer mu.Unlock()
		if child != nil {
			child.Process.Kill()
			child.Wait()
			child = nil
		}
	}
	start()
	defer kill()

	const users = 100
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	failed := make(chan string, users)
	for u := 1; u <= users; u++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := walkUser(ctx, tg, u); err != nil {
				failed <- err.Error()
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	kills := 0
	for kills < 6 {
		select {
		case <-done:
		case <-time.After(150 * time.Millisecond):
		}
		if isClosed(done) {
			break
		}
		kill()
		kills++
		if kills == 3 {
			srv.Stop() // Redis dies too; serve starts while it is down
			start()
			time.Sleep(300 * time.Millisecond)
			srv.Start()
			continue
		}
		start()
	}
	<-done
	close(failed)
	for f := range failed {
		t.Error(f)
	}
	if kills < 3 {
		t.Fatalf("only %d kills before everyone finished; the test proves little", kills)
	}
	s := store.New(rdb, store.Options{Prefix: prefix})
	seen := map[string]bool{}
	if err := s.EachRegistration(context.Background(), "32.14", func(r *umkm.Registration) error {
		if seen[r.ID] {
			t.Errorf("number %s issued twice", r.ID)
		}
		seen[r.ID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != users {
		t.Fatalf("%d registrations after %d kills, want %d", len(seen), kills, users)
	}
	t.Logf("%d people registered through %d kills of serve", users, kills)
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// walkUser takes person u through the registration: each line is sent after
// the reply to the previous one arrived (a repeated reply is fine).
func walkUser(ctx context.Context, tg *telegramtest.Server, u int) error {
	user := telegramtest.User{ID: int64(900000 + u), Name: fmt.Sprint("Budi", u)}
	from := 0
	for i, step := range killScript {
		text := step.say
		if i == 3 || i == 4 {
			text = fmt.Sprintf(step.say, u)
		}
		time.Sleep(20 * time.Millisecond) // typing
		tg.Text(user, text)
		want := regexp.MustCompile(step.want)
		for found := false; !found; {
			sent, err := tg.WaitSent(ctx, user.ID, from+1)
			if err != nil {
				return fmt.Errorf("person %d, line %d (%q): no reply matching %s: %v", u, i, text, step.want, err)
			}
			for ; from < len(sent); from++ {
				if want.MatchString(sent[from].Text) {
					found = true
				}
			}
		}
	}
	return nil
}
