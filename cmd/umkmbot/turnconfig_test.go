package main

import (
	"strings"
	"testing"
	"time"
)

// TestDefaultInstance: two processes on one host get different ids; a
// restarted process gets its old id back (and so reclaims its leases).
func TestDefaultInstance(t *testing.T) {
	dir := t.TempDir()
	a, la, err := defaultInstance(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, lb, err := defaultInstance(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	if a == b || !strings.HasSuffix(a, "-0") || !strings.HasSuffix(b, "-1") {
		t.Fatalf("ids %q and %q; want <host>-0 and <host>-1", a, b)
	}
	la.Close() // the first process stops
	again, l, err := defaultInstance(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if again != a {
		t.Fatalf("restarted as %q, want %q", again, a)
	}
}

func TestTurnConfig(t *testing.T) {
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{"FLOOD_BURST": "5", "FLOOD_PER_MINUTE": "12", "OUTBOX_RETRY_MAX": "90s", "SHARE_TURNS_ABOVE": "64"}[k]
	})
	if err != nil || cfg.Turn.Flood.Burst != 5 || cfg.Turn.Flood.PerMinute != 12 || cfg.Turn.SendRetryMax != 90*time.Second || cfg.Turn.ShareAbove != 64 {
		t.Fatalf("turn config = %+v, %v", cfg.Turn, err)
	}
	if cfg, err := loadConfig(func(string) string { return "" }); err != nil || cfg.Turn.ShareAbove != 0 {
		t.Fatalf("default turn config = %+v, %v; want no sharing", cfg.Turn, err)
	}
	if _, err := loadConfig(func(k string) string { return map[string]string{"SHARE_TURNS_ABOVE": "-1"}[k] }); err == nil || !strings.Contains(err.Error(), "SHARE_TURNS_ABOVE") {
		t.Fatalf("bad SHARE_TURNS_ABOVE: %v", err)
	}
	if _, err := loadConfig(func(k string) string { return map[string]string{"FLOOD_BURST": "lots"}[k] }); err == nil || !strings.Contains(err.Error(), "FLOOD_BURST") {
		t.Fatalf("bad FLOOD_BURST: %v", err)
	}
}
