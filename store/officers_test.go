package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// TestOfficers: accounts are created once per name, saved only when they
// exist, listed by name.
func TestOfficers(t *testing.T) {
	ctx := context.Background()
	s, _ := twoStores(t)
	if _, err := s.Officer(ctx, "rina"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("missing account: %v", err)
	}
	for _, name := range []string{"rina", "budi"} {
		if err := s.CreateOfficer(ctx, &umkm.Officer{Name: name, Role: umkm.RolePetugas, PasswordHash: "h-" + name}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateOfficer(ctx, &umkm.Officer{Name: "rina", Role: umkm.RoleAdmin}); !errors.Is(err, umkm.ErrOfficerExists) {
		t.Fatalf("second rina: %v", err)
	}
	if err := s.SaveOfficer(ctx, &umkm.Officer{Name: "dodi"}); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("saving a missing account: %v", err)
	}
	o, err := s.Officer(ctx, "rina")
	if err != nil || o.Role != umkm.RolePetugas || o.PasswordHash != "h-rina" {
		t.Fatalf("rina = %+v, %v", o, err)
	}
	o.Disabled = true
	if err := s.SaveOfficer(ctx, o); err != nil {
		t.Fatal(err)
	}
	all, err := s.Officers(ctx)
	if err != nil || len(all) != 2 || all[0].Name != "budi" || !all[1].Disabled {
		t.Fatalf("officers = %+v, %v", all, err)
	}
}

// TestOfficerSessions: a session lives for its idle time, is extended when
// used, and ends when deleted alone or with all of its account's.
func TestOfficerSessions(t *testing.T) {
	ctx := context.Background()
	s, other := twoStores(t)
	now := time.Now().Truncate(time.Second)
	for _, id := range []string{"a1", "a2"} {
		if err := s.CreateSession(ctx, id, umkm.OfficerSession{Officer: "rina", CreatedAt: now}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	s.CreateSession(ctx, "b1", umkm.OfficerSession{Officer: "budi", CreatedAt: now}, 300*time.Millisecond)
	got, err := other.Session(ctx, "a1", time.Hour)
	if err != nil || got.Officer != "rina" || !got.CreatedAt.Equal(now) {
		t.Fatalf("session a1 = %+v, %v", got, err)
	}
	if err := s.DeleteSession(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "a1", time.Hour); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("deleted session: %v", err)
	}
	// Using b1 extends it past its first 300 ms.
	time.Sleep(150 * time.Millisecond)
	if _, err := s.Session(ctx, "b1", 2*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := s.Session(ctx, "b1", time.Second); err != nil {
		t.Fatalf("a used session expired at its first idle time: %v", err)
	}
	if err := s.DeleteOfficerSessions(ctx, "rina"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "a2", time.Hour); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("rina's session survived DeleteOfficerSessions: %v", err)
	}
	if _, err := s.Session(ctx, "b1", time.Hour); err != nil {
		t.Fatalf("budi's session ended with rina's: %v", err)
	}
}

// TestLoginAttempts: attempts are counted per key within a window, exactly
// under concurrency, and cleared on request.
func TestLoginAttempts(t *testing.T) {
	ctx := context.Background()
	s, other := twoStores(t)
	var wg sync.WaitGroup
	for i := range 40 {
		st := s
		if i%2 == 1 {
			st = other
		}
		wg.Go(func() {
			if _, err := st.LoginAttempt(ctx, time.Minute, "u:rina", "a:10.0.0.1"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n, err := s.LoginAttempt(ctx, time.Minute, "u:rina", "a:10.0.0.1", "u:budi")
	if err != nil || n[0] != 41 || n[1] != 41 || n[2] != 1 {
		t.Fatalf("counts = %v, %v; want 41 41 1", n, err)
	}
	if err := s.ClearLoginAttempts(ctx, "u:rina"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.LoginAttempt(ctx, time.Minute, "u:rina", "a:10.0.0.1"); n[0] != 1 || n[1] != 42 {
		t.Fatalf("after clearing rina: %v", n)
	}
	// The window starts at the first attempt and ends on time.
	s.LoginAttempt(ctx, 200*time.Millisecond, "u:dodi")
	time.Sleep(400 * time.Millisecond)
	if n, _ := s.LoginAttempt(ctx, 200*time.Millisecond, "u:dodi"); n[0] != 1 {
		t.Fatalf("the window did not end: %v", n)
	}
}

// TestAuditRecent: the console's page reads the audit log newest first,
// as many entries as asked.
func TestAuditRecent(t *testing.T) {
	ctx := context.Background()
	s, other := twoStores(t)
	if got, err := s.AuditLog(0).Recent(ctx, 10); err != nil || len(got) != 0 {
		t.Fatalf("empty log = %v, %v", got, err)
	}
	at := time.Now().Truncate(time.Millisecond)
	for i, action := range []string{"signin", umkm.AuditRevealNIK, umkm.AuditExport} {
		if err := other.AuditLog(0).Audit(ctx, umkm.AuditEntry{At: at.Add(time.Duration(i) * time.Second), Actor: "web:rina", Action: action, Subject: "UMKM-3214-000001"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.AuditLog(0).Recent(ctx, 2)
	if err != nil || len(got) != 2 || got[0].Action != umkm.AuditExport || got[1].Action != umkm.AuditRevealNIK ||
		got[1].Actor != "web:rina" || !got[1].At.Equal(at.Add(time.Second)) {
		t.Fatalf("last two = %+v, %v", got, err)
	}
}
