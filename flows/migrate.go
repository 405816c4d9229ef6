package flows

import (
	"fmt"

	"github.com/umkmbot/umkmbot/bot"
)

// The migrations of answers saved by an older version of a flow
// (bot.Flow.Version, bot.Flow.Migrate). Version 0 of these flows wrote
// their lists each its own way; version 1 writes bot.ListValue and leaves
// an empty list out. A conversation under way when the new version starts
// goes on with its answers read right.

// from0 is a migration from version 0 only.
func from0(upgrade func(a map[string]string)) bot.Migrate {
	return func(from int, a map[string]string) error {
		if from != 0 {
			return fmt.Errorf("no migration from version %d", from)
		}
		upgrade(a)
		return nil
	}
}

// migrateRegistration: daftar and profil wrote the marketplaces joined by
// "," ("none" for none), a skipped NIB as "-" and the desa suggestions
// joined by ",".
var migrateRegistration = from0(func(a map[string]string) {
	bot.MigrateList(a, "marketplace", ",", "none")
	bot.MigrateList(a, "desa_suggest", ",")
	if a["nib"] == "-" {
		a["nib"] = ""
	}
})

// migrateProduct: jualan and produk wrote the permits joined by ","
// ("none" for none).
var migrateProduct = from0(func(a map[string]string) { bot.MigrateList(a, "izin", ",", "none") })

// migrateGaleri: the products of a curation application joined by "\n".
var migrateGaleri = from0(func(a map[string]string) { bot.MigrateList(a, "kprod", "\n") })

// migrateSiaran: the filters picked joined by ",", each filter's values
// (the trainings too) by "|".
var migrateSiaran = from0(func(a map[string]string) {
	bot.MigrateList(a, "filters", ",")
	for _, k := range siaranFilters { // "pelatihan" among them

		bot.MigrateList(a, string(k), "|")
	}
})

// migratePetugas: the messages not understood before the hand-over joined
// by "\n".
var migratePetugas = from0(func(a map[string]string) { bot.MigrateList(a, missedKey, "\n") })
