package store

// The embedded store: when no REDIS_URL is configured, umkmbot runs miniredis,
// a Redis-compatible server written in Go, inside its own process and talks to
// it with the ordinary go-redis client. One code path (the same commands, Lua
// scripts, streams and geo) serves both modes; this file only adds what
// miniredis lacks for that job: data that survives a restart.
//
// The data is kept in <Dir>/redis-snapshot.json, rewritten atomically every
// few seconds when it changed and once more on Close. What is kept, and what
// is not:
//
//   - Database 0 only, the one URL points to.
//   - Strings, hashes, lists, sets, sorted sets (geo indexes are sorted sets)
//     and streams, each with its remaining time to live, stored as an absolute
//     expiry: a key that expired while the program was stopped is not loaded.
//   - Stream entries are kept; consumer groups, pending entries and the
//     stream's last generated id are not. Code that reads streams with
//     XREADGROUP must create its group at start (XGROUP CREATE ... MKSTREAM,
//     ignoring BUSYGROUP), as it must against a fresh Redis. A stream that has
//     no entries left is not kept either.
//   - Hash field TTLs (HEXPIRE) and HyperLogLogs are not kept; a key of a type
//     the snapshot cannot keep is skipped with a warning.
//   - The snapshot is read by one Lua script, which miniredis runs atomically,
//     so it is a point-in-time copy: never half of a MULTI or a script.
//   - TTLs run on the wall clock in steps of 100ms (see runClock).
//
// Only one process writes the directory: it holds an exclusive flock on
// <Dir>/LOCK. A second process (say `umkmbot export` while `umkmbot chat`
// runs) opens the store read-only: it loads the snapshot, never writes it, and
// its server refuses write commands, so nothing is silently lost.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
	"github.com/redis/go-redis/v9"
)

const (
	// EmbeddedSnapshotFile is the name of the snapshot file in the data directory.
	EmbeddedSnapshotFile = "redis-snapshot.json"
	// EmbeddedLockFile is the name of the lock file in the data directory.
	EmbeddedLockFile = "LOCK"

	embSnapshotVersion = 1
	embDefaultEvery    = 2 * time.Second
	embSnapshotTimeout = time.Minute
	embClockStep       = 100 * time.Millisecond
)

// ErrEmbeddedClosed is returned by Snapshot after Close.
var ErrEmbeddedClosed = errors.New("embedded store is closed")

// Embedded is an in-process Redis-compatible server whose data is kept in a file.
type Embedded struct {
	m        *miniredis.Miniredis
	rdb      *redis.Client // reads snapshots over an in-memory connection
	addr     string
	dir      string
	path     string
	every    time.Duration
	log      *slog.Logger
	lock     *os.File // holds the flock; nil when read-only
	readOnly bool

	clockStop chan struct{} // closed by Close to stop runClock
	clockDone chan struct{} // closed when runClock has returned

	mu      sync.Mutex // serialises snapshots and Close
	closed  bool
	lastSum [sha256.Size]byte // fingerprint of the data last written or loaded
	haveSum bool
	seen    int       // miniredis's command count after the last read; -1 before it
	seenAt  time.Time // when the last read ended
	quiet   bool      // no command can have changed the data since it was written
}

// EmbeddedOptions configures OpenEmbedded.
type EmbeddedOptions struct {
	Dir    string        // data directory, created if missing
	Every  time.Duration // snapshot interval (default 2s); 0 → default
	Logger *slog.Logger
}

