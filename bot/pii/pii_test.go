package pii

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot/umkm"
)

func mustKey(t *testing.T) string {
	t.Helper()
	k, err := NewKey(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRotate(t *testing.T) {
	old, next := mustKey(t), mustKey(t)
	if !strings.HasPrefix(old, "k20261201-") || old == next {
		t.Fatalf("keys %q, %q", old, next)
	}
	k1, err := Parse(old)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k1.Seal("nik", "3214015503900001")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := k1.Seal("nik", "3214015503900001")
	if strings.Contains(sealed, "3214015503900001") || sealed == again || !k1.Current(sealed) {
		t.Fatalf("sealed %q / %q: clear, deterministic or not current", sealed, again)
	}
	if got, ok, err := k1.Open("nik", sealed); got != "3214015503900001" || !ok || err != nil {
		t.Fatalf("open = %q, %v, %v", got, ok, err)
	}
	if _, _, err := k1.Open("phone", sealed); err == nil {
		t.Fatal("a NIK opened as a phone: the field is not bound")
	}
	if got, ok, err := k1.Open("nik", "3214015503900001"); got != "3214015503900001" || ok || err != nil {
		t.Fatalf("a clear legacy value: %q, %v, %v", got, ok, err)
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, _, err := k1.Open("nik", tampered); err == nil {
		t.Fatal("a tampered value opened")
	}

	// The new key first: old values still open and are not current; new
	// ones are sealed under the new key. Indexes: the new key's first.
	k2, err := Parse(next + "," + old)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := k2.Open("nik", sealed); got != "3214015503900001" || err != nil || k2.Current(sealed) {
		t.Fatalf("old value under the new keyring: %q, %v, current %v", got, err, k2.Current(sealed))
	}
	ix1, ix2 := k1.Index("nik", "3214015503900001"), k2.Index("nik", "3214015503900001")
	if len(ix2) != 2 || ix2[1] != ix1[0] || ix2[0] == ix1[0] || strings.Contains(ix2[0], "3214") {
		t.Fatalf("indexes %v / %v", ix1, ix2)
	}
	if k1.Index("phone", "3214015503900001")[0] == ix1[0] {
		t.Fatal("index not bound to the field")
	}
	k3, _ := Parse(next)
	if _, _, err := k3.Open("nik", sealed); !errors.Is(err, umkm.ErrUnknownKey) {
		t.Fatalf("value under a removed key: err = %v", err)
	}
}

func TestParseRejects(t *testing.T) {
	good := mustKey(t)
	for _, s := range []string{"", "nokey", "id:short", "id:" + strings.Repeat("A", 44), good + "," + good, ":" + strings.SplitN(good, ":", 2)[1]} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	k, _ := Parse(mustKey(&testing.T{}))
	for b.Loop() {
		k.Seal("nik", "3214015503900001")
	}
}

func BenchmarkOpen(b *testing.B) {
	k, _ := Parse(mustKey(&testing.T{}))
	v, _ := k.Seal("nik", "3214015503900001")
	for b.Loop() {
		k.Open("nik", v)
	}
}

func BenchmarkIndexTwoKeys(b *testing.B) {
	k, _ := Parse(mustKey(&testing.T{}) + "," + mustKey(&testing.T{}))
	for b.Loop() {
		k.Index("nik", "3214015503900001")
	}
}
