// Command umkmload measures umkmbot over Telegram: it starts a Bot API
// server on loopback and N simulated users who register their businesses
// concurrently, driving the real Telegram adapter, dispatcher, engine,
// flows and Redis store, and prints turns per second and the p50/p99 turn
// latency (from the user's message entering the Bot API server to the
// bot's last reply of that turn arriving there).
//
//	umkmload -users 1000 -turns 6
//
// Redis: -redis or REDIS_URL; otherwise a redis-server on PATH is started
// on a free loopback port; otherwise the embedded store is used.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/telegram"
	"github.com/umkmbot/umkmbot/bot/telegram/telegramtest"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/locales"
	"github.com/umkmbot/umkmbot/store"
)

const token = "100200300:AAload_test_token"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "umkmload:", err)
		os.Exit(1)
	}
}

type options struct {
	users, turns         int
	redisURL             string
	ratePerChat, rateAll float64
	think, timeout       time.Duration
	cpuprofile           string
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("umkmload", flag.ContinueOnError)
	var o options
	fs.IntVar(&o.users, "users", 100, "concurrent simulated users (at most 9998)")
	fs.IntVar(&o.turns, "turns", 0, "turns per user (0: the whole registration, 18 turns)")
	fs.StringVar(&o.redisURL, "redis", os.Getenv("REDIS_URL"), "Redis URL (default: REDIS_URL, else a redis-server it starts, else the embedded store)")
	fs.Float64Var(&o.ratePerChat, "rate-per-chat", 0, "adapter's per-chat send limit (0: unlimited; Telegram's is about 1/s)")
	fs.Float64Var(&o.rateAll, "rate", 0, "adapter's global send limit (0: unlimited; Telegram's is about 30/s)")
	fs.DurationVar(&o.think, "think", 0, "mean pause of each user between a reply and their next message (uniform in 0.5-1.5x; users also start spread over it); 0: back to back, a saturation test")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the run to this file")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.users < 1 || o.users > 9998 {
		return fmt.Errorf("-users must be 1..9998 (each needs its own NIK)")
	}
	script := registration(0)
	if o.turns <= 0 || o.turns > len(script) {
		o.turns = len(script)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	url, kind, closeRedis, err := openRedis(ctx, o.redisURL)
	if err != nil {
		return err
	}
	defer closeRedis()
	rdb, err := store.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer rdb.Close()
	prefix := "load" + strconv.FormatInt(time.Now().UnixNano(), 36)
	st := store.New(rdb, store.Options{Prefix: prefix})
	defer cleanup(rdb, prefix)

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cat, err := bot.NewCatalog(locales.FS, log)
	if err != nil {
		return err
	}
	region, err := flows.LoadRegion("purwakarta")
	if err != nil {
		return err
	}
	tg := telegramtest.New(token)
	defer tg.Close()
	outbox := bot.NewOutbox(cat, st, "id", log)
	reg, err := flows.New(flows.Deps{Region: region, Registrations: st, Notifier: outbox})
	if err != nil {
		return err
	}
	eng := bot.NewEngine(bot.EngineConfig{DefaultLang: "id"}, reg, st, st, cat, log)
	disp := bot.NewDispatcher(bot.DispatcherConfig{Owner: "load"}, st, eng, outbox, cat, "id", log)
	unlimited := func(r float64) float64 {
		if r <= 0 {
			return -1
		}
		return r
	}
	adapter, err := telegram.New(ctx, telegram.Config{Token: token, APIURL: tg.URL, PollTimeout: time.Second,
		RatePerChat: unlimited(o.ratePerChat), RatePerSecond: unlimited(o.rateAll), Log: log})
	if err != nil {
		return err
	}
	outbox.Register(bot.Telegram, adapter)

	runCtx, stopBot := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); disp.Run(runCtx) }()
	go func() { defer wg.Done(); adapter.Run(runCtx, disp) }()
	defer func() { stopBot(); wg.Wait() }()

	// One user first, alone, to learn how many replies each turn gets.
	counts, err := learn(ctx, tg, disp, script[:o.turns])
	if err != nil {
		return fmt.Errorf("warm-up user: %w", err)
	}

	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	lat := make([][]time.Duration, o.users)
	errs := make([]error, o.users)
	start := time.Now()
	var users sync.WaitGroup
	for i := range o.users {
		users.Add(1)
		go func() {
			defer users.Done()
			lat[i], errs[i] = simulate(ctx, tg, i+1, registration(i + 1)[:o.turns], counts, o.think)
		}()
	}
	users.Wait()
	elapsed := time.Since(start)

	var all []time.Duration
	failed := 0
	for i := range lat {
		all = append(all, lat[i]...)
		if errs[i] != nil {
			failed++
			if failed == 1 {
				fmt.Fprintln(os.Stderr, "first failure:", errs[i])
			}
		}
	}
	slices.Sort(all)
	fmt.Fprintf(out, "machine: %d cores (%s/%s), store: %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, kind)
	fmt.Fprintf(out, "users %d, turns %d (%d per user), failed users %d, elapsed %v\n", o.users, len(all), o.turns, failed, elapsed.Round(time.Millisecond))
	if len(all) > 0 {
		fmt.Fprintf(out, "throughput %.0f turns/s, latency p50 %v, p99 %v, max %v\n",
			float64(len(all))/elapsed.Seconds(), pct(all, 50), pct(all, 99), all[len(all)-1].Round(time.Microsecond))
	}
	if failed > 0 {
		return fmt.Errorf("%d users did not finish", failed)
	}
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	i = min(max(i-1, 0), len(sorted)-1)
	return sorted[i].Round(time.Microsecond)
}