// OpenEmbedded starts miniredis on 127.0.0.1:0 and loads Dir/redis-snapshot.json
// if present. A snapshot that cannot be read fails OpenEmbedded: the store
// never starts empty over data it could not load. If another process holds
// Dir/LOCK the store is read-only (see ReadOnly).
func OpenEmbedded(opts EmbeddedOptions) (*Embedded, error) {
	if opts.Dir == "" {
		return nil, errors.New("open embedded store: no data directory")
	}
	if opts.Every <= 0 {
		opts.Every = embDefaultEvery
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Embedded{
		dir:   opts.Dir,
		path:  filepath.Join(opts.Dir, EmbeddedSnapshotFile),
		every: opts.Every,
		seen:  -1,
		log:   opts.Logger.With("component", "embedded-redis", "dir", opts.Dir),
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("open embedded store: create data directory: %w", err)
	}
	if err := e.takeLock(); err != nil {
		return nil, err
	}

	e.m = miniredis.NewMiniRedis()
	if err := e.load(); err != nil {
		e.releaseLock()
		return nil, err
	}
	if err := e.m.StartAddr("127.0.0.1:0"); err != nil {
		e.releaseLock()
		return nil, fmt.Errorf("open embedded store: start server: %w", err)
	}
	e.addr = e.m.Addr()
	if e.readOnly {
		e.m.Server().SetPreHook(embRefuseWrites(e.m, filepath.Join(e.dir, EmbeddedLockFile)))
		e.log.Warn("another process holds the data directory: the embedded store is read-only and changes will not be saved",
			"lock", filepath.Join(e.dir, EmbeddedLockFile))
	}
	e.rdb = redis.NewClient(&redis.Options{
		Addr:            "miniredis",
		Dialer:          func(context.Context, string, string) (net.Conn, error) { return e.m.Dial() },
		Protocol:        2,
		DisableIdentity: true,
		PoolSize:        1,
		MaxRetries:      -1,
		ReadTimeout:     embSnapshotTimeout,
		WriteTimeout:    embSnapshotTimeout,
	})
	e.clockStop, e.clockDone = make(chan struct{}), make(chan struct{})
	go e.runClock()
	e.log.Info("embedded redis started", "addr", e.Addr(), "read_only", e.readOnly)
	return e, nil
}

// runClock makes TTLs run on the wall clock, in steps of embClockStep: a
// key lives up to one step more or less than its TTL. miniredis moves TTLs
// only when told to. Its ClockTTL mode would do it exactly, but it sorts
// every key before each command, which makes each command O(n log n) and the
// snapshot script quadratic (a second at a thousand keys).
func (e *Embedded) runClock() {
	defer close(e.clockDone)
	t := time.NewTicker(embClockStep)
	defer t.Stop()
	last := time.Now().Round(0) // wall clock, like Redis's expiry times
	for {
		select {
		case <-e.clockStop:
			return
		case <-t.C:
			now := time.Now().Round(0)
			if d := now.Sub(last); d > 0 {
				e.m.FastForward(d)
			}
			last = now // also after the wall clock was set back
		}
	}
}

// Addr returns the server's host:port.
func (e *Embedded) Addr() string { return e.addr }

// URL returns redis://host:port/0, for store.Connect.
func (e *Embedded) URL() string { return "redis://" + e.addr + "/0" }

// ReadOnly reports whether another process holds the data directory. A
// read-only store serves the data of the snapshot as it was at open (the
// writer saves every few seconds), answers write commands with an error and
// never writes the snapshot; a program that must write (chat) should refuse
// to run.
func (e *Embedded) ReadOnly() bool { return e.readOnly }

// FastForward moves every TTL forward by d, for tests.
func (e *Embedded) FastForward(d time.Duration) { e.m.FastForward(d) }

// Snapshot writes the snapshot now if the data changed since the last one
// (temp file, fsync, rename). It does nothing when the store is read-only.
func (e *Embedded) Snapshot() error { return e.snapshot(true) }

func (e *Embedded) snapshot(force bool) error {
	if e.readOnly {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrEmbeddedClosed
	}
	return e.snapshotLocked(force)
}

// Run takes a snapshot every interval until ctx is done, then a final one.
// A failed periodic snapshot is logged and retried at the next tick; Run
// returns nil on cancellation, or the error of the final snapshot.
func (e *Embedded) Run(ctx context.Context) error {
	if e.readOnly {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(e.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := e.Snapshot(); err != nil && !errors.Is(err, ErrEmbeddedClosed) {
				return fmt.Errorf("final snapshot: %w", err)
			}
			return nil
		case <-t.C:
			if err := e.snapshot(false); err != nil {
				if errors.Is(err, ErrEmbeddedClosed) {
					return nil
				}
				e.log.Error("snapshot failed; will retry", "file", e.path, "err", err)
			}
		}
	}
}

// Close takes a final snapshot, stops the server and releases the lock. The
// server is stopped even when the snapshot fails; that error is returned.
// Calling Close again does nothing.
func (e *Embedded) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	var err error
	if !e.readOnly {
		err = e.snapshotLocked(true)
	}
	e.closed = true
	close(e.clockStop)
	<-e.clockDone
	e.rdb.Close()
	e.m.Close()
	e.releaseLock()
	if err != nil {
		return fmt.Errorf("close embedded store: final snapshot: %w", err)
	}
	return nil
}

