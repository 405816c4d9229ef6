// Package redistest gives tests a real Redis.
//
// Each test package gets its own: Run, called from TestMain, uses REDIS_URL
// when it is set, else starts redis-server on a free loopback port, else
// (redis-server not on PATH) falls back to miniredis, the Redis-compatible
// server the embedded store runs, and says so on stderr. Under CI=true the
// fallback is refused: CI must test against Redis itself.
//
// REDISTEST_EMBEDDED=1 uses the embedded store even when redis-server is on
// PATH (and under CI=true), to run a package's tests on it:
//
//	REDISTEST_EMBEDDED=1 go test ./store/
//
//	func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }
//
// Each test takes its own key prefix from Client, so tests may run in
// parallel on one server. Fault tests that stop Redis and start it again use
// a dedicated Server.
//
// The fallback is the embedded store itself (store/embedded: miniredis behind
// the journaling server), in a temporary data directory.
package redistest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/store/embedded"
)

// What Kind reports.
const (
	KindRedisServer = "redis-server" // started by Run for this package
	KindRedisURL    = "REDIS_URL"    // given by the environment, maybe shared
	KindEmbedded    = "embedded"     // miniredis in this process
)

const readyTimeout = 10 * time.Second

var (
	pkgURL   string
	pkgKind  string
	pkgRunID string // set when the Redis is shared: keeps prefixes unique across processes
	prefixN  atomic.Int64
)

// Run starts the package's Redis, runs the tests, stops it, and returns the
// exit code for os.Exit. It returns 1, after saying why on stderr, when no
// Redis can be had.
//
// The redis-server child is killed when Run returns. If the test binary dies
// first (a panic in a test, a -timeout, a signal) the kernel kills it: it is
// started with Pdeathsig on Linux.
func Run(m *testing.M) int {
	stop, err := setup()
	if err != nil {
		fmt.Fprintf(os.Stderr, "redistest: %v\n", err)
		return 1
	}
	defer stop()
	return m.Run()
}

func setup() (stop func(), err error) {
	forced := os.Getenv("REDISTEST_EMBEDDED") == "1"
	if u := os.Getenv("REDIS_URL"); u != "" && !forced {
		if err := ping(u); err != nil {
			return nil, err
		}
		pkgURL, pkgKind, pkgRunID = u, KindRedisURL, randomID()
		return func() {}, nil
	}
	if _, err := exec.LookPath("redis-server"); err == nil && !forced {
		dir, err := os.MkdirTemp("", "redistest-")
		if err != nil {
			return nil, err
		}
		p, err := startFree(dir)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		pkgURL, pkgKind = "redis://"+p.addr+"/0", KindRedisServer
		return func() {
			p.kill()
			os.RemoveAll(dir)
		}, nil
	}
	if os.Getenv("CI") == "true" && !forced {
		return nil, errors.New("CI=true needs a real Redis, but redis-server is not on PATH and REDIS_URL is not set")
	}
	dir, err := os.MkdirTemp("", "redistest-embedded-")
	if err != nil {
		return nil, err
	}
	db, err := embedded.Open(embedded.Options{Dir: dir})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start the embedded fallback: %w", err)
	}
	pkgURL, pkgKind = db.URL(), KindEmbedded
	why := "redis-server is not on PATH and REDIS_URL is not set"
	if forced {
		why = "REDISTEST_EMBEDDED=1"
	}
	fmt.Fprintf(os.Stderr, "redistest: %s: using the embedded store (miniredis, journaled in %s) at %s\n", why, dir, db.Addr())
	return func() {
		s := db.JournalStats()
		fmt.Fprintf(os.Stderr, "redistest: embedded store journal: %d records, %d fsyncs, %d bytes\n", s.Records, s.Syncs, s.Bytes)
		db.Close()
		os.RemoveAll(dir)
	}, nil
}

// ping checks that the Redis at url answers. Errors name the address only:
// a URL may carry a password.
func ping(url string) error {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return fmt.Errorf("parse REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("REDIS_URL (%s) does not answer PING: %w", opt.Addr, err)
	}
	return nil
}

// URL returns the package's Redis URL. It is empty before Run.
func URL() string { return pkgURL }

// Kind reports where the package's Redis comes from: KindRedisServer,
// KindRedisURL or KindEmbedded.
func Kind() string { return pkgKind }

// Client returns a new client on the package's Redis and a key prefix no
// other test uses, such as "t42". The client is closed at t.Cleanup. On a
// shared Redis (REDIS_URL) the keys "<prefix>:*" are deleted at t.Cleanup.
func Client(t testing.TB) (*redis.Client, string) {
	t.Helper()
	prefix := "t" + strconv.FormatInt(prefixN.Add(1), 10)
	if pkgRunID != "" {
		prefix += "-" + pkgRunID
	}
	rdb := ClientWithPrefix(t, prefix)
	if pkgRunID != "" {
		t.Cleanup(func() { deleteKeys(t, rdb, prefix) })
	}
	return rdb, prefix
}

var clientNameRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// ClientWithPrefix returns another, independent client for a test that got
// prefix from Client: two clients are two processes sharing one Redis. The
// prefix names the client's connections (CLIENT LIST shows the test); the
// client is closed at t.Cleanup.
func ClientWithPrefix(t testing.TB, prefix string) *redis.Client {
	t.Helper()
	if pkgURL == "" {
		t.Fatal("redistest: no Redis: call os.Exit(redistest.Run(m)) from TestMain")
	}
	opt, err := redis.ParseURL(pkgURL)
	if err != nil {
		t.Fatalf("redistest: parse %s URL: %v", pkgKind, err)
	}
	if clientNameRE.MatchString(prefix) {
		opt.ClientName = prefix
	}
	if opt.Protocol == 0 {
		opt.Protocol = 2 // as store.Connect's clients speak
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func deleteKeys(t testing.TB, rdb *redis.Client, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Logf("redistest: clean up %s:*: %v", prefix, err)
		return
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := rdb.Unlink(ctx, keys[:n]...).Err(); err != nil {
			t.Logf("redistest: clean up %s:*: %v", prefix, err)
			return
		}
		keys = keys[n:]
	}
}

func randomID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Server is a dedicated redis-server for fault tests: Redis going down and
// coming back on the same port. It keeps no data across Stop and Start.
type Server struct {
	t     testing.TB
	port  int
	dir   string
	extra []string // more redis-server arguments

	mu   sync.Mutex
	proc *proc // nil while stopped
}

// NewServer starts a redis-server on a free 127.0.0.1 port, stopped at
// t.Cleanup. Without redis-server on PATH it skips the test, or fails it
// under CI=true.
func NewServer(t testing.TB) *Server { t.Helper(); return newServer(t) }

// NewDurableServer is a Server that keeps its data across Stop (SIGKILL)
// and Start: an append-only file synced at every write, as a production
// Redis with AOF.
func NewDurableServer(t testing.TB) *Server {
	t.Helper()
	return newServer(t, "--appendonly", "yes", "--appendfsync", "always")
}

func newServer(t testing.TB, extra ...string) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redistest: CI=true but redis-server is not on PATH; fault tests need a real Redis")
		}
		t.Skip("redistest: redis-server is not on PATH; fault tests need a real Redis")
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	s := &Server{t: t, port: port, dir: t.TempDir(), extra: extra}
	s.Start()
	t.Cleanup(s.Stop) // runs before the TempDir is removed
	return s
}

// Addr returns 127.0.0.1:port; it stays the same across Stop and Start.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL returns redis://127.0.0.1:port/0.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Stop kills the server with SIGKILL and waits for it to exit. Stopping a
// stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p != nil {
		p.kill()
	}
}

// Start starts the server again on the same port and waits until it answers;
// it fails the test if it cannot (call it from the test's goroutine).
// Starting a running server does nothing.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return
	}
	p, err := start(s.port, s.dir, s.extra...)
	if err != nil {
		s.t.Fatalf("redistest: %v", err)
	}
	s.proc = p
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startFree starts redis-server on a free port, trying another port when
// someone took the chosen one in between.
func startFree(dir string) (*proc, error) {
	var err error
	for range 3 {
		var port int
		if port, err = freePort(); err != nil {
			return nil, err
		}
		var p *proc
		if p, err = start(port, dir); err == nil {
			return p, nil
		}
		if !strings.Contains(err.Error(), "already in use") {
			break
		}
	}
	return nil, err
}

// proc is one running redis-server.
type proc struct {
	addr string
	cmd  *exec.Cmd
	out  *SyncBuffer
	done chan struct{} // closed once the process has exited and been reaped
}

// start runs redis-server on 127.0.0.1:port without persistence and waits
// until it answers PING.
func start(port int, dir string, extra ...string) (*proc, error) {
	p := &proc{
		addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		out:  &SyncBuffer{},
		done: make(chan struct{}),
	}
	p.cmd = exec.Command("redis-server",
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no",
		"--dir", dir)
	p.cmd.Args = append(p.cmd.Args, extra...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = sysProcAttr()
	p.cmd.WaitDelay = 2 * time.Second

	// Pdeathsig fires when the OS thread that started the child exits, not
	// the process; so the goroutine that starts redis-server keeps its thread
	// locked until the child has exited. The goroutine's owner is kill, which
	// waits for done.
	started := make(chan error, 1)
	go func() {
		defer close(p.done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	if err := p.waitReady(readyTimeout); err != nil {
		p.kill()
		return nil, fmt.Errorf("redis-server on %s: %w; its output:\n%s", p.addr, err, p.out.String())
	}
	return p, nil
}

func (p *proc) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("exited before answering PING (%v)", p.cmd.ProcessState)
		default:
		}
		err := pingRaw(p.addr)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer to PING within %v: %w", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pingRaw sends PING without a client library (and its retries and logs).
func pingRaw(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// kill sends SIGKILL to the server's process group (it has its own, see
// sysProcAttr) and waits until it has exited.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	p.cmd.Process.Kill()
	<-p.done
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers: the server's
// output (written by exec's copying goroutine, read on failure), or a
// test's log sink written by many goroutines.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
