package flows

import (
	"maps"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
)

// TestMigrations: each flow's migration reads what version 0 wrote into
// the one list encoding, empties left out, other answers untouched.
func TestMigrations(t *testing.T) {
	l := func(v ...string) string { return bot.ListValue(v) }
	tests := []struct {
		name      string
		migrate   bot.Migrate
		old, want map[string]string
	}{
		{"daftar", migrateRegistration,
			map[string]string{"marketplace": "shopee,tokopedia", "nib": "-", "desa_suggest": "a,b", "nama": "Siti, S.E."},
			map[string]string{"marketplace": l("shopee", "tokopedia"), "nib": "", "desa_suggest": l("a", "b"), "nama": "Siti, S.E."}},
		{"daftar none", migrateRegistration, map[string]string{"marketplace": "none", "nib": "9120001234567"}, map[string]string{"nib": "9120001234567"}},
		{"produk", migrateProduct, map[string]string{"izin": "pirt,halal", "nama": "Keripik, pedas"}, map[string]string{"izin": l("pirt", "halal"), "nama": "Keripik, pedas"}},
		{"produk none", migrateProduct, map[string]string{"izin": "none"}, map[string]string{}},
		{"galeri", migrateGaleri, map[string]string{"kprod": "Keripik, pedas\nSambal"}, map[string]string{"kprod": l("Keripik, pedas", "Sambal")}},
		{"siaran", migrateSiaran, map[string]string{"filters": "kecamatan,kanal", "kecamatan": "Plered|Darangdan", "kanal": "telegram", "pelatihan": "3|7"},
			map[string]string{"filters": l("kecamatan", "kanal"), "kecamatan": l("Plered", "Darangdan"), "kanal": "telegram", "pelatihan": l("3", "7")}},
		{"petugas", migratePetugas, map[string]string{missedKey: "halo\napa ini"}, map[string]string{missedKey: l("halo", "apa ini")}},
	}
	for _, tt := range tests {
		a := maps.Clone(tt.old)
		if err := tt.migrate(0, a); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !maps.Equal(a, tt.want) {
			t.Errorf("%s: migrated %q, want %q", tt.name, a, tt.want)
		}
		if err := tt.migrate(1, maps.Clone(tt.old)); err == nil {
			t.Errorf("%s: migrated from version 1, which is current", tt.name)
		}
	}
}
