package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/store/redistest"
)

// TestProvinceDeployment runs REGION=banten end to end: two owners in two
// kabupaten/kota register in the terminal chat and get numbers of their own
// kabupaten/kota; the export names the kabupaten/kota and the desa code (or
// "lainnya"); a broadcast segment and a training can be limited to one
// kabupaten/kota.
func TestProvinceDeployment(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "REGION": "banten"}
	rina := "halo\n1\nya\nRina Marlina\n3673 0145 0588 0002\n0813 2222 3333\nSate Bandeng Bu Rina\nkuliner\n" +
		"kota serang\ntaktakn\nkalanganyr\nJl. Raya Taktakan No. 7\nsate bandeng\n1\n1\n2\nlewati\nbelum\nya\n"
	if out := umkmbot(t, env, rina, "chat"); !strings.Contains(out, "UMKM-3673-000001") {
		t.Fatalf("Kota Serang's first owner did not get UMKM-3673-000001:\n%s", out)
	}
	budi := "daftar\n1\nBudi Hartono\n3604 0112 0380 0003\n0857 1111 2222\nEmping Budi\n1\n" +
		"kab serang\nkramatwatu\nlainnya\nKampung Kubang\nKp. Kubang RT 01/RW 02\nemping\n1\n1\n3\nlewati\nbelum\nya\n"
	if out := umkmbot(t, env, budi, "chat", "--user", "budi"); !strings.Contains(out, "UMKM-3604-000001") {
		t.Fatalf("Kabupaten Serang's first owner did not get UMKM-3604-000001:\n%s", out)
	}

	rows := readCSV(t, umkmbot(t, env, "", "export", "registrations", "--format", "csv", "--include-nik"))
	if len(rows) != 3 {
		t.Fatalf("export has %d rows, want header + 2", len(rows))
	}
	got := map[string]map[string]string{}
	for _, r := range rows[1:] {
		row := map[string]string{}
		for i, col := range rows[0] {
			row[col] = r[i]
		}
		got[row["registration_id"]] = row
	}
	for id, want := range map[string]map[string]string{
		"UMKM-3673-000001": {"kabupaten_kota": "Kota Serang", "kecamatan": "Taktakan", "desa": "Kalanganyar", "desa_code": "36.73.06.1005", "nik": "3673014505880002"},
		"UMKM-3604-000001": {"kabupaten_kota": "Kabupaten Serang", "kecamatan": "Kramatwatu", "desa": "Kampung Kubang", "desa_code": "lainnya"},
	} {
		for col, v := range want {
			if got[id][col] != v {
				t.Errorf("%s: %s = %q, want %q", id, col, got[id][col], v)
			}
		}
	}
	if h := rows[0]; h[len(h)-1] != "nik" || h[len(h)-3] != "kabupaten_kota" || h[len(h)-2] != "desa_code" {
		t.Errorf("header ends %v; want kabupaten_kota, desa_code, then nik last", h[len(h)-3:])
	}

	text := filepath.Join(t.TempDir(), "siaran.txt")
	if err := os.WriteFile(text, []byte("Bazar UMKM Kota Serang hari Sabtu di alun-alun.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{nil, "recipients: 2"},
		{[]string{"--kabupaten-kota", "kota serang"}, "recipients: 1"},
		{[]string{"--kabupaten-kota", "36.04"}, "recipients: 1"},
		{[]string{"--kabupaten-kota", "36.73", "--kecamatan", "kramatwatu"}, "recipients: 0"}, // Kramatwatu is in Kabupaten Serang
	} {
		out := umkmbot(t, env, "", append([]string{"broadcast", "create", "--text-file", text, "--dry-run"}, c.flags...)...)
		if !strings.Contains(out, c.want) {
			t.Errorf("broadcast %v: want %q in\n%s", c.flags, c.want, out)
		}
	}
	if err := umkmbotErr(env, "broadcast", "create", "--text-file", text, "--dry-run", "--kabupaten-kota", "purwakarta"); err == nil ||
		!strings.Contains(err.Error(), "not a kabupaten/kota served here") {
		t.Errorf("a kabupaten/kota outside the deployment: %v", err)
	}
	training := []string{"training", "add", "--title", "Kemasan Emping", "--topic", "kemasan", "--start", "2030-12-01 09:00",
		"--end", "2030-12-01 12:00", "--capacity", "30", "--place", "Aula Dinas, Ciruas"}
	if err := umkmbotErr(env, append(training, "--kabupaten-kota", "Kota Bekasi")...); err == nil || !strings.Contains(err.Error(), "--kabupaten-kota") {
		t.Errorf("a training for a kabupaten/kota outside the deployment: %v", err)
	}
	umkmbot(t, env, "", append(training, "--kabupaten-kota", "Kabupaten Serang")...)
}
