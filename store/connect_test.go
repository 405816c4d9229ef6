package store_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// TestConnectSpeaksRESP2: the clients speak RESP2 (no push notifications
// to look for before each reply) unless the URL asks for RESP3, and
// scripts, hashes and pipelines work over both.
func TestConnectSpeaksRESP2(t *testing.T) {
	if redistest.Kind() != redistest.KindRedisServer {
		t.Skip("needs the package's redis-server")
	}
	rdb, prefix := redistest.Client(t)
	url := "redis://" + rdb.Options().Addr + "/0"
	ctx := context.Background()
	for _, tc := range []struct {
		query string
		want  int
	}{{"", 2}, {"?protocol=3", 3}} {
		c, err := store.Connect(ctx, url+tc.query)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got := c.(*redis.Client).Options().Protocol; got != tc.want {
			t.Fatalf("%q: protocol %d, want %d", tc.query, got, tc.want)
		}
		hello, err := c.Do(ctx, "HELLO").Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := protoOf(hello); got != int64(tc.want) {
			t.Fatalf("%q: the server says the connection speaks RESP%d, want %d", tc.query, got, tc.want)
		}
		s := store.New(c, store.Options{Prefix: prefix + tc.query})
		turnOn(t, s, msg("1", "satu"), "p1")
		if r := direct(t, s, msg("2", "dua"), noFlood, "1.0"); !r.Committed {
			t.Fatalf("%q: direct commit = %+v", tc.query, r)
		}
		if err := s.SetProfile(ctx, conv, "lang", "en"); err != nil {
			t.Fatal(err)
		}
		if p, err := s.Profile(ctx, conv); err != nil || p.Lang != "en" {
			t.Fatalf("%q: profile %+v, %v", tc.query, p, err)
		}
	}
}

// protoOf reads "proto" from a HELLO reply (a map in RESP3, a flat list
// in RESP2).
func protoOf(hello any) int64 {
	switch h := hello.(type) {
	case map[any]any:
		n, _ := h["proto"].(int64)
		return n
	case []any:
		for i := 0; i+1 < len(h); i += 2 {
			if h[i] == "proto" {
				n, _ := h[i+1].(int64)
				return n
			}
		}
	}
	return 0
}
