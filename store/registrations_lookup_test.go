package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// TestRegistrationLookupsOneCallEach: the look-ups the registration makes
// during a turn are one Redis call each, a registered conversation's
// registration included (its id, then its record, were two), and a
// conversation whose indexed record is gone is not found rather than an
// error.
func TestRegistrationLookupsOneCallEach(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	var seen countHook
	rdb.AddHook(&seen)
	st := store.New(rdb, store.Options{Prefix: prefix})
	r := reg("siti", "3214015503900001")
	if err := st.CreateRegistration(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
	// Once each, so the scripts are loaded (a first call is answered
	// NOSCRIPT, loaded and sent again).
	st.RegistrationFor(ctx, "32.14", r.Conv)
	st.RegistrationsByNIK(ctx, "32.14", r.NIK)

	calls := func(what string, want int64, f func()) {
		t.Helper()
		before := seen.n.Load()
		f()
		if got := seen.n.Load() - before; got != want {
			t.Errorf("%s: %d Redis commands, want %d", what, got, want)
		}
	}
	calls("RegistrationFor, registered", 1, func() {
		got, err := st.RegistrationFor(ctx, "32.14", r.Conv)
		if err != nil || got.ID != r.ID || got.NIK != r.NIK || got.OwnerName != r.OwnerName {
			t.Errorf("RegistrationFor = %+v, %v; want %s", got, err, r.ID)
		}
	})
	calls("RegistrationFor, a stranger", 1, func() {
		if _, err := st.RegistrationFor(ctx, "32.14", bot.Conversation{Channel: bot.Console, User: "x"}); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("a stranger: %v, want ErrNotFound", err)
		}
	})
	calls("RegistrationsByNIK", 1, func() {
		if ids, err := st.RegistrationsByNIK(ctx, "32.14", r.NIK); err != nil || len(ids) != 1 || ids[0] != r.ID {
			t.Errorf("RegistrationsByNIK = %v, %v; want [%s]", ids, err, r.ID)
		}
	})
	if ids, err := st.RegistrationsByNIK(ctx, "32.14", "3214015503900002"); err != nil || len(ids) != 0 {
		t.Errorf("a free NIK: %v, %v", ids, err)
	}
	if err := rdb.Del(ctx, st.Key("r:3214", "reg:"+r.ID)).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RegistrationFor(ctx, "32.14", r.Conv); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("record gone: %v, want ErrNotFound", err)
	}
}

// BenchmarkCreateRegistrationMany: many people confirming at once (the
// confirmation step of a closed loop in which everyone is at the same
// step), 64 at a time; cpu-ns/op is this process's CPU per registration.
func BenchmarkCreateRegistrationMany(b *testing.B) {
	rdb, prefix := redistest.Client(b)
	st := store.New(rdb, store.Options{Prefix: prefix})
	var n atomic.Int64
	b.SetParallelism(32) // × GOMAXPROCS
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			r := reg(fmt.Sprint("u", i), fmt.Sprintf("3214%012d", i))
			if err := st.CreateRegistration(context.Background(), r, 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}
