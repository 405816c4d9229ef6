package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// TestReplayIsExact crashes after commands whose effect depends on time,
// scripts, transactions and blocking pops, and finds after the replay the
// same data, with the same absolute expiry times, as before the crash.
func TestReplayIsExact(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := open(t, dir)
	rdb := client(t, d)

	must(t, rdb.Set(ctx, "plain", "halo", 0).Err())
	must(t, rdb.Set(ctx, "px", "sebentar", time.Minute).Err())
	must(t, rdb.ExpireAt(ctx, "plain", time.Now().Add(time.Hour)).Err())
	must(t, rdb.Incr(ctx, "seq").Err())
	must(t, rdb.HSet(ctx, "h", "a", "1", "b", "2").Err())
	must(t, rdb.GeoAdd(ctx, "geo", &redis.GeoLocation{Name: "menong", Longitude: 107.44, Latitude: -6.55}).Err())
	id1, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []string{"k", "v"}}).Result()
	must(t, err)

	// A script: TIME and XADD * inside; replay must not run it again.
	script := redis.NewScript(`
local t = redis.call('TIME')
local v = t[1] .. '.' .. t[2]
redis.call('SET', KEYS[1], v, 'PX', 90000)
local id = redis.call('XADD', KEYS[2], '*', 'at', v)
redis.call('HINCRBY', KEYS[3], 'n', 1)
return {v, id}`)
	got, err := script.Run(ctx, rdb, []string{"time", "s", "h"}).StringSlice()
	must(t, err)

	// A transaction with a script inside, and one aborted by WATCH.
	_, err = rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, "geo")
		script.Run(ctx, p, []string{"time2", "s", "h"})
		p.RPush(ctx, "list", "a", "b", "c")
		return nil
	})
	must(t, err)
	other := client(t, d)
	err = rdb.Watch(ctx, func(tx *redis.Tx) error {
		must(t, other.Set(ctx, "watched", "changed", 0).Err())
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "aborted", "must not exist", 0)
			return nil
		})
		return err
	}, "watched")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("WATCH: err = %v, want TxFailedErr", err)
	}

	// Blocking pops: one waits until another client pushes.
	popped := make(chan []string, 1)
	go func() {
		v, err := rdb.BLPop(ctx, 10*time.Second, "queue").Result()
		if err != nil {
			v = []string{err.Error()}
		}
		popped <- v
	}()
	time.Sleep(50 * time.Millisecond)
	must(t, other.RPush(ctx, "queue", "one", "two").Err())
	if v := <-popped; !cmp.Equal(v, []string{"queue", "one"}) {
		t.Fatalf("BLPOP = %q", v)
	}
	if v, err := rdb.BLMove(ctx, "list", "moved", "RIGHT", "LEFT", time.Second).Result(); err != nil || v != "c" {
		t.Fatalf("BLMOVE = %q, %v", v, err)
	}
	if _, err := rdb.BLPop(ctx, time.Second, "empty").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("BLPOP on an empty list: err = %v, want redis.Nil", err)
	}

	// Expiry decides SET NX: after the first key expired (wall clock), the
	// second SET NX succeeds; before, it fails.
	must(t, rdb.Set(ctx, "lease", "first", 100*time.Millisecond).Err())
	must(t, rdb.Set(ctx, "held", "first", 1500*time.Millisecond).Err())
	heldUntil := time.Now().Add(1500 * time.Millisecond)
	time.Sleep(400 * time.Millisecond)
	if ok, _ := rdb.SetNX(ctx, "lease", "second", time.Minute).Result(); !ok {
		t.Fatal("SET NX over an expired key failed")
	}
	if ok, _ := rdb.SetNX(ctx, "held", "second", time.Minute).Result(); ok {
		t.Fatal("SET NX over a live key succeeded")
	}

	if n, _ := rdb.SPop(ctx, "anything").Result(); n != "" {
		t.Fatal("SPOP was not refused")
	}
	before := dump(t, d, time.Time{})
	d.crash()
	time.Sleep(time.Until(heldUntil) + 200*time.Millisecond) // "held" expires while the program is down

	d2 := open(t, dir)
	rdb2 := client(t, d2)
	after := dump(t, d2, time.Time{})
	d2.wmu.Lock()
	clock := time.Unix(0, d2.clock)
	d2.wmu.Unlock()
	if diff := cmp.Diff(dump(t, d2, clock), after); diff != "" {
		t.Fatalf("keys past their expiry were loaded:\n%s", diff)
	}
	// What was live before the crash and is still live now, exactly.
	var want []string
	for _, line := range before {
		var k embKey
		json.Unmarshal([]byte(line), &k)
		if k.ExpiresAt.IsZero() || k.ExpiresAt.After(clock) {
			want = append(want, line)
		}
	}
	if diff := cmp.Diff(want, after); diff != "" {
		t.Errorf("data after replay differs from before the crash (-before +after):\n%s", diff)
	}
	for key, want := range map[string]string{"time": got[0], "lease": "second", "plain": "halo"} {
		if v, err := rdb2.Get(ctx, key).Result(); err != nil || v != want {
			t.Errorf("GET %s = %q, %v; want %q", key, v, err, want)
		}
	}
	for _, key := range []string{"held", "aborted", "geo"} {
		if rdb2.Exists(ctx, key).Val() != 0 {
			t.Errorf("%s exists after the replay", key)
		}
	}
	ids := []string{}
	for _, m := range rdb2.XRange(ctx, "s", "-", "+").Val() {
		ids = append(ids, m.ID)
	}
	if len(ids) != 3 || ids[0] != id1 || ids[1] != got[1] {
		t.Errorf("stream ids after replay = %v, want %s, %s, …", ids, id1, got[1])
	}
}

