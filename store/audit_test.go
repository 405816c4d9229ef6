package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
)

func TestAuditLogAppendListSinceAndTrim(t *testing.T) {
	ctx := context.Background()
	s, _ := twoStores(t)
	log := s.AuditLog(0)
	for i, a := range []string{umkm.AuditExport, umkm.AuditRevealNIK, umkm.AuditStatusChange} {
		if err := log.Audit(ctx, umkm.AuditEntry{Actor: "cli:budi@host", Action: a, Subject: "registrations", Count: i + 1, Detail: "format=csv"}); err != nil {
			t.Fatal(err)
		}
	}
	var got []umkm.AuditEntry
	if err := log.List(ctx, time.Time{}, func(e umkm.AuditEntry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Action != umkm.AuditExport || got[2].Count != 3 || got[1].Actor != "cli:budi@host" || got[0].At.IsZero() || got[0].ID == "" {
		t.Fatalf("entries = %+v", got)
	}
	var later []umkm.AuditEntry
	if err := log.List(ctx, time.Now().Add(time.Hour), func(e umkm.AuditEntry) error { later = append(later, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(later) != 0 {
		t.Fatalf("entries since an hour from now = %+v, want none", later)
	}

	// A log whose retention is shorter than the entries' age drops them,
	// on the next append and on Trim.
	time.Sleep(5 * time.Millisecond)
	short := s.AuditLog(time.Millisecond)
	if n, err := short.Trim(ctx); err != nil || n != 3 {
		t.Fatalf("trim = %d, %v; want 3 entries older than the retention dropped", n, err)
	}
	if err := short.Audit(ctx, umkm.AuditEntry{Actor: "x", Action: umkm.AuditExport}); err != nil {
		t.Fatal(err)
	}
	got = nil
	if err := log.List(ctx, time.Time{}, func(e umkm.AuditEntry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Actor != "x" {
		t.Fatalf("after trimming: %+v, want only the new entry", got)
	}
	if store.DefaultAuditTTL != 2*365*24*time.Hour {
		t.Fatalf("default retention %v, want 2 years", store.DefaultAuditTTL)
	}
}
