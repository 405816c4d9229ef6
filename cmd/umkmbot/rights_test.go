package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/store"
)

// TestChatRightsOnEmbeddedStore: in the terminal chat on the embedded
// store, "data saya" prints the copy as a file, and "hapus data" leaves a
// snapshot (written at the clean stop) without the owner's name, NIK,
// phone or business name; the audit log lists the access and the
// deletion, and the export is empty.
func TestChatRightsOnEmbeddedStore(t *testing.T) {
	withoutTestKey(t)
	dir := t.TempDir()
	env := map[string]string{"DATA_DIR": dir}
	if out, _, err := runUmkmbot(env, registration, "chat"); err != nil || !strings.Contains(out, "UMKM-3214-000001") {
		t.Fatalf("chat: %v\n%s", err, out)
	}
	out, _, err := runUmkmbot(env, "data saya\nhapus data\nHAPUS\n", "chat")
	if err != nil || !strings.Contains(out, "=== data-saya-") || !strings.Contains(out, "Keripik Bu Siti") {
		t.Fatalf("data saya printed no copy: %v\n%s", err, out)
	}
	if !strings.Contains(out, "UMKM-3214-000001 dibatalkan") {
		t.Fatalf("hapus data: %s", out)
	}
	b, err := os.ReadFile(filepath.Join(dir, store.EmbeddedSnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	var snap struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &snap); err != nil {
		t.Fatal(err)
	}
	for _, k := range snap.Keys {
		for _, v := range append(clearValues, "Siti Aminah", "Keripik Bu Siti") {
			if strings.Contains(string(k), v) {
				t.Errorf("snapshot still holds %q: %s", v, k)
			}
		}
	}
	audit := umkmbot(t, env, "", "audit", "list")
	if !strings.Contains(audit, "access") || !strings.Contains(audit, "deletion") {
		t.Fatalf("audit list:\n%s", audit)
	}
	if rows := readCSV(t, umkmbot(t, env, "", "export", "registrations")); len(rows) != 1 {
		t.Fatalf("export after erasure: %v", rows)
	}
}