// TestTornTailIsIgnored cuts the journal at every record boundary and at
// random offsets, and appends garbage: the store opens with exactly the
// records that are whole, and keeps working.
func TestTornTailIsIgnored(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := open(t, dir)
	rdb := client(t, d)
	const n = 12
	for i := range n {
		must(t, rdb.RPush(ctx, "l", strconv.Itoa(i)).Err())
	}
	num, _, _ := d.j.state()
	d.crash()
	name := journalName(dir, num)
	full, err := os.ReadFile(name)
	must(t, err)
	var ends []int // offsets just after each record
	decodeRecords(full[len(journalMagic):], func(record) {})
	off := len(journalMagic)
	for off < len(full) {
		sz := int(uint32(full[off]) | uint32(full[off+1])<<8 | uint32(full[off+2])<<16 | uint32(full[off+3])<<24)
		off += recordHeader + sz
		ends = append(ends, off)
	}
	if len(ends) != n {
		t.Fatalf("journal has %d records, want %d", len(ends), n)
	}
	whole := func(cut int) int { // records wholly before cut
		k := 0
		for k < len(ends) && ends[k] <= cut {
			k++
		}
		return k
	}
	rng := rand.New(rand.NewPCG(1, 2))
	cuts := []int{0, 1, len(journalMagic), len(full) - 1}
	for _, e := range ends {
		cuts = append(cuts, e-1, e, e+1, e+5)
	}
	for range 30 {
		cuts = append(cuts, rng.IntN(len(full)+1))
	}
	check := func(t *testing.T, files map[string][]byte, want int) {
		t.Helper()
		dir := t.TempDir()
		for n, b := range files {
			must(t, os.WriteFile(filepath.Join(dir, n), b, 0o600))
		}
		d, err := Open(Options{Dir: dir})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer d.Close()
		rdb := client(t, d)
		got, err := rdb.LRange(ctx, "l", 0, -1).Result()
		must(t, err)
		if len(got) != want {
			t.Fatalf("after the cut the list has %d elements, want %d", len(got), want)
		}
		for i, v := range got {
			if v != strconv.Itoa(i) {
				t.Fatalf("element %d = %q", i, v)
			}
		}
		// Still writable, and the next crash loses nothing either.
		must(t, rdb.RPush(ctx, "l", strconv.Itoa(want)).Err())
		d.crash()
		d2, err := Open(Options{Dir: dir})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer d2.Close()
		if got := client(t, d2).LLen(ctx, "l").Val(); got != int64(want+1) {
			t.Fatalf("after a write and another crash: %d elements, want %d", got, want+1)
		}
	}
	base := filepath.Base(name)
	for _, cut := range cuts {
		if cut > len(full) {
			continue
		}
		t.Run(fmt.Sprintf("cut at %d", cut), func(t *testing.T) {
			t.Parallel()
			check(t, map[string][]byte{base: full[:cut]}, whole(cut))
		})
	}
	t.Run("garbage after the last record", func(t *testing.T) {
		junk := make([]byte, 100)
		for i := range junk {
			junk[i] = byte(rng.UintN(256))
		}
		check(t, map[string][]byte{base: append(slices.Clone(full), junk...)}, n)
	})
	t.Run("zeros after the last record", func(t *testing.T) {
		check(t, map[string][]byte{base: append(slices.Clone(full), make([]byte, 4096)...)}, n)
	})
	t.Run("a flipped bit in the last record", func(t *testing.T) {
		b := slices.Clone(full)
		b[len(b)-2] ^= 0x10
		check(t, map[string][]byte{base: b}, n-1)
	})
	t.Run("not a journal", func(t *testing.T) {
		dir := t.TempDir()
		must(t, os.WriteFile(filepath.Join(dir, base), []byte("something else entirely, longer than the magic"), 0o600))
		if d, err := Open(Options{Dir: dir}); err == nil {
			d.Close()
			t.Fatal("Open accepted a file that is not a journal")
		}
	})
}

