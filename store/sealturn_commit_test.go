package store_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
)

// TestCommitSealsAnswersTurnAfterTurn: turn after turn of two people's
// registrations on real Redis, whose NIK and phone answers stay, change
// and move between them, every committed state holds them sealed, and a
// process that reads the state from Redis (no cache) opens each to what
// the turn committed.
func TestCommitSealsAnswersTurnAfterTurn(t *testing.T) {
	ctx := context.Background()
	rdb, _, prefix := clientPair(t)
	kr := keyring(t, newKey(t))
	s := store.New(rdb, store.Options{Prefix: prefix, Cipher: kr})
	const nikA, nikB = "3214014505880001", "3214014505880002"
	turns := []struct {
		user    string
		answers map[string]string
	}{
		{"siti", map[string]string{"nama": "Siti"}},
		{"siti", map[string]string{"nama": "Siti", "nik": nikA}},
		{"siti", map[string]string{"nama": "Siti", "nik": nikA, "hp": "+6281234567890"}},
		{"siti", map[string]string{"nama": "Siti", "nik": nikA, "hp": "+6281234567890", "usaha": "Keripik"}},
		{"budi", map[string]string{"nik": nikA}}, // the same NIK in another conversation
		{"siti", map[string]string{"nama": "Siti", "nik": nikB, "hp": "+6281234567890"}},
		{"siti", map[string]string{"nama": "Siti", "nik": nikB, "hp": nikA}},
		{"budi", map[string]string{"nik": nikA, "hp": "+6289999999999"}},
		{"siti", map[string]string{"nama": "Siti", "nik": nikB, "hp": nikA}},
	}
	reused := 0                     // answers written in the sealed form of the last commit
	sealedOf := map[string]string{} // conversation + answer → the sealed form stored last
	for i, tc := range turns {
		conv := bot.Conversation{Channel: bot.Telegram, User: tc.user}
		id := fmt.Sprint("m", i)
		in, err := s.Ingest(ctx, bot.Message{ID: id, Conv: conv, Kind: bot.KindText, Text: "x"}, lease("p"), noFlood)
		if err != nil || in.Result != bot.Taken {
			t.Fatalf("turn %d: ingest %v, %v", i, in.Result, err)
		}
		st := in.Loaded.State
		st.Flow, st.Step, st.Answers = "daftar", "usaha", maps.Clone(tc.answers)
		st.Updated = time.Unix(1764547200, 0)
		if _, err := s.Commit(ctx, conv, id, lease("p"), bot.TurnResult{State: st}, nil); err != nil {
			t.Fatalf("turn %d: commit: %v", i, err)
		}
		if err := s.Release(ctx, conv, "p"); err != nil {
			t.Fatal(err)
		}
		raw, err := rdb.HGet(ctx, s.StateKey(conv), "d").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, clear := range []string{nikA, nikB, "81234567890", "89999999999"} {
			if strings.Contains(raw, clear) {
				t.Fatalf("turn %d: the state holds %s in clear: %s", i, clear, raw)
			}
		}
		fresh := store.New(rdb, store.Options{Prefix: prefix, Cipher: kr})
		got, err := fresh.LoadState(ctx, conv)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.answers, got.Answers); diff != "" {
			t.Fatalf("turn %d: answers read back (-committed +read):\n%s", i, diff)
		}
		for _, k := range []string{"nik", "hp"} {
			if v := tc.answers[k]; v != "" {
				at := strings.Index(raw, `"`+k+`":"`) + len(k) + 4
				sealed := raw[at : at+strings.IndexByte(raw[at:], '"')]
				if prev, ok := sealedOf[tc.user+k]; ok && prev == sealed {
					t.Logf("turn %d: %s's %s written in the sealed form of their last commit", i, tc.user, k)
					reused++
				}
				sealedOf[tc.user+k] = sealed
			}
		}
	}
	// Every unchanged NIK and phone after its first commit keeps its
	// sealed form (a commit goes through the memo).
	if reused != 8 {
		t.Fatalf("%d answers kept their sealed form, want 8", reused)
	}
}