func (e *Embedded) takeLock() error {
	name := filepath.Join(e.dir, EmbeddedLockFile)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open embedded store: lock %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			e.readOnly = true
			return nil
		}
		return fmt.Errorf("open embedded store: lock %s: %w", name, err)
	}
	e.lock = f
	// Temp files of a snapshot interrupted by a crash; the lock makes them ours.
	stale, _ := filepath.Glob(filepath.Join(e.dir, EmbeddedSnapshotFile+".*.tmp"))
	for _, s := range stale {
		os.Remove(s)
	}
	return nil
}

func (e *Embedded) releaseLock() {
	if e.lock != nil {
		e.lock.Close() // closing the descriptor drops the flock
		e.lock = nil
	}
}

// embRefuseWrites answers every command that may change data with an error.
// It sees the commands inside MULTI and Lua scripts too, as miniredis
// dispatches those through the same hook. The error is not "READONLY",
// which go-redis would retry.
func embRefuseWrites(m *miniredis.Miniredis, lock string) server.Hook {
	msg := "ERR read-only: another process holds " + lock
	return func(c *server.Peer, cmd string, _ ...string) bool {
		if m.IsReadOnlyCommand(cmd) || embHarmless[cmd] {
			return false
		}
		c.WriteError(msg)
		return true
	}
}

// embHarmless are the commands that do not change data but are not marked
// read-only by miniredis.
var embHarmless = map[string]bool{
	"AUTH": true, "CLIENT": true, "CLUSTER": true, "COMMAND": true, "DISCARD": true,
	"ECHO": true, "EVAL": true, "EVALSHA": true, "EXEC": true, "HELLO": true,
	"INFO": true, "MEMORY": true, "MULTI": true, "OBJECT": true, "PING": true,
	"PSUBSCRIBE": true, "PUBLISH": true, "PUBSUB": true, "PUNSUBSCRIBE": true,
	"QUIT": true, "SCRIPT": true, "SELECT": true, "SUBSCRIBE": true, "TIME": true,
	"UNSUBSCRIBE": true, "UNWATCH": true, "WAIT": true, "WATCH": true,
}

// The snapshot file.

type embFile struct {
	Version int       `json:"version"`
	SavedAt time.Time `json:"saved_at"`
	Keys    []embKey  `json:"keys"`
}

// embKey is one key. Exactly the field of its type is set.
type embKey struct {
	Key       embString      `json:"key"`
	Type      string         `json:"type"`
	ExpiresAt time.Time      `json:"expires_at,omitzero"`
	String    *embString     `json:"string,omitempty"`
	Hash      [][2]embString `json:"hash,omitempty"` // field, value; by field
	List      []embString    `json:"list,omitempty"`
	Set       []embString    `json:"set,omitempty"`    // sorted
	ZSet      []embZMember   `json:"zset,omitempty"`   // by score, then member
	Stream    []embEntry     `json:"stream,omitempty"` // oldest first
}

type embZMember struct {
	Member embString `json:"member"`
	Score  string    `json:"score"` // strconv 'g' -1: exact, and "+Inf"/"-Inf" fit
}

type embEntry struct {
	ID     string      `json:"id"`
	Values []embString `json:"values"` // field, value, field, value, ...
}

// embString is a Redis string: a JSON string when it is valid UTF-8 (the
// file stays readable), else {"base64": "..."} (it stays exact).
type embString string

