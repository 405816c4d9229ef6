// Package embedded is umkmbot's zero-setup store: miniredis, a
// Redis-compatible server written in Go, run inside the process and reached
// with the ordinary go-redis client over a loopback socket. One code path
// (the same commands, Lua scripts, streams and geo) serves both modes; this
// package adds what miniredis lacks for that job: data that is on disk before
// a command's reply goes out, and survives kill -9.
//
// Files in the data directory:
//
//   - redis-journal.<n>: every command that changed data, fsync'd before its
//     reply is sent (see journal.go and server.go). Concurrent writers share
//     an fsync (group commit).
//   - redis-snapshot.json: all data as of the start of journal <n>, written
//     atomically (temp file, fsync, rename, fsync of the directory) when the
//     journal grows past Options.CompactBytes or holds writes older than
//     Options.CompactAfter, and at Close; older journals are then removed.
//   - LOCK: held (flock) by the one process that writes; it names that
//     process.
//
// Opening loads the snapshot and replays the journals after it; a torn last
// record (a crash mid-write) is detected by its length and checksum and
// ignored. Then the state is compacted into a new snapshot.
//
// What the snapshot keeps, and what not:
//
//   - Database 0 only, the one the URL points to.
//   - Strings, hashes, lists, sets, sorted sets (geo indexes are sorted sets)
//     and streams, each with its absolute expiry time: a key that expired
//     while the program was stopped is not loaded.
//   - Stream entries are kept; consumer groups, pending entries and the
//     stream's last generated id are not (neither does the journal replay
//     them). Code that reads streams with XREADGROUP must create its group at
//     start (XGROUP CREATE ... MKSTREAM, ignoring BUSYGROUP), as it must
//     against a fresh Redis. A stream that has no entries left is not kept.
//   - Hash field TTLs (HEXPIRE) and HyperLogLogs are not kept; a key of a type
//     the snapshot cannot keep is skipped with a warning.
//   - The values are stored as they are: a personal-data policy that wants no
//     clear NIK on disk must encrypt them before they reach the store (this
//     applies to the journal as much as to the snapshot).
//   - TTLs run on the wall clock in steps of 100ms (see runClock).
//
// A second process (say `umkmbot export` while `umkmbot chat` runs) opens the
// store read-only: it loads the snapshot and the journal as they are on disk
// (the writer's last acknowledged write included), never writes, and its
// server refuses write commands at once with an error naming the process that
// holds the directory.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
	"github.com/redis/go-redis/v9"
)

const (
	// SnapshotFile is the name of the snapshot file in the data directory.
	SnapshotFile = "redis-snapshot.json"
	// LockFile is the name of the lock file in the data directory.
	LockFile = "LOCK"

	embSnapshotVersion  = 2
	defaultEvery        = 2 * time.Second
	defaultCompactBytes = 16 << 20
	defaultCompactAfter = time.Minute
	snapshotTimeout     = time.Minute
	clockStep           = 100 * time.Millisecond
)

// ErrClosed is returned by Snapshot after Close.
var ErrClosed = errors.New("embedded store is closed")

// Options configures Open.
type Options struct {
	Dir          string        // data directory, created if missing
	Every        time.Duration // how often Run checks whether to compact (default 2s)
	CompactBytes int64         // journal size that starts a compaction (default 16 MiB)
	CompactAfter time.Duration // age of the oldest write not in the snapshot that starts one (default 1 min)
	Logger       *slog.Logger
}

// DB is an in-process Redis-compatible server whose data is kept in a
// directory.
type DB struct {
	m        *miniredis.Miniredis
	srv      *server.Server
	rdb      *redis.Client // reads snapshots over an in-memory connection
	l        net.Listener
	addr     string
	dir      string
	path     string
	opts     Options
	log      *slog.Logger
	lock     *os.File // holds the flock; nil when read-only
	readOnly bool
	holder   string // the process that holds the lock, as it wrote itself in
	roMsg    string // the error a read-only store answers writes with

	wmu     sync.RWMutex // write lock: writes, clock ticks, snapshot reads; read lock: reads
	cur     atomic.Pointer[writeCtx]
	clock   int64         // TTL clock, Unix ns; under wmu
	changed chan struct{} // closed and replaced at each journaled write; under wmu
	j       *journal      // nil when read-only

	stop   chan struct{} // closed by Close
	wg     sync.WaitGroup
	connMu sync.Mutex
	conns  map[net.Conn]struct{} // nil once closing

	mu      sync.Mutex // serialises compactions and Close
	closed  bool
	snapSeq uint64    // last journal record in the snapshot
	snapAt  time.Time // when the snapshot was written (or the store opened)
}

