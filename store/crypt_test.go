package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/pii"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

func newKey(t testing.TB) string {
	t.Helper()
	k, err := pii.NewKey(time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyring(t testing.TB, keys ...string) *pii.Keyring {
	t.Helper()
	k, err := pii.Parse(strings.Join(keys, ","))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// dump returns every key under prefix with its whole value.
func dump(t testing.TB, rdb redis.UniversalClient, prefix string) string {
	t.Helper()
	return redistest.Dump(t, rdb, prefix)
}

// sealedStores are two processes sharing a Redis, with the same keys.
func sealedStores(t *testing.T, kr umkm.Cipher) (*store.Store, *store.Store, redis.UniversalClient, string) {
	a, b, prefix := clientPair(t)
	return store.New(a, store.Options{Prefix: prefix, Cipher: kr}), store.New(b, store.Options{Prefix: prefix, Cipher: kr}), a, prefix
}

func TestRegistrationEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	s, _, rdb, prefix := sealedStores(t, keyring(t, newKey(t)))
	r := reg("a", "3214015503900001")
	r.Phone = "+6281234567890"
	if err := s.CreateRegistration(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
	all := dump(t, rdb, prefix)
	for _, clear := range []string{"3214015503900001", "81234567890", "3214 0155"} {
		if strings.Contains(all, clear) {
			t.Fatalf("Redis holds %q in clear:\n%s", clear, all)
		}
	}
	if !strings.Contains(all, "pii1:") {
		t.Fatalf("no sealed value in Redis:\n%s", all)
	}
	got, err := s.Registration(ctx, r.ID)
	if err != nil || got.NIK != r.NIK || got.Phone != r.Phone {
		t.Fatalf("read back = %+v, %v", got, err)
	}
	// Another process with other keys cannot read it.
	other := store.New(rdb, store.Options{Prefix: prefix, Cipher: keyring(t, newKey(t))})
	if _, err := other.Registration(ctx, r.ID); !errors.Is(err, umkm.ErrUnknownKey) {
		t.Fatalf("read under foreign keys: err = %v, want ErrUnknownKey", err)
	}
}

func TestRegistrationNumbersAndNIKEncrypted(t *testing.T) {
	s, _, _, _ := sealedStores(t, keyring(t, newKey(t)))
	testRegistrationNumbersAndNIK(t, s)
}

func TestRegistrationConcurrentEncrypted(t *testing.T) {
	a, b, _, _ := sealedStores(t, keyring(t, newKey(t)))
	testRegistrationConcurrent(t, a, b)
}

// TestMigrateEncrypt: registrations stored in clear are found by the
// check, encrypted with their index moved to blind indexes, counted; a
// second run changes nothing; uniqueness by NIK holds afterwards.
func TestMigrateEncrypt(t *testing.T) {
	ctx := context.Background()
	rdb, _, prefix := clientPair(t)
	plain := store.New(rdb, store.Options{Prefix: prefix})
	for i := 1; i <= 3; i++ {
		r := reg(fmt.Sprint("u", i), fmt.Sprintf("32140155039%05d", i))
		r.Phone = fmt.Sprintf("+62812345600%02d", i)
		if err := plain.CreateRegistration(ctx, r, 1); err != nil {
			t.Fatal(err)
		}
	}
	sealed := store.New(rdb, store.Options{Prefix: prefix, Cipher: keyring(t, newKey(t))})
	if has, err := sealed.HasClearRegistrations(ctx, "32.14"); err != nil || !has {
		t.Fatalf("clear registrations not noticed: %v, %v", has, err)
	}
	c, err := sealed.SealRegistrations(ctx, "32.14", nil)
	if err != nil || c != (store.SealCounts{Seen: 3, Sealed: 3}) {
		t.Fatalf("first run = %+v, %v", c, err)
	}
	if c, err := sealed.SealRegistrations(ctx, "32.14", nil); err != nil || c != (store.SealCounts{Seen: 3, Unchanged: 3}) {
		t.Fatalf("second run = %+v, %v; want nothing to do", c, err)
	}
	if has, err := sealed.HasClearRegistrations(ctx, "32.14"); err != nil || has {
		t.Fatalf("clear registrations left: %v, %v", has, err)
	}
	all := dump(t, rdb, prefix)
	if strings.Contains(all, "3214015503900") || strings.Contains(all, "812345600") {
		t.Fatalf("clear NIK or phone left:\n%s", all)
	}
	var dup *umkm.DuplicateNIKError
	if err := sealed.CreateRegistration(ctx, reg("x", "3214015503900002"), 1); !errors.As(err, &dup) || dup.Existing != "UMKM-3214-000002" {
		t.Fatalf("NIK of a migrated registration: err = %v, want a duplicate", err)
	}
	got, err := sealed.Registration(ctx, "UMKM-3214-000003")
	if err != nil || got.NIK != "3214015503900003" || got.Phone != "+6281234560003" {
		t.Fatalf("migrated = %+v, %v", got, err)
	}
}

// TestRotateWhileServing: two processes serve with the new key first and
// the old one second while the rotation runs: no turn fails (sign-ups,
// profile changes, NIK look-ups, refused duplicates), and afterwards a
// store with only the new key reads every record and finds every NIK.
func TestRotateWhileServing(t *testing.T) {
	ctx := context.Background()
	oldKey, newKeyS := newKey(t), newKey(t)
	rdb, rdb2, prefix := clientPair(t)
	before := store.New(rdb, store.Options{Prefix: prefix, Cipher: keyring(t, oldKey)})
	const existing = 300
	for i := 1; i <= existing; i++ {
		r := reg(fmt.Sprint("old", i), fmt.Sprintf("32140155039%05d", i))
		r.Phone = fmt.Sprintf("+628123%07d", i)
		if err := before.CreateRegistration(ctx, r, 1); err != nil {
			t.Fatal(err)
		}
	}
	both := keyring(t, newKeyS, oldKey)
	a := store.New(rdb, store.Options{Prefix: prefix, Cipher: both})
	b := store.New(rdb2, store.Options{Prefix: prefix, Cipher: both})

	var turns, failures atomic.Int64
	fail := func(format string, args ...any) { failures.Add(1); t.Errorf(format, args...) }
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				turns.Add(1)
				n := 1 + (i*4+w)%existing
				nik := fmt.Sprintf("32140155039%05d", n)
				switch i % 4 {
				case 0: // someone else types an existing NIK
					var dup *umkm.DuplicateNIKError
					if err := s.CreateRegistration(ctx, reg(fmt.Sprintf("new%d-%d", w, i), nik), 1); !errors.As(err, &dup) {
						fail("duplicate of %s not refused: %v", nik, err)
					}
				case 1: // the owner looks at their profile and changes the phone
					r, err := s.RegistrationFor(ctx, "32.14", bot.Conversation{Channel: bot.Console, User: fmt.Sprint("old", n)})
					if err != nil || r.NIK != nik {
						fail("profile of old%d = %+v, %v", n, r, err)
						continue
					}
					r.Phone = fmt.Sprintf("+628129%07d", i)
					if err := s.UpdateRegistration(ctx, r); err != nil {
						fail("update old%d: %v", n, err)
					}
				case 2: // the NIK step looks the NIK up
					if ids, err := s.RegistrationsByNIK(ctx, "32.14", nik); err != nil || len(ids) != 1 {
						fail("look-up of %s = %v, %v", nik, ids, err)
					}
				case 3: // a new owner registers
					r := reg(fmt.Sprintf("fresh%d-%d", w, i), fmt.Sprintf("3214016603%06d", w*100000+i))
					r.Phone = "+6281300000000"
					if err := s.CreateRegistration(ctx, r, 1); err != nil {
						fail("new registration: %v", err)
					}
				}
			}
		}()
	}
	c, err := a.SealRegistrations(ctx, "32.14", nil)
	close(stop)
	wg.Wait()
	// Records a turn rewrote meanwhile are already under the new key.
	if err != nil || c.Seen < existing || c.Sealed == 0 || c.Sealed+c.Unchanged != c.Seen {
		t.Fatalf("rotation = %+v, %v; want the %d old records seen, re-encrypted or already current", c, err, existing)
	}
	if failures.Load() > 0 || turns.Load() < 8 {
		t.Fatalf("%d of %d turns failed", failures.Load(), turns.Load())
	}

	// Only the new key: every record opens, every NIK is found.
	after := store.New(rdb, store.Options{Prefix: prefix, Cipher: keyring(t, newKeyS)})
	seen := 0
	err = after.EachRegistration(ctx, "32.14", func(r *umkm.Registration) error {
		seen++
		ids, err := after.RegistrationsByNIK(ctx, "32.14", r.NIK)
		if err != nil || len(ids) != 1 || ids[0] != r.ID {
			return fmt.Errorf("NIK of %s found as %v, %v", r.ID, ids, err)
		}
		return nil
	})
	if err != nil || seen < existing {
		t.Fatalf("after rotation: %d records, %v", seen, err)
	}
	t.Logf("%d turns during the rotation of %d records", turns.Load(), c.Seen)
}

