package flows_test

import (
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/locales"
)

// TestNIKTakenMessage: the answer to a NIK registered elsewhere names the
// Dinas and, once the region file has it, its contact; never a number.
func TestNIKTakenMessage(t *testing.T) {
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"id", "en"} {
		with := cat.Render(lang, bot.T("daftar.nik.taken", "Office", "DKUPP Purwakarta", "Contact", "WA 0812 0000 1111"))
		without := cat.Render(lang, bot.T("daftar.nik.taken", "Office", "DKUPP Purwakarta", "Contact", ""))
		if !strings.Contains(with, "DKUPP Purwakarta (WA 0812 0000 1111)") {
			t.Errorf("%s with contact: %q", lang, with)
		}
		if !strings.Contains(without, "DKUPP Purwakarta.") || strings.Contains(without, "()") {
			t.Errorf("%s without contact: %q", lang, without)
		}
		if strings.Contains(with, "UMKM-") {
			t.Errorf("%s: the message names a registration: %q", lang, with)
		}
	}
}
