package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// TestRetentionPass: serve's retention job removes the recipient records
// of a broadcast that ended longer ago than BROADCAST_RECORD_TTL, logs
// the counts and writes the removal to the audit log.
func TestRetentionPass(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	b := &umkm.Broadcast{Region: "32.14", Text: "Pengumuman", CreatedAt: time.Now(), At: time.Now()}
	if err := s.CreateBroadcast(ctx, b); err != nil {
		t.Fatal(err)
	}
	to := bot.Conversation{Channel: bot.WhatsApp, User: "6281234567890"}
	if _, err := s.Settle(ctx, umkm.Delivery{Broadcast: b.ID, Entry: "0-1", To: to}, umkm.OutcomeSkipped, "opted_out"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ControlBroadcast(ctx, b.ID, umkm.BroadcastCancel); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)

	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "BROADCAST_RECORD_TTL": "5ms", "AUDIT_TTL": "8760h"}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a, err := openApp(ctx, cfg, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := retentionPass(ctx, a, a.Log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "records_removed=1") {
		t.Fatalf("log:\n%s", logs.String())
	}
	if v, _ := s.DeliveryRecord(ctx, b.ID, to); v != "" {
		t.Fatalf("record left: %q", v)
	}
	list := umkmbot(t, env, "", "audit", "list")
	if !strings.Contains(list, "retention") || !strings.Contains(list, "broadcast recipient records") {
		t.Fatalf("audit list:\n%s", list)
	}
	if cfg.Privacy.AuditTTL != 365*24*time.Hour {
		t.Fatalf("AUDIT_TTL = %v", cfg.Privacy.AuditTTL)
	}
	def, _ := loadConfig(func(string) string { return "" })
	if def.Privacy.AuditTTL != 2*365*24*time.Hour || def.Privacy.BroadcastRecordTTL != 90*24*time.Hour {
		t.Fatalf("defaults: %+v", def.Privacy)
	}
	if _, err := loadConfig(func(k string) string { return map[string]string{"AUDIT_TTL": "forever"}[k] }); err == nil || !strings.Contains(err.Error(), "AUDIT_TTL") {
		t.Fatalf("bad AUDIT_TTL: %v", err)
	}
}
