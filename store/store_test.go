package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }

// twoStores returns two stores on two clients with one prefix: two
// processes sharing a Redis.
func twoStores(t *testing.T) (*store.Store, *store.Store) {
	a, b, prefix := clientPair(t)
	return store.New(a, store.Options{Prefix: prefix}), store.New(b, store.Options{Prefix: prefix})
}

// clientPair returns two Redis clients and a fresh key prefix: the
// package's redis-server, or the cluster while TestCluster runs.
func clientPair(t testing.TB) (redis.UniversalClient, redis.UniversalClient, string) {
	if clusterAddrs != nil {
		prefix := fmt.Sprintf("cl%d", time.Now().UnixNano())
		a := redis.NewClusterClient(&redis.ClusterOptions{Addrs: clusterAddrs})
		b := redis.NewClusterClient(&redis.ClusterOptions{Addrs: clusterAddrs})
		t.Cleanup(func() { a.Close(); b.Close() })
		return a, b, prefix
	}
	rdb, prefix := redistest.Client(t)
	return rdb, redistest.ClientWithPrefix(t, prefix), prefix
}

var conv = bot.Conversation{Channel: bot.Telegram, User: "42"}

func TestStateCompareAndSet(t *testing.T) {
	ctx := context.Background()
	s, _ := twoStores(t)
	st, err := s.LoadState(ctx, conv)
	if err != nil || st.Version != 0 || st.Flow != "" {
		t.Fatalf("fresh state = %+v, %v; want zero", st, err)
	}
	st.Flow, st.Step = "daftar", "nama"
	v, err := s.SaveState(ctx, conv, st)
	if err != nil || v != 1 {
		t.Fatalf("first save = %d, %v; want 1, nil", v, err)
	}
	if _, err := s.SaveState(ctx, conv, st); !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("save with stale version 0: err = %v, want ErrConflict", err)
	}
	got, err := s.LoadState(ctx, conv)
	if err != nil || got.Version != 1 || got.Step != "nama" {
		t.Fatalf("reload = %+v, %v", got, err)
	}
	ttl := s.Client().PTTL(ctx, s.StateKey(conv)).Val()
	if ttl < 6*24*time.Hour || ttl > 7*24*time.Hour {
		t.Fatalf("state TTL = %v, want about 7 days", ttl)
	}
}

