package store_test

import (
	"context"
	"errors"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/store"
)

func openEmbedded(t *testing.T, dir string) *store.Embedded {
	t.Helper()
	e, err := store.OpenEmbedded(store.EmbeddedOptions{Dir: dir})
	if err != nil {
		t.Fatalf("OpenEmbedded: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func embeddedClient(t *testing.T, e *store.Embedded) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(e.URL())
	if err != nil {
		t.Fatalf("ParseURL(%q): %v", e.URL(), err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func snapshotPath(dir string) string { return filepath.Join(dir, store.EmbeddedSnapshotFile) }

func TestEmbeddedKeepsEveryTypeAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data") // created by OpenEmbedded
	e := openEmbedded(t, dir)
	if e.ReadOnly() {
		t.Fatal("first open is read-only")
	}
	if !strings.HasPrefix(e.URL(), "redis://127.0.0.1:") || !strings.HasSuffix(e.URL(), "/0") {
		t.Errorf("URL() = %q, want redis://127.0.0.1:<port>/0", e.URL())
	}
	rdb := embeddedClient(t, e)

	const state = "umkm:{c:console:demo}:state"
	scores := map[string]float64{"a": 1.5, "b": 0.1 + 0.2, "c": -2, "d": math.Inf(1)}
	var streamIDs []string
	mustDo := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mustDo(rdb.Set(ctx, "str", "halo, UMKM", 0).Err())
	mustDo(rdb.Set(ctx, "bin", "\xff\x00\xfe", 0).Err())
	mustDo(rdb.Set(ctx, "empty", "", 0).Err())
	mustDo(rdb.Set(ctx, "ttl", "sebentar", 100*time.Second).Err())
	mustDo(rdb.HSet(ctx, state, "v", "3", "d", `{"flow":"daftar","step":"nama"}`).Err())
	mustDo(rdb.RPush(ctx, "list", "satu", "dua", "tiga", "dua").Err())
	mustDo(rdb.SAdd(ctx, "set", "x", "y", "z").Err())
	for m, s := range scores {
		mustDo(rdb.ZAdd(ctx, "zset", redis.Z{Score: s, Member: m}).Err())
	}
	for i := range 3 {
		id, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "stream", Values: []string{"n", string(rune('a' + i)), "x", "y"}}).Result()
		mustDo(err)
		streamIDs = append(streamIDs, id)
	}
	mustDo(rdb.GeoAdd(ctx, "geo",
		&redis.GeoLocation{Name: "purwakarta", Longitude: 107.4433, Latitude: -6.5569},
		&redis.GeoLocation{Name: "serang", Longitude: 106.1503, Latitude: -6.1200},
	).Err())
	before, err := rdb.GeoPos(ctx, "geo", "purwakarta", "serang").Result()
	mustDo(err)

	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if c, err := net.DialTimeout("tcp", e.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatal("server still listens after Close")
	}

	e2 := openEmbedded(t, dir)
	if e2.ReadOnly() {
		t.Fatal("reopen after Close is read-only")
	}
	rdb = embeddedClient(t, e2)

	for k, want := range map[string]string{"str": "halo, UMKM", "bin": "\xff\x00\xfe", "empty": "", "ttl": "sebentar"} {
		if got, err := rdb.Get(ctx, k).Result(); err != nil || got != want {
			t.Errorf("GET %s = %q, %v; want %q", k, got, err, want)
		}
	}
	if ttl, err := rdb.TTL(ctx, "ttl").Result(); err != nil || ttl < 90*time.Second || ttl > 100*time.Second {
		t.Errorf("TTL ttl = %v, %v; want about 100s", ttl, err)
	}
	if ttl, err := rdb.TTL(ctx, "str").Result(); err != nil || ttl != -1 {
		t.Errorf("TTL str = %v, %v; want -1 (no expiry)", ttl, err)
	}
	hash, err := rdb.HGetAll(ctx, state).Result()
	mustDo(err)
	if diff := cmp.Diff(map[string]string{"v": "3", "d": `{"flow":"daftar","step":"nama"}`}, hash); diff != "" {
		t.Errorf("HGETALL %s (-want +got):\n%s", state, diff)
	}
	list, err := rdb.LRange(ctx, "list", 0, -1).Result()
	mustDo(err)
	if diff := cmp.Diff([]string{"satu", "dua", "tiga", "dua"}, list); diff != "" {
		t.Errorf("LRANGE list (-want +got):\n%s", diff)
	}
	set, err := rdb.SMembers(ctx, "set").Result()
	mustDo(err)
	slices.Sort(set)
	if diff := cmp.Diff([]string{"x", "y", "z"}, set); diff != "" {
		t.Errorf("SMEMBERS set (-want +got):\n%s", diff)
	}
	zs, err := rdb.ZRangeWithScores(ctx, "zset", 0, -1).Result()
	mustDo(err)
	gotScores := map[string]float64{}
	for _, z := range zs {
		gotScores[z.Member.(string)] = z.Score
	}
	if diff := cmp.Diff(scores, gotScores); diff != "" {
		t.Errorf("zset scores (-want +got):\n%s", diff)
	}
	entries, err := rdb.XRange(ctx, "stream", "-", "+").Result()
	mustDo(err)
	var gotIDs []string
	for i, en := range entries {
		gotIDs = append(gotIDs, en.ID)
		if want := map[string]any{"n": string(rune('a' + i)), "x": "y"}; !cmp.Equal(want, en.Values) {
			t.Errorf("stream entry %d = %v, want %v", i, en.Values, want)
		}
	}
	if diff := cmp.Diff(streamIDs, gotIDs); diff != "" {
		t.Errorf("stream ids (-want +got):\n%s", diff)
	}
	after, err := rdb.GeoPos(ctx, "geo", "purwakarta", "serang").Result()
	mustDo(err)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("GEOPOS (-before +after):\n%s", diff)
	}
	if d, err := rdb.GeoDist(ctx, "geo", "purwakarta", "serang", "km").Result(); err != nil || d < 140 || d > 160 {
		t.Errorf("GEODIST = %v km, %v; want about 150", d, err)
	}
}

func TestEmbeddedLoadsHandWrittenSnapshot(t *testing.T) {
	dir := t.TempDir()
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	file := `{"version": 1, "keys": [
		{"key": "live", "type": "string", "expires_at": "` + future + `", "string": "ok"},
		{"key": "gone", "type": "string", "expires_at": "` + past + `", "string": "expired"},
		{"key": {"base64": "/wA="}, "type": "list", "list": [{"base64": "AAE="}, "teks"]}
	]}`
	if err := os.WriteFile(snapshotPath(dir), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	e := openEmbedded(t, dir)
	rdb := embeddedClient(t, e)
	ctx := context.Background()

	if got, err := rdb.Get(ctx, "live").Result(); err != nil || got != "ok" {
		t.Errorf("GET live = %q, %v; want ok", got, err)
	}
	if ttl := rdb.TTL(ctx, "live").Val(); ttl < 59*time.Minute || ttl > time.Hour {
		t.Errorf("TTL live = %v, want about 1h", ttl)
	}
	if n := rdb.Exists(ctx, "gone").Val(); n != 0 {
		t.Errorf("expired key was loaded")
	}
	list, err := rdb.LRange(ctx, "\xff\x00", 0, -1).Result()
	if err != nil || !cmp.Equal(list, []string{"\x00\x01", "teks"}) {
		t.Errorf("LRANGE of binary key = %q, %v", list, err)
	}
}

func TestEmbeddedRefusesUnreadableSnapshot(t *testing.T) {
	for _, tc := range []struct{ name, file string }{
		{"empty file", ""},
		{"not json", "{ this is not json"},
		{"truncated", `{"version": 1, "keys": [{"key": "a", "type": "string", "str`},
		{"future version", `{"version": 99, "keys": []}`},
		{"unknown type", `{"version": 1, "keys": [{"key": "a", "type": "bogus"}]}`},
		{"string without value", `{"version": 1, "keys": [{"key": "a", "type": "string"}]}`},
		{"bad score", `{"version": 1, "keys": [{"key": "z", "type": "zset", "zset": [{"member": "m", "score": "banyak"}]}]}`},
		{"odd stream values", `{"version": 1, "keys": [{"key": "s", "type": "stream", "stream": [{"id": "1-1", "values": ["f"]}]}]}`},
		{"duplicate key", `{"version": 1, "keys": [{"key": "a", "type": "string", "string": "1"}, {"key": "a", "type": "string", "string": "2"}]}`},
		{"bad base64", `{"version": 1, "keys": [{"key": {"base64": "%%%"}, "type": "string", "string": "1"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := snapshotPath(dir)
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			e, err := store.OpenEmbedded(store.EmbeddedOptions{Dir: dir})
			if err == nil {
				e.Close()
				t.Fatal("OpenEmbedded succeeded over an unreadable snapshot")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file %s", err, path)
			}
			if got, _ := os.ReadFile(path); string(got) != tc.file {
				t.Errorf("the snapshot was changed to %q", got)
			}
			// The lock is released: after repair the store opens.
			os.Remove(path)
			openEmbedded(t, dir)
		})
	}
}

func TestEmbeddedSecondOpenIsReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writer := openEmbedded(t, dir)
	wdb := embeddedClient(t, writer)
	if err := wdb.Set(ctx, "k", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := writer.Snapshot(); err != nil {
		t.Fatalf("Snapshot: %v", err)
	}

	reader := openEmbedded(t, dir)
	if !reader.ReadOnly() {
		t.Fatal("second open while the first holds the lock is not read-only")
	}
	rdb := embeddedClient(t, reader)
	if got, err := rdb.Get(ctx, "k").Result(); err != nil || got != "1" {
		t.Errorf("read-only GET k = %q, %v; want 1", got, err)
	}
	if err := rdb.Set(ctx, "k", "from reader", 0).Err(); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("read-only SET: err = %v, want a read-only error", err)
	}
	if err := rdb.Eval(ctx, "return redis.call('SET', KEYS[1], 'x')", []string{"k"}).Err(); err == nil {
		t.Errorf("read-only EVAL that writes succeeded")
	}
	if err := reader.Snapshot(); err != nil {
		t.Errorf("read-only Snapshot: %v, want a no-op", err)
	}
	if got, err := rdb.Eval(ctx, "return redis.call('GET', KEYS[1])", []string{"k"}).Text(); err != nil || got != "1" {
		t.Errorf("read-only EVAL that reads = %q, %v; want 1", got, err)
	}

	// The writer changes data; the reader closing must not write its old copy.
	if err := wdb.Set(ctx, "k", "2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := writer.Snapshot(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(snapshotPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := reader.Close(); err != nil {
		t.Fatalf("read-only Close: %v", err)
	}
	if after, _ := os.ReadFile(snapshotPath(dir)); string(after) != string(before) {
		t.Fatal("read-only Close rewrote the snapshot")
	}

	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	again := openEmbedded(t, dir)
	if again.ReadOnly() {
		t.Error("open after the writer closed is read-only")
	}
	if got := embeddedClient(t, again).Get(ctx, "k").Val(); got != "2" {
		t.Errorf("GET k after reopen = %q, want 2", got)
	}
}

func TestEmbeddedRunSnapshotsUntilCancelled(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := store.OpenEmbedded(store.EmbeddedOptions{Dir: dir, Every: 10 * time.Millisecond, CompactAfter: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	rdb := embeddedClient(t, e)

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(runCtx) }()

	if err := rdb.Set(ctx, "periodic", "ya", 0).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(snapshotPath(dir))
		if strings.Contains(string(b), `"periodic"`) {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("no periodic snapshot within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Many idle ticks later (reads are skipped when nothing ran), a change
	// is still seen.
	time.Sleep(100 * time.Millisecond)
	if err := rdb.Set(ctx, "later", "ya", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for {
		b, _ := os.ReadFile(snapshotPath(dir))
		if strings.Contains(string(b), `"later"`) {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("a change after idle ticks was not snapshotted within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}

	if err := rdb.Set(ctx, "final", "ya", 0).Err(); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil on cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of cancel")
	}
	if b, _ := os.ReadFile(snapshotPath(dir)); !strings.Contains(string(b), `"final"`) {
		t.Error("no final snapshot after cancel")
	}
}

func TestEmbeddedSnapshotOnlyWhenChanged(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openEmbedded(t, dir)
	rdb := embeddedClient(t, e)
	if err := rdb.Set(ctx, "k", "v", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if err := e.Snapshot(); err != nil {
		t.Fatal(err)
	}
	first, err := os.Stat(snapshotPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	rdb.Get(ctx, "k") // reads change nothing
	if err := e.Snapshot(); err != nil {
		t.Fatal(err)
	}
	if second, _ := os.Stat(snapshotPath(dir)); !os.SameFile(first, second) {
		t.Error("an unchanged store was written again")
	}
	if err := rdb.Set(ctx, "k", "w", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if err := e.Snapshot(); err != nil {
		t.Fatal(err)
	}
	// Compare contents, not inodes: the replaced file's inode number may be
	// reused by the new one.
	if data, _ := os.ReadFile(snapshotPath(dir)); !strings.Contains(string(data), `"w"`) {
		t.Errorf("a changed store was not written:\n%s", data)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Snapshot(); !errors.Is(err, store.ErrEmbeddedClosed) {
		t.Errorf("Snapshot after Close = %v, want ErrEmbeddedClosed", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestEmbeddedTTLRuns(t *testing.T) {
	ctx := context.Background()
	e := openEmbedded(t, t.TempDir())
	rdb := embeddedClient(t, e)
	if err := rdb.Set(ctx, "short", "v", 50*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, "long", "v", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Second); rdb.Exists(ctx, "short").Val() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a key with a 50ms TTL still exists after 2s of wall clock")
		}
	}
	if n := rdb.Exists(ctx, "long").Val(); n != 1 {
		t.Fatal("a key with a 1h TTL expired")
	}
}