// BenchmarkCreateRegistration: a registration with NIK and phone in clear
// and sealed, on the package's Redis (the Lua script and the round trip
// dominate).
func BenchmarkCreateRegistration(b *testing.B) {
	for _, sealed := range []bool{false, true} {
		name := "clear"
		var c umkm.Cipher
		if sealed {
			name, c = "sealed", keyring(b, newKey(b))
		}
		b.Run(name, func(b *testing.B) {
			rdb, _, prefix := clientPair(b)
			s := store.New(rdb, store.Options{Prefix: prefix, Cipher: c})
			i := 0
			for b.Loop() {
				i++
				r := reg(fmt.Sprint("u", i), fmt.Sprintf("3214%012d", i))
				r.Phone = "+6281234567890"
				if err := s.CreateRegistration(context.Background(), r, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRotate: re-encrypting registrations under a new key, per record.
func BenchmarkRotate(b *testing.B) {
	ctx := context.Background()
	rdb, _, prefix := clientPair(b)
	oldKey := newKey(b)
	s := store.New(rdb, store.Options{Prefix: prefix, Cipher: keyring(b, oldKey)})
	const n = 2000
	for i := 1; i <= n; i++ {
		r := reg(fmt.Sprint("u", i), fmt.Sprintf("3214%012d", i))
		r.Phone = "+6281234567890"
		if err := s.CreateRegistration(ctx, r, 1); err != nil {
			b.Fatal(err)
		}
	}
	keys := []string{oldKey}
	b.ResetTimer()
	for b.Loop() {
		keys = append([]string{newKey(b)}, keys...)
		rot := store.New(rdb, store.Options{Prefix: prefix, Cipher: keyring(b, keys...)})
		if c, err := rot.SealRegistrations(ctx, "32.14", nil); err != nil || c.Sealed != n {
			b.Fatalf("%+v, %v", c, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/record")
}

// TestInboxSealsNumbers: a message waiting in a conversation's queue that
// may carry a NIK or a phone number (a long digit run, the channel's phone)
// is sealed there like the state's answers, and its turn reads it whole.
func TestInboxSealsNumbers(t *testing.T) {
	ctx := context.Background()
	s, other, rdb, prefix := sealedStores(t, keyring(t, newKey(t)))
	first, err := s.Ingest(ctx, msg("1", "halo"), lease("p1"), noFlood)
	if err != nil || first.Result != bot.Taken {
		t.Fatalf("first ingest = %+v, %v", first.Result, err)
	}
	nik := msg("2", "NIK saya 3214 0155 0390 0001")
	nik.Phone = "+6281234567890"
	if in, err := other.Ingest(ctx, nik, lease("p2"), noFlood); err != nil || in.Result != bot.Queued {
		t.Fatalf("second ingest = %+v, %v", in.Result, err)
	}
	all := dump(t, rdb, prefix)
	for _, clear := range []string{"3214 0155 0390 0001", "6281234567890", "NIK saya"} {
		if strings.Contains(all, clear) {
			t.Errorf("the queued message holds %q in clear", clear)
		}
	}
	st := first.Loaded.State
	done, err := s.Commit(ctx, conv, "1", lease("p1"), bot.TurnResult{State: st}, nil)
	if err != nil || done.Next == nil {
		t.Fatalf("commit = %+v, %v; want the next message", done, err)
	}
	if got := done.Next.Msg; got.Text != nik.Text || got.Phone != nik.Phone || got.ID != "2" {
		t.Fatalf("the queued message came back as %+v", got)
	}
}