// Open starts the store on 127.0.0.1:0 with the data of Dir. Data it cannot
// read (a snapshot, a journal that is not one) fails Open: the store never
// starts empty over data it could not load. If another process holds
// Dir/LOCK the store is read-only (see ReadOnly).
func Open(opts Options) (*DB, error) {
	if opts.Dir == "" {
		return nil, errors.New("open embedded store: no data directory")
	}
	if opts.Every <= 0 {
		opts.Every = defaultEvery
	}
	if opts.CompactBytes <= 0 {
		opts.CompactBytes = defaultCompactBytes
	}
	if opts.CompactAfter <= 0 {
		opts.CompactAfter = defaultCompactAfter
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	d := &DB{
		dir:     opts.Dir,
		path:    filepath.Join(opts.Dir, SnapshotFile),
		opts:    opts,
		log:     opts.Logger.With("component", "embedded-redis", "dir", opts.Dir),
		changed: make(chan struct{}),
		stop:    make(chan struct{}),
		conns:   map[net.Conn]struct{}{},
		snapAt:  time.Now(),
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("open embedded store: create data directory: %w", err)
	}
	if err := d.takeLock(); err != nil {
		return nil, err
	}
	if err := d.start(); err != nil {
		if d.j != nil {
			d.j.close()
		}
		if d.m != nil {
			d.m.Close()
		}
		d.releaseLock()
		return nil, err
	}
	return d, nil
}

func (d *DB) start() error {
	next, replayed, old, err := d.load()
	if err != nil {
		return err
	}
	d.srv.SetPreHook(d.hook)
	d.rdb = redis.NewClient(&redis.Options{
		Addr:            "miniredis",
		Dialer:          func(context.Context, string, string) (net.Conn, error) { return d.m.Dial() },
		Protocol:        2,
		DisableIdentity: true,
		PoolSize:        1,
		MaxRetries:      -1,
		ReadTimeout:     snapshotTimeout,
		WriteTimeout:    snapshotTimeout,
	})
	if !d.readOnly {
		if d.j, err = createJournal(d.dir, next); err != nil {
			return fmt.Errorf("open embedded store: %w", err)
		}
		if replayed > 0 {
			// Fold what was replayed into a snapshot: the next start is
			// quick, and a torn tail is gone for good.
			d.j.appended = 1 // something to snapshot
			if err := d.compactLocked(); err != nil {
				return fmt.Errorf("open embedded store: %w", err)
			}
		}
		for _, n := range old {
			if n < next {
				os.Remove(journalName(d.dir, n))
			}
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("open embedded store: listen: %w", err)
	}
	d.l, d.addr = l, l.Addr().String()
	d.wg.Add(2)
	go d.serve(l)
	go d.runClock()
	if d.readOnly {
		d.log.Warn("another process holds the data directory: the embedded store is read-only",
			"lock", filepath.Join(d.dir, LockFile), "holder", d.holder)
	}
	d.log.Info("embedded redis started", "addr", d.addr, "read_only", d.readOnly)
	return nil
}

// runClock makes TTLs run on the wall clock, in steps of clockStep: a key
// lives up to one step more or less than its TTL. The clock moves under the
// write lock and each journal record carries it, so a replay expires keys
// at the same point between writes. (miniredis's ClockTTL mode would be
// exact, but it sorts every key before each command.)
func (d *DB) runClock() {
	defer d.wg.Done()
	t := time.NewTicker(clockStep)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			d.wmu.Lock()
			if now := time.Now().UnixNano(); now > d.clock { // not back when the wall clock is set back
				d.m.FastForward(time.Duration(now - d.clock))
				d.clock = now
			}
			d.wmu.Unlock()
		}
	}
}

// Addr returns the server's host:port.
func (d *DB) Addr() string { return d.addr }

// URL returns redis://host:port/0, for store.Connect.
func (d *DB) URL() string { return "redis://" + d.addr + "/0" }

// ReadOnly reports whether another process holds the data directory. A
// read-only store serves the data on disk at open (the writer's journal
// included), answers write commands with an error at once and never writes;
// a program that must write (chat) should refuse to run.
func (d *DB) ReadOnly() bool { return d.readOnly }

// Holder names the process that holds the data directory ("umkmbot chat,
// pid 1234") when the store is read-only.
func (d *DB) Holder() string { return d.holder }

// JournalStats returns the journal's counters (zero when read-only).
func (d *DB) JournalStats() JournalStats {
	if d.j == nil {
		return JournalStats{}
	}
	_, _, s := d.j.state()
	return s
}

// stopServing marks d closed, stops the clock, the listener and every
// connection, and waits for their goroutines (d.mu held).
func (d *DB) stopServing() {
	d.closed = true
	close(d.stop)
	d.l.Close()
	d.connMu.Lock()
	for c := range d.conns {
		c.Close()
	}
	d.conns = nil
	d.connMu.Unlock()
	d.wg.Wait()
}

// Close compacts, stops the server and releases the lock. The server is
// stopped even when the compaction fails (the journal still holds every
// write); that error is returned. Calling Close again does nothing.
func (d *DB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	err := d.compactLocked()
	d.stopServing()
	if d.j != nil {
		empty := d.j.last() == d.snapSeq
		num, _, _ := d.j.state()
		if jerr := d.j.close(); err == nil {
			err = jerr
		}
		if err == nil && empty && d.snapSeq > 0 {
			os.Remove(journalName(d.dir, num)) // nothing in it: the snapshot is all
		}
	}
	d.rdb.Close()
	d.m.Close()
	d.releaseLock()
	if err != nil {
		return fmt.Errorf("close embedded store: %w", err)
	}
	return nil
}
