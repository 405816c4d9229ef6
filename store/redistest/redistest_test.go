package redistest_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/store/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }

func TestRedistestClientsGetTheirOwnPrefix(t *testing.T) {
	switch redistest.Kind() {
	case redistest.KindRedisServer, redistest.KindRedisURL, redistest.KindEmbedded:
	default:
		t.Fatalf("Kind() = %q", redistest.Kind())
	}
	if !strings.HasPrefix(redistest.URL(), "redis") {
		t.Errorf("URL() = %q", redistest.URL())
	}
	_, p1 := redistest.Client(t)
	_, p2 := redistest.Client(t)
	if p1 == "" || p2 == "" || p1 == p2 {
		t.Errorf("prefixes %q and %q, want two different non-empty ones", p1, p2)
	}
}

func TestRedistestClientSetGet(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	key := prefix + ":{c:console:demo}:state"
	if err := rdb.Set(ctx, key, "halo", time.Minute).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got, err := rdb.Get(ctx, key).Result(); err != nil || got != "halo" {
		t.Errorf("GET = %q, %v; want halo", got, err)
	}
	// A second client, as a second process would have, sees the same data.
	other := redistest.ClientWithPrefix(t, prefix)
	if other == rdb {
		t.Fatal("ClientWithPrefix returned the same client")
	}
	if got, err := other.Get(ctx, key).Result(); err != nil || got != "halo" {
		t.Errorf("GET from the second client = %q, %v; want halo", got, err)
	}
	if ttl := other.TTL(ctx, key).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("TTL = %v, want up to 1m", ttl)
	}
}

// fastFail makes a client that fails at once while the server is down,
// instead of go-redis's retries.
func fastFail(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:               addr,
		MaxRetries:         -1,
		DialTimeout:        200 * time.Millisecond,
		DialerRetries:      1,
		DialerRetryTimeout: time.Millisecond,
	})
}

func TestRedistestServerStopAndStart(t *testing.T) {
	ctx := context.Background()
	s := redistest.NewServer(t)
	rdb := fastFail(s.Addr())
	defer rdb.Close()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET on a running server: %v", err)
	}

	s.Stop()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err == nil {
		t.Fatal("SET succeeded on a stopped server")
	}
	s.Stop() // a second Stop does nothing

	s.Start()
	if s.Addr() != rdb.Options().Addr {
		t.Fatalf("Addr changed across Stop/Start: %s, was %s", s.Addr(), rdb.Options().Addr)
	}
	// The same client recovers once its dead connections are dropped.
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if err = rdb.Set(ctx, "k2", "v2", 0).Err(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("SET after Start on the same client: %v", err)
	}
	fresh := fastFail(s.Addr())
	defer fresh.Close()
	if got, err := fresh.Get(ctx, "k2").Result(); err != nil || got != "v2" {
		t.Errorf("GET k2 on a fresh client = %q, %v; want v2", got, err)
	}
	// No persistence: what was written before the Stop is gone.
	if err := fresh.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("GET k after restart: err = %v, want redis.Nil", err)
	}
}

// TestRedistestRunPolicy runs this test binary again without redis-server on
// PATH: it falls back to the embedded store and says so, except under CI=true.
func TestRedistestRunPolicy(t *testing.T) {
	if os.Getenv("REDISTEST_CHILD") != "" {
		t.Skip("child process")
	}
	for _, tc := range []struct {
		name       string
		ci         string
		wantFail   bool
		wantStderr string
	}{
		{"falls back to embedded", "", false, "using the embedded store"},
		{"CI must be real", "true", true, "CI=true needs a real Redis"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRedistestClientSetGet$", "-test.count=1")
			cmd.Env = append(cleanEnv(), "PATH="+t.TempDir(), "CI="+tc.ci, "REDISTEST_CHILD=1",
				"GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0") // -race waits 1s at exit by default
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if failed := err != nil; failed != tc.wantFail {
				t.Errorf("child failed = %v (%v), want %v; stderr:\n%s", failed, err, tc.wantFail, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tc.wantStderr)
			}
		})
	}
}

// cleanEnv is the environment without PATH, CI, REDIS_URL and GORACE.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k != "PATH" && k != "CI" && k != "REDIS_URL" && k != "GORACE" && k != "REDISTEST_EMBEDDED" {
			env = append(env, kv)
		}
	}
	return env
}