// registration is what user n types to register, one message a turn.
func registration(n int) []string {
	return []string{"/start", "/daftar", "1", "Siti Aminah", fmt.Sprintf("321401550390%04d", n+1),
		"0812 3456 7890", "Keripik Singkong Bu Siti", "1", "plered", "Desa Anjun", "Jl. Raya Anjun No. 5",
		"keripik singkong", "1", "1", "3", "lewati", "belum", "ya"}
}

func userOf(n int) telegramtest.User {
	return telegramtest.User{ID: int64(10_000_000 + n), Name: "Pengguna " + strconv.Itoa(n), Lang: "id"}
}

// learn runs user 0 alone and counts the replies of each turn.
func learn(ctx context.Context, tg *telegramtest.Server, disp *bot.Dispatcher, script []string) ([]int, error) {
	u := userOf(0)
	var counts []int
	seen := 0
	for _, text := range script {
		tg.Text(u, text)
		if _, err := tg.WaitSent(ctx, u.ID, seen+1); err != nil {
			return nil, err
		}
		if err := disp.Idle(ctx); err != nil {
			return nil, err
		}
		n := len(tg.Sent(u.ID))
		counts = append(counts, n-seen)
		seen = n
	}
	return counts, nil
}

// simulate runs one user through the script and returns each turn's
// latency: from the message entering the server to the turn's last reply.
func simulate(ctx context.Context, tg *telegramtest.Server, n int, script []string, counts []int, think time.Duration) ([]time.Duration, error) {
	u := userOf(n)
	var lat []time.Duration
	seen := 0
	pause := func(d time.Duration) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	}
	if think > 0 { // people do not all start at the same instant
		if err := pause(rand.N(think)); err != nil {
			return lat, err
		}
	}
	for i, text := range script {
		t0 := time.Now()
		tg.Text(u, text)
		seen += counts[i]
		got, err := tg.WaitSent(ctx, u.ID, seen)
		if err != nil {
			return lat, fmt.Errorf("user %d turn %d (%q): %w", n, i+1, text, err)
		}
		lat = append(lat, got[seen-1].At.Sub(t0))
		if think > 0 {
			if err := pause(think/2 + rand.N(think)); err != nil {
				return lat, err
			}
		}
	}
	return lat, nil
}

// openRedis returns a Redis URL: the given one, a redis-server started on
// a free loopback port, or the embedded store.
func openRedis(ctx context.Context, url string) (string, string, func(), error) {
	if url != "" {
		return url, "redis at " + url, func() {}, nil
	}
	if path, err := exec.LookPath("redis-server"); err == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", "", nil, err
		}
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
		dir, err := os.MkdirTemp("", "umkmload")
		if err != nil {
			return "", "", nil, err
		}
		cmd := exec.Command(path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
		if err := cmd.Start(); err != nil {
			os.RemoveAll(dir)
			return "", "", nil, fmt.Errorf("start redis-server: %w", err)
		}
		stop := func() { cmd.Process.Kill(); cmd.Wait(); os.RemoveAll(dir) }
		url := "redis://127.0.0.1:" + port + "/0"
		for i := 0; ; i++ {
			c, err := store.Connect(ctx, url)
			if err == nil {
				c.Close()
				break
			}
			if i == 50 {
				stop()
				return "", "", nil, err
			}
			time.Sleep(100 * time.Millisecond)
		}
		return url, "redis-server (started by umkmload)", stop, nil
	}
	dir, err := os.MkdirTemp("", "umkmload")
	if err != nil {
		return "", "", nil, err
	}
	emb, err := store.OpenEmbedded(store.EmbeddedOptions{Dir: dir})
	if err != nil {
		return "", "", nil, err
	}
	return emb.URL(), "embedded store (miniredis)", func() { emb.Close(); os.RemoveAll(dir) }, nil
}

// cleanup deletes the run's keys, so a shared Redis keeps nothing.
func cleanup(rdb redis.UniversalClient, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	it := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
	var keys []string
	for it.Next(ctx) {
		keys = append(keys, it.Val())
		if len(keys) == 1000 {
			rdb.Del(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		rdb.Del(ctx, keys...)
	}
}
