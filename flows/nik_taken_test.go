package flows_test

import (
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/locales"
)

// TestNIKTakenMessage: the answer to a NIK registered elsewhere names the
// Dinas and, once the region file has it, its contact; never a number.
func TestNIKTakenMessage(t *testing.T) {
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	region, err := flows.LoadRegion("purwakarta")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"id", "en"} {
		block := cat.Render(lang, flows.ContactText(region))
		got := cat.Render(lang, bot.T("daftar.nik.taken", "Office", region.Office, "Contact", flows.ContactText(region)))
		if !strings.HasSuffix(got, block) || !strings.Contains(block, region.Office) {
			t.Errorf("%s: the answer lacks the Dinas contact block: %q", lang, got)
		}
		if strings.Contains(got, "UMKM-") {
			t.Errorf("%s: the message names a registration: %q", lang, got)
		}
	}
}