// TestAcknowledgedWritesSurviveCrash runs many writers at once, crashes in
// the middle, and finds every acknowledged write after reopening.
func TestAcknowledgedWritesSurviveCrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := open(t, dir)
	rdb := client(t, d)
	script := redis.NewScript(`redis.call('SADD', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])`)
	const writers = 32
	var acked sync.Map // member → true
	var incrs, attempts atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m := fmt.Sprintf("w%d-%d", w, i)
				attempts.Add(1)
				var err error
				if i%2 == 0 {
					err = script.Run(ctx, rdb, []string{"members", "count"}, m).Err()
				} else {
					_, err = rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.SAdd(ctx, "members", m)
						p.Incr(ctx, "count")
						return nil
					})
				}
				if err != nil {
					return // the crash
				}
				acked.Store(m, true)
				incrs.Add(1)
			}
		}()
	}
	for incrs.Load() < 2000 {
		time.Sleep(time.Millisecond)
	}
	stats := d.JournalStats()
	d.crash()
	close(stop)
	wg.Wait()
	if stats.Syncs >= stats.Records {
		t.Errorf("%d fsyncs for %d records from %d writers: no group commit", stats.Syncs, stats.Records, writers)
	}
	t.Logf("%d records, %d fsyncs (%.2f records per fsync)", stats.Records, stats.Syncs, float64(stats.Records)/float64(stats.Syncs))

	d2 := open(t, dir)
	rdb2 := client(t, d2)
	members, err := rdb2.SMembers(ctx, "members").Result()
	must(t, err)
	have := map[string]bool{}
	for _, m := range members {
		have[m] = true
	}
	lost := 0
	acked.Range(func(k, _ any) bool {
		if !have[k.(string)] {
			lost++
		}
		return true
	})
	if lost > 0 {
		t.Fatalf("%d acknowledged writes lost", lost)
	}
	count, _ := rdb2.Get(ctx, "count").Int64()
	if count != int64(len(members)) || count < incrs.Load() || count > attempts.Load() {
		t.Fatalf("count = %d, members = %d, acknowledged %d, attempted %d", count, len(members), incrs.Load(), attempts.Load())
	}
}

