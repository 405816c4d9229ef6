package flows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// TestFAQFiles: the embedded FAQ loads for every embedded region, each
// language has the same questions, and every answer renders with and
// without the facts that may be unknown (contact, registration number),
// saying "belum tersedia" for an unknown contact.
func TestFAQFiles(t *testing.T) {
	for _, name := range Regions() {
		region, err := LoadRegion(name)
		if err != nil {
			t.Fatal(err)
		}
		faq, err := LoadFAQ("", region)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ids := func(lang string) string {
			var s []string
			for _, e := range faq[lang].Entries {
				s = append(s, e.ID)
			}
			return strings.Join(s, ",")
		}
		if ids("id") != ids("en") || ids("id") == "" {
			t.Errorf("%s: FAQ questions differ by language: id %s, en %s", name, ids("id"), ids("en"))
		}
		for lang, f := range faq {
			for _, e := range f.Entries {
				for _, data := range []map[string]any{
					{"Office": region.Office, "Contact": "", "ID": "", "Region": region.Name},
					{"Office": region.Office, "Contact": "0264 123456", "ID": "UMKM-3214-000001", "Region": region.Name},
				} {
					got := e.Render(data)
					if got == "" || strings.Contains(got, "<no value>") {
						t.Errorf("%s %s %s renders %q", name, lang, e.ID, got)
					}
					if lang == "id" && strings.Contains(got, "Anda") {
						t.Errorf("%s %s: Bapak/Ibu, not Anda: %q", name, e.ID, got)
					}
				}
			}
		}
		kontak := faq["id"].Match("nomor dinas berapa?", bot.Normalize("nomor dinas berapa?"), true)
		if kontak == nil {
			t.Fatalf("%s: no answer for the Dinas contact", name)
		}
		if got := kontak.Render(map[string]any{"Office": region.Office}); !strings.Contains(got, "belum tersedia") || !strings.Contains(got, region.Office) {
			t.Errorf("%s: unknown contact answered %q", name, got)
		}
		if got := kontak.Render(map[string]any{"Office": region.Office, "Contact": "0264 123456"}); !strings.Contains(got, "0264 123456") {
			t.Errorf("%s: known contact answered %q", name, got)
		}
	}
}

// TestLoadFAQFile: FAQ_FILE with {lang} reads one file per language; a
// missing or broken file is an error.
func TestLoadFAQFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("faq.id.toml", "[[faq]]\nid = \"parkir\"\nkeys = [\"parkir\"]\nanswer = \"Parkir di depan.\"\n")
	write("faq.en.toml", "[[faq]]\nid = \"parkir\"\nkeys = [\"parking\"]\nanswer = \"Parking in front.\"\n")
	faq, err := LoadFAQ(filepath.Join(dir, "faq.{lang}.toml"), umkm.Region{})
	if err != nil {
		t.Fatal(err)
	}
	if e := faq["en"].Match("where is parking?", "where is parking", true); e == nil || e.Render(nil) != "Parking in front." {
		t.Errorf("English FAQ not read: %v", e)
	}
	if _, err := LoadFAQ(filepath.Join(dir, "none.{lang}.toml"), umkm.Region{}); err == nil {
		t.Error("a missing FAQ_FILE loaded")
	}
	write("bad.id.toml", "[[faq]]\nid = \"x\"\nkeys = [\"x\"]\nanswer = \"{{.Office\"\n")
	write("bad.en.toml", "[[faq]]\nid = \"x\"\nkeys = [\"x\"]\nanswer = \"ok\"\n")
	if _, err := LoadFAQ(filepath.Join(dir, "bad.{lang}.toml"), umkm.Region{}); err == nil {
		t.Error("a broken template loaded")
	}
}
