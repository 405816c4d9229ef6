package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func open(t testing.TB, dir string) *DB {
	t.Helper()
	d, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func client(t testing.TB, d *DB) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(d.URL())
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries = -1
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// crash stops d as kill -9 would leave its files: no compaction, nothing
// flushed that a reply did not wait for, the lock dropped.
func (d *DB) crash() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopServing()
	if d.j != nil {
		d.j.mu.Lock()
		d.j.f.Close() // what is pending was never acknowledged
		d.j.err = errors.New("crashed")
		d.j.mu.Unlock()
	}
	d.rdb.Close()
	d.m.Close()
	if d.lock != nil {
		d.lock.Close()
		d.lock = nil
	}
}

// dump is the data as the snapshot sees it, one JSON line per key, expiry as
// absolute times; keys expiring at or before notAfter are left out.
func dump(t testing.TB, d *DB, notAfter time.Time) []string {
	t.Helper()
	d.wmu.Lock()
	defer d.wmu.Unlock()
	clock := time.Unix(0, d.clock).UTC()
	res, err := d.rdb.Eval(context.Background(), embSnapshotScript, nil).Slice()
	if err != nil {
		t.Fatal(err)
	}
	keys, _, err := embDecode(res, clock, d.m.TTL)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		if !k.ExpiresAt.IsZero() && !k.ExpiresAt.After(notAfter) {
			continue
		}
		b, _ := json.Marshal(k)
		out = append(out, string(b))
	}
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