// TestCompactionUnderLoad compacts often while writers run; a crash after
// that loses nothing and leaves no stale journals.
func TestCompactionUnderLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := Open(Options{Dir: dir, Every: 5 * time.Millisecond, CompactBytes: 4 << 10})
	must(t, err)
	t.Cleanup(func() { d.Close() })
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	rdb := client(t, d)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 150 {
				if err := rdb.Set(ctx, fmt.Sprintf("k%d-%d", w, i), strings.Repeat("x", 50), time.Hour).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	d.crash()
	cancel()
	<-done
	snap, err := os.ReadFile(filepath.Join(dir, SnapshotFile))
	if err != nil || !bytes.Contains(snap, []byte(`"journal"`)) {
		t.Fatalf("no compaction happened: %v", err)
	}
	d2 := open(t, dir)
	if n := client(t, d2).DBSize(ctx).Val(); n != 8*150 {
		t.Fatalf("after compactions and a crash: %d keys, want %d", n, 8*150)
	}
	files, _ := journalFiles(dir)
	if len(files) != 1 {
		t.Errorf("journal files after reopening: %v, want one", files)
	}
}

// TestReadOnlySeesJournalAndRefusesAtOnce: a second process sees the
// writer's acknowledged writes (still only in its journal) and gets a clear
// error at once for a write, a transaction and a script that writes, with
// the connection still usable after each.
func TestReadOnlySeesJournalAndRefusesAtOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := open(t, dir)
	must(t, client(t, w).Set(ctx, "k", "from the journal", 0).Err())

	r := open(t, dir)
	if !r.ReadOnly() || !strings.Contains(r.Holder(), "pid") {
		t.Fatalf("ReadOnly = %v, Holder = %q", r.ReadOnly(), r.Holder())
	}
	rdb := client(t, r)
	if v, err := rdb.Get(ctx, "k").Result(); err != nil || v != "from the journal" {
		t.Fatalf("GET = %q, %v", v, err)
	}
	check := func(what string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), r.Holder()) {
			t.Errorf("%s: err = %v, want a read-only error naming %q", what, err, r.Holder())
		}
		if v, err := rdb.Get(ctx, "k").Result(); err != nil || v != "from the journal" {
			t.Errorf("after %s: GET = %q, %v", what, v, err)
		}
	}
	check("SET", rdb.Set(ctx, "k", "x", 0).Err())
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, "k")
		p.Set(ctx, "k", "x", 0)
		return nil
	})
	check("MULTI", err)
	check("EVAL", rdb.Eval(ctx, "return redis.call('SET', KEYS[1], 'x')", []string{"k"}).Err())
	check("BLPOP", rdb.BLPop(ctx, time.Second, "q").Err())
}

// TestOnlyDataChangesAreJournaled: commands that change no data (or only
// consumer groups) cost no fsync; a write does, and replays.
func TestOnlyDataChangesAreJournaled(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := open(t, dir)
	rdb := client(t, d)
	must(t, rdb.RPush(ctx, "l", "3", "1", "2").Err())
	must(t, rdb.XGroupCreateMkStream(ctx, "s", "g", "0").Err())
	before := d.JournalStats().Records
	rdb.Ping(ctx)
	rdb.Get(ctx, "l")
	rdb.LRange(ctx, "l", 0, -1)
	rdb.Do(ctx, "EXEC") // without MULTI: an error
	rdb.XInfoStream(ctx, "s")
	rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"s", ">"}, Block: -1})
	must(t, rdb.Watch(ctx, func(*redis.Tx) error { return nil }, "l"))
	rdb.Eval(ctx, "return redis.call('GET', 'x')", nil) // a script that only reads
	if got := d.JournalStats().Records; got != before {
		t.Fatalf("%d records for commands that change no data", got-before)
	}
	must(t, rdb.LMove(ctx, "l", "moved", "LEFT", "RIGHT").Err())
	if got := d.JournalStats().Records; got != before+1 {
		t.Fatalf("LMOVE: %d records, want 1", got-before)
	}
	d.crash()
	if got := client(t, open(t, dir)).LRange(ctx, "moved", 0, -1).Val(); !cmp.Equal(got, []string{"3"}) {
		t.Fatalf("moved after replay = %v", got)
	}
}