// TestStateNoLostUpdate races read-modify-write turns of one conversation
// on two clients: with compare-and-set and retry no increment is lost.
func TestStateNoLostUpdate(t *testing.T) {
	ctx := context.Background()
	a, b := twoStores(t)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				for {
					st, err := s.LoadState(ctx, conv)
					if err != nil {
						t.Error(err)
						return
					}
					n, _ := strconv.Atoi(st.Answers["n"])
					if st.Answers == nil {
						st.Answers = map[string]string{}
					}
					st.Answers["n"] = strconv.Itoa(n + 1)
					if _, err := s.SaveState(ctx, conv, st); errors.Is(err, bot.ErrConflict) {
						continue
					} else if err != nil {
						t.Error(err)
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	st, _ := a.LoadState(ctx, conv)
	if st.Answers["n"] != strconv.Itoa(workers*each) {
		t.Fatalf("counter = %s, want %d: an update was lost", st.Answers["n"], workers*each)
	}
}

func reg(user, nik string) *umkm.Registration {
	return &umkm.Registration{Region: "32.14", Conv: bot.Conversation{Channel: bot.Console, User: user}, NIK: nik,
		OwnerName: "Siti " + user, RegisteredAt: time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Jakarta), Marketplaces: []string{"shopee"}}
}

func TestRegistrationNumbersAndNIK(t *testing.T) {
	s, _ := twoStores(t)
	testRegistrationNumbersAndNIK(t, s)
}

// testRegistrationNumbersAndNIK also runs with NIKs encrypted (crypt_test.go).
func testRegistrationNumbersAndNIK(t *testing.T, s *store.Store) {
	ctx := context.Background()
	r1 := reg("a", "3214015503900001")
	if err := s.CreateRegistration(ctx, r1, 1); err != nil {
		t.Fatal(err)
	}
	if r1.ID != "UMKM-3214-000001" {
		t.Fatalf("first id = %q", r1.ID)
	}
	again := reg("a", "3214015503900001")
	if err := s.CreateRegistration(ctx, again, 1); err != nil || again.ID != r1.ID {
		t.Fatalf("create again from the same conversation = %q, %v; want the existing %s", again.ID, err, r1.ID)
	}
	var dup *umkm.DuplicateNIKError
	if err := s.CreateRegistration(ctx, reg("b", "3214015503900001"), 1); !errors.As(err, &dup) || dup.Existing != r1.ID {
		t.Fatalf("same NIK from another person: err = %v, want DuplicateNIKError(%s)", err, r1.ID)
	}
	r2 := reg("b", "3214015503900001")
	if err := s.CreateRegistration(ctx, r2, 2); err != nil || r2.ID != "UMKM-3214-000002" {
		t.Fatalf("second business allowed by the Dinas: %q, %v", r2.ID, err)
	}
	got, err := s.RegistrationFor(ctx, "32.14", r1.Conv)
	if err != nil || got.ID != r1.ID || got.OwnerName != "Siti a" || got.Conv != r1.Conv || got.Marketplaces[0] != "shopee" {
		t.Fatalf("RegistrationFor = %+v, %v", got, err)
	}
	if _, err := s.RegistrationFor(ctx, "32.14", bot.Conversation{Channel: bot.Console, User: "nobody"}); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("unknown conversation: err = %v", err)
	}
	// Changing the NIK moves the index; moving onto a taken NIK is refused.
	got.NIK = "3214015503900002"
	if err := s.UpdateRegistration(ctx, got); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.RegistrationsByNIK(ctx, "32.14", "3214015503900002"); len(ids) != 1 || ids[0] != r1.ID {
		t.Fatalf("new NIK index = %v", ids)
	}
	if ids, _ := s.RegistrationsByNIK(ctx, "32.14", "3214015503900001"); len(ids) != 1 || ids[0] != r2.ID {
		t.Fatalf("old NIK index = %v", ids)
	}
	got.NIK = "3214015503900001"
	if err := s.UpdateRegistration(ctx, got); !errors.As(err, &dup) {
		t.Fatalf("update onto a registered NIK: err = %v", err)
	}
}

// TestRegistrationConcurrent registers from two clients at once: numbers
// are unique and gapless, and a NIK raced by many people registers once.
func TestRegistrationConcurrent(t *testing.T) {
	a, b := twoStores(t)
	testRegistrationConcurrent(t, a, b)
}

// testRegistrationConcurrent also runs with NIKs encrypted (crypt_test.go).
func testRegistrationConcurrent(t *testing.T, a, b *store.Store) {
	ctx := context.Background()
	const n = 60
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[string]bool{}
	dups := 0
	for i := 0; i < n; i++ {
		s := a
		if i%2 == 1 {
			s = b
		}
		nik := fmt.Sprintf("32140155039%05d", i+1)
		if i >= n/2 {
			nik = "3214019999990001" // everyone in the second half races for one NIK
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := reg(fmt.Sprint("u", i), nik)
			err := s.CreateRegistration(ctx, r, 1)
			mu.Lock()
			defer mu.Unlock()
			var dup *umkm.DuplicateNIKError
			switch {
			case errors.As(err, &dup):
				dups++
			case err != nil:
				t.Error(err)
			default:
				if ids[r.ID] {
					t.Errorf("id %s given twice", r.ID)
				}
				ids[r.ID] = true
			}
		}()
	}
	wg.Wait()
	if len(ids) != n/2+1 || dups != n/2-1 {
		t.Fatalf("%d registered, %d refused; want %d and %d", len(ids), dups, n/2+1, n/2-1)
	}
	var listed []string
	if err := a.EachRegistration(ctx, "32.14", func(r *umkm.Registration) error {
		listed = append(listed, r.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(listed)
	for i, id := range listed {
		if want := fmt.Sprintf("UMKM-3214-%06d", i+1); id != want {
			t.Fatalf("listed[%d] = %s, want %s (numbers must be gapless)", i, id, want)
		}
	}
}
