package flows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/locales"
)

// TestFAQFiles: the embedded FAQ loads for every embedded region, each
// language has the same questions, and every answer renders with and
// without the facts that may be unknown (contact, registration number),
// saying "belum tersedia" for an unknown contact.
func TestFAQFiles(t *testing.T) {
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
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
		block := cat.Render("id", ContactText(region))
		got := kontak.Render(map[string]any{"Office": region.Office, "Contact": block})
		for _, want := range []string{region.Office, "Jam layanan: Senin–Jumat 08.00–16.00 WIB (belum dipastikan Dinas)",
			"Alamat, Telepon, WhatsApp, Email belum tersedia di layanan ini: hubungi lewat menu petugas (ketik petugas)."} {
			if !strings.Contains(got, want) {
				t.Errorf("%s: unknown contact answered %q, want %q in it", name, got, want)
			}
		}
		if got := kontak.Render(map[string]any{"Office": region.Office, "Contact": "0264 123456"}); !strings.Contains(got, "0264 123456") {
			t.Errorf("%s: known contact answered %q", name, got)
		}
		if ids := ids("id"); strings.Contains(ids, "galeri_menong") != (region.Code == "32.14") || !strings.HasPrefix(ids, "biaya,nib,kontak") {
			t.Errorf("%s: the region's FAQ is not laid over the default: %s", name, ids)
		}
	}
}

// TestDinasContact: a region file's [dinas] gives every fact or declares
// it unknown; the block shows what is known, the hours from [hours], and
// sends the owner to the petugas menu only for what is missing.
func TestDinasContact(t *testing.T) {
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []umkm.DinasContact{
		{Unknown: []string{"address", "phone", "whatsapp"}, Source: "x"},                        // email neither
		{Email: "a@b", Unknown: []string{"address", "phone", "whatsapp", "email"}, Source: "x"}, // email both
		{Unknown: []string{"address", "phone", "whatsapp", "email"}},                            // no source
		{Unknown: []string{"address", "phone", "whatsapp", "email", "fax"}, Source: "x"},        // no such fact
	} {
		if bad.Validate() == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "r.toml")
	os.WriteFile(file, []byte("code = \"32.14\"\nname = \"Kabupaten Purwakarta\"\noffice = \"DKUPP\"\n[dinas]\naddress = \"Jl. Contoh 1\"\nunknown = [\"phone\"]\nsource = \"x\"\n"), 0o644)
	if _, err := LoadRegion(file); err == nil || !strings.Contains(err.Error(), "whatsapp is missing") {
		t.Fatalf("a [dinas] without whatsapp or email loaded: %v", err)
	}
	os.WriteFile(file, []byte(`code = "32.14"
name = "Kabupaten Purwakarta"
office = "DKUPP"
[dinas]
address = "Jl. Contoh 1"
whatsapp = "0812-0000-0000"
email = "dkupp@example.go.id"
unknown = ["phone"]
source = "test"
confirmed = true
[hours]
days = [1, 2, 3, 4, 6]
open = "07:30"
close = "15:00"
`), 0o644)
	r, err := LoadRegion(file)
	if err != nil {
		t.Fatal(err)
	}
	got := cat.Render("id", ContactText(r))
	want := "DKUPP\nAlamat: Jl. Contoh 1\nWhatsApp: 0812-0000-0000\nEmail: dkupp@example.go.id\nJam layanan: Senin, Selasa, Rabu, Kamis, Sabtu 07.30–15.00 WIB\nTelepon belum tersedia di layanan ini: hubungi lewat menu petugas (ketik petugas)."
	if got != want {
		t.Errorf("block\n got %q\nwant %q", got, want)
	}
	if en := cat.Render("en", ContactText(r)); !strings.Contains(en, "Service hours: Monday, Tuesday") || !strings.Contains(en, "Phone: not available") {
		t.Errorf("English block %q", en)
	}
	if !dinasKnown(r) {
		t.Error("a region with an address has known facts")
	}

	// A province deployment: a kabupaten/kota with its own Dinas shows its
	// own contact and hours; the others the province's.
	os.WriteFile(file, []byte(`code = "36"
name = "Provinsi Banten"
office = "Dinas Koperasi dan UKM Provinsi Banten"
[dinas]
unknown = ["address", "phone", "whatsapp", "email"]
source = "test"

[[kabupaten_kota]]
code = "36.73"
office = "Dinas Koperasi Kota Serang (contoh)"
[kabupaten_kota.dinas]
phone = "(0254) 000000"
unknown = ["address", "whatsapp", "email"]
source = "test"
[kabupaten_kota.hours]
days = [1, 2, 3, 4, 5]
open = "08:00"
close = "15:00"
`), 0o644)
	p, err := LoadRegion(file)
	if err != nil {
		t.Fatal(err)
	}
	serang, _ := p.Unit("36.73")
	lebak, _ := p.Unit("36.02")
	if got := cat.Render("id", ContactText(serang)); !strings.Contains(got, "Dinas Koperasi Kota Serang (contoh)\nTelepon: (0254) 000000\nJam layanan: Senin–Jumat 08.00–15.00 WIB\n") {
		t.Errorf("Kota Serang's block %q", got)
	}
	if got := cat.Render("id", ContactText(lebak)); !strings.HasPrefix(got, "Dinas Koperasi dan UKM Provinsi Banten\nJam layanan: Senin–Jumat 08.00–16.00 WIB (belum dipastikan Dinas)") {
		t.Errorf("Kabupaten Lebak's block %q", got)
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

// BenchmarkContactBlock: rendering the Dinas contact block, which every
// reply that sends an owner to the Dinas now carries.
func BenchmarkContactBlock(b *testing.B) {
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		b.Fatal(err)
	}
	r, err := LoadRegion("purwakarta")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		_ = cat.Render("id", ContactText(r))
	}
}