func (s embString) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(s)) {
		return json.Marshal(string(s))
	}
	return json.Marshal(struct {
		B64 string `json:"base64"`
	}{base64.StdEncoding.EncodeToString([]byte(s))})
}

func (s *embString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = embString(v)
		return nil
	}
	var v struct {
		B64 *string `json:"base64"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.B64 == nil {
		return errors.New(`want a string or {"base64": ...}`)
	}
	raw, err := base64.StdEncoding.DecodeString(*v.B64)
	if err != nil {
		return err
	}
	*s = embString(raw)
	return nil
}

// embFingerprint identifies the data. Expiry counts to the second: the same
// TTL read twice can differ by a millisecond, and that is no change.
func embFingerprint(keys []embKey) [sha256.Size]byte {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, k := range keys {
		if !k.ExpiresAt.IsZero() {
			k.ExpiresAt = k.ExpiresAt.Round(time.Second)
		}
		enc.Encode(k) // writes to a hash cannot fail
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// Loading.

func (e *Embedded) load() error {
	data, err := os.ReadFile(e.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load snapshot %s: %w", e.path, err)
	}
	keys, expired, err := embLoad(e.m, data, time.Now())
	if err != nil {
		return fmt.Errorf("load snapshot %s: %w (the store will not start over data it cannot read: repair the file or move it away)", e.path, err)
	}
	if expired == 0 {
		e.lastSum, e.haveSum = embFingerprint(keys), true
	}
	e.log.Info("snapshot loaded", "file", e.path, "keys", len(keys)-expired, "expired", expired)
	return nil
}

// embLoad decodes a snapshot into m, which must be empty. It returns the
// decoded keys and how many of them had expired and were left out. Errors
// name keys by position: key names carry phone numbers.
func embLoad(m *miniredis.Miniredis, data []byte, now time.Time) ([]embKey, int, error) {
	var f embFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, 0, err
	}
	if f.Version != embSnapshotVersion {
		return nil, 0, fmt.Errorf("unsupported snapshot version %d (this program reads version %d)", f.Version, embSnapshotVersion)
	}
	expired := 0
	for i, k := range f.Keys {
		var ttl time.Duration
		if !k.ExpiresAt.IsZero() {
			if ttl = k.ExpiresAt.Sub(now); ttl <= 0 {
				expired++
				continue
			}
		}
		if err := embRestore(m, k); err != nil {
			return nil, 0, fmt.Errorf("key #%d (%s): %w", i+1, k.Type, err)
		}
		if ttl > 0 {
			m.SetTTL(string(k.Key), ttl)
		}
	}
	return f.Keys, expired, nil
}

func embRestore(m *miniredis.Miniredis, k embKey) error {
	key := string(k.Key)
	if m.Exists(key) {
		return errors.New("appears twice")
	}
	n := 0
	switch k.Type {
	case "string":
		if k.String == nil {
			return errors.New("no value")
		}
		return m.Set(key, string(*k.String))
	case "hash":
		fv := make([]string, 0, 2*len(k.Hash))
		for _, p := range k.Hash {
			fv = append(fv, string(p[0]), string(p[1]))
		}
		n = len(k.Hash)
		if n > 0 {
			m.HSet(key, fv...)
		}
	case "list":
		n = len(k.List)
		if n > 0 {
			if _, err := m.Push(key, embStrings(k.List)...); err != nil {
				return err
			}
		}
	case "set":
		n = len(k.Set)
		if n > 0 {
			if _, err := m.SetAdd(key, embStrings(k.Set)...); err != nil {
				return err
			}
		}
	case "zset":
		n = len(k.ZSet)
		for _, z := range k.ZSet {
			score, err := strconv.ParseFloat(z.Score, 64)
			if err != nil {
				return fmt.Errorf("score: %w", err)
			}
			if _, err := m.ZAdd(key, score, string(z.Member)); err != nil {
				return err
			}
		}
	case "stream":
		n = len(k.Stream)
		for _, en := range k.Stream {
			if len(en.Values) == 0 || len(en.Values)%2 != 0 {
				return fmt.Errorf("entry %s: want field, value pairs", en.ID)
			}
			if _, err := m.XAdd(key, en.ID, embStrings(en.Values)); err != nil {
				return fmt.Errorf("entry %s: %w", en.ID, err)
			}
		}
	default:
		return fmt.Errorf("unknown type %q", k.Type)
	}
	if n == 0 {
		return errors.New("no elements")
	}
	return nil
}

func embStrings(s []embString) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return out
}

// Saving.

// embSnapshotScript reads database 0 in one go: miniredis runs a script under
// its lock, so no command runs halfway through. Each key is
// {name, type, pttl, value}.
// It returns {calls, keys}: calls counts its redis.call()s, for the idle check
// in snapshotLocked.
const embSnapshotScript = `
local calls = 0
local function call(...)
  calls = calls + 1
  return redis.call(...)
end
local out = {}
for _, k in ipairs(call('KEYS', '*')) do
  local t = call('TYPE', k)['ok']
  local v = {}
  if t == 'string' then v = {call('GET', k)}
  elseif t == 'hash' then v = call('HGETALL', k)
  elseif t == 'list' then v = call('LRANGE', k, 0, -1)
  elseif t == 'set' then v = call('SMEMBERS', k)
  elseif t == 'zset' then v = call('ZRANGE', k, 0, -1, 'WITHSCORES')
  elseif t == 'stream' then v = call('XRANGE', k, '-', '+')
  end
  out[#out+1] = {k, t, call('PTTL', k), v}
end
return {calls, out}`

// snapshotLocked reads the data and writes it if it changed.
//
// Reading costs about 40ms per thousand keys, under the server's lock, so a
// periodic snapshot (force false) first checks that a command ran at all.
// miniredis counts every command it dispatches, the ones inside scripts
// included, but counts it before the command waits for the lock: a command
// counted just before a read may run just after it. So the data is "quiet"
// only after a read during which no other command was counted and before
// which none was counted since the previous read ended, at least half an
// interval earlier; until the count moves again, periodic snapshots skip
// the read. Any doubt (an error, a count that does not add up) means "read
// again", and Close always reads.
func (e *Embedded) snapshotLocked(force bool) error {
	start := e.m.CommandCount()
	if !force && e.quiet && start == e.seen {
		return nil
	}
	e.quiet = false
	ctx, cancel := context.WithTimeout(context.Background(), embSnapshotTimeout)
	defer cancel()
	now := time.Now()
	settled := start == e.seen && now.Sub(e.seenAt) >= e.every/2
	res, err := e.rdb.Eval(ctx, embSnapshotScript, nil).Slice()
	if err != nil {
		return fmt.Errorf("read data: %w", err)
	}
	end := e.m.CommandCount()
	var calls int64
	var rows []any
	if len(res) == 2 {
		calls, _ = res[0].(int64)
		rows, _ = res[1].([]any)
	}
	quiet := settled && int64(end-start) == 1+calls // 1: the EVAL itself
	e.seen, e.seenAt = end, time.Now()
	keys, skipped, err := embDecode(rows, now)
	if err != nil {
		return fmt.Errorf("read data: %w", err)
	}
	sum := embFingerprint(keys)
	if e.haveSum && sum == e.lastSum {
		e.quiet = quiet
		return nil
	}
	data, err := embEncode(embFile{Version: embSnapshotVersion, SavedAt: now.UTC(), Keys: keys})
	if err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	if err := embWriteFile(e.path, data); err != nil {
		return err
	}
	e.lastSum, e.haveSum = sum, true
	e.quiet = quiet
	if len(skipped) > 0 {
		e.log.Warn("snapshot left out keys it cannot keep", "types", skipped)
	}
	return nil
}

// embDecode turns the script's reply into keys, sorted by name. skipped
// counts the keys left out, by type.
func embDecode(res []any, now time.Time) (keys []embKey, skipped map[string]int, err error) {
	for _, r := range res {
		row, ok := r.([]any)
		if !ok || len(row) != 4 {
			return nil, nil, fmt.Errorf("unexpected reply %T", r)
		}
		name, _ := row[0].(string)
		typ, _ := row[1].(string)
		pttl, _ := row[2].(int64)
		vals, _ := row[3].([]any)
		k := embKey{Key: embString(name), Type: typ}
		if pttl > 0 {
			k.ExpiresAt = time.UnixMilli(now.UnixMilli() + pttl).UTC()
		}
		ok, err := embDecodeValue(&k, vals)
		if err != nil {
			return nil, nil, fmt.Errorf("%s key: %w", typ, err)
		}
		if !ok {
			if skipped == nil {
				skipped = map[string]int{}
			}
			if typ == "stream" {
				typ = "empty stream"
			}
			skipped[typ]++
			continue
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b embKey) int { return strings.Compare(string(a.Key), string(b.Key)) })
	return keys, skipped, nil
}

// embDecodeValue fills the field of k's type; false means the key cannot be kept.
func embDecodeValue(k *embKey, vals []any) (bool, error) {
	// strs reads a flat reply of strings; pairs asks for an even length.
	strs := func(pairs bool) ([]embString, error) {
		if pairs && len(vals)%2 != 0 {
			return nil, fmt.Errorf("odd reply length %d", len(vals))
		}
		out := make([]embString, len(vals))
		for i, v := range vals {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("unexpected element %T", v)
			}
			out[i] = embString(s)
		}
		return out, nil
	}
	switch k.Type {
	case "string":
		s, err := strs(false)
		if err != nil {
			return false, err
		}
		if len(s) != 1 {
			return false, fmt.Errorf("want 1 value, got %d", len(s))
		}
		k.String = &s[0]
	case "list":
		s, err := strs(false)
		if err != nil {
			return false, err
		}
		k.List = s
	case "set":
		s, err := strs(false)
		if err != nil {
			return false, err
		}
		slices.Sort(s)
		k.Set = s
	case "hash":
		s, err := strs(true)
		if err != nil {
			return false, err
		}
		for i := 0; i < len(s); i += 2 {
			k.Hash = append(k.Hash, [2]embString{s[i], s[i+1]})
		}
		slices.SortFunc(k.Hash, func(a, b [2]embString) int { return strings.Compare(string(a[0]), string(b[0])) })
	case "zset":
		s, err := strs(true)
		if err != nil {
			return false, err
		}
		for i := 0; i < len(s); i += 2 {
			f, err := strconv.ParseFloat(string(s[i+1]), 64)
			if err != nil {
				return false, fmt.Errorf("score: %w", err)
			}
			k.ZSet = append(k.ZSet, embZMember{Member: s[i], Score: strconv.FormatFloat(f, 'g', -1, 64)})
		}
	case "stream":
		for _, v := range vals {
			en, ok := v.([]any)
			if !ok || len(en) != 2 {
				return false, fmt.Errorf("unexpected entry %T", v)
			}
			id, _ := en[0].(string)
			fv, _ := en[1].([]any)
			entry := embEntry{ID: id}
			for _, x := range fv {
				s, ok := x.(string)
				if !ok {
					return false, fmt.Errorf("unexpected entry value %T", x)
				}
				entry.Values = append(entry.Values, embString(s))
			}
			k.Stream = append(k.Stream, entry)
		}
		return len(k.Stream) > 0, nil
	default:
		return false, nil
	}
	return true, nil
}

// embEncode writes f as JSON with one key per line: readable, and a diff of
// two snapshots shows the keys that changed.
func embEncode(f embFile) ([]byte, error) {
	savedAt, err := json.Marshal(f.SavedAt)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\"version\": %d,\n\"saved_at\": %s,\n\"keys\": [", f.Version, savedAt)
	for i, k := range f.Keys {
		line, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		b.Write(line)
	}
	b.WriteString("\n]}\n")
	return b.Bytes(), nil
}

// embWriteFile replaces name with data atomically: a reader sees the old file
// or the new one, and after a crash the new one is complete or absent.
func embWriteFile(name string, data []byte) error {
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, filepath.Base(name)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write snapshot %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write snapshot %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write snapshot %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	// Make the rename itself durable.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
