package flows

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/locales"
)

var updateListing = flag.Bool("update-listing", false, "rewrite testdata/listing/*.golden")

func photo(w, h int, size int64, mime string) bot.Media {
	return bot.Media{Type: "photo", Ref: "ref", W: w, H: h, Size: size, Mime: mime}
}

// TestListingDrafts renders the draft and checklist of sample products for
// every marketplace and compares them with testdata/listing/<case>.golden
// (go test ./flows -run TestListingDrafts -update-listing to accept).
func TestListingDrafts(t *testing.T) {
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	cat.OnMissing = func(lang, id string) { t.Errorf("message %q missing in %s", id, lang) }
	after := time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Jakarta)
	before := time.Date(2026, 9, 1, 9, 0, 0, 0, bot.Jakarta)
	good := []bot.Media{photo(800, 800, 150_000, "image/jpeg"), photo(1000, 1000, 300_000, "image/jpeg")}
	known := *embeddedMarket
	known.Targets = append([]Target(nil), embeddedMarket.Targets...)
	for i := range known.Targets {
		known.Targets[i].TitleMax, known.Targets[i].DescriptionMax = 30, 60
	}
	cases := []struct {
		name   string
		market *Market
		lang   string
		now    time.Time
		p      umkm.Product
	}{
		{"food_ready", embeddedMarket, "id", after, umkm.Product{Name: "Keripik Singkong Bu Siti Pedas", Category: "kuliner",
			Price: 15000, Weight: 250, Stock: 20, Description: "Keripik singkong renyah, pedas gurih. Tahan 3 bulan.",
			Permits: []string{"pirt", "halal"}, Photos: good}},
		{"food_no_permits_before_halal_date", embeddedMarket, "id", before, umkm.Product{Name: "Dodol Durian Wanayasa", Category: "kuliner",
			Price: 25000, Weight: 500, Stock: 5, Description: "Dodol durian asli.", Photos: good[:1]}},
		{"messy_text", embeddedMarket, "id", after, umkm.Product{Name: "KERIPIK PEDAS MURAH tokopedia 08123456789", Category: "kuliner",
			Price: 10000, Weight: 1500, Stock: 3, Permits: []string{"bpom", "halal"}, Photos: good,
			Description: "Pesan via WA 0812-3456-7890 atau www.tokoku.com, juga ada di Lazada. Renyah!"}},
		{"craft_missing_everything", embeddedMarket, "id", after, umkm.Product{Name: "Guci", Category: "kriya", Price: 150000, Weight: 2000}},
		{"bad_photos", embeddedMarket, "id", after, umkm.Product{Name: "Batik Tulis Purwakarta Motif Menong", Category: "fesyen",
			Price: 350000, Weight: 300, Stock: 4, Description: "Kain batik tulis 2 x 1,15 m.",
			Photos: []bot.Media{photo(1200, 800, 900_000, "image/jpeg"), photo(400, 400, 80_000, "image/png"),
				photo(3000, 3000, 4_500_000, "image/jpeg"), photo(800, 800, 200_000, "image/gif"),
				photo(800, 800, 1, ""), photo(800, 800, 1, ""), photo(800, 800, 1, ""), photo(800, 800, 1, ""), photo(800, 800, 1, "")}}},
		{"known_limits", &known, "id", after, umkm.Product{Name: "Keramik Plered Vas Bunga Motif Daun Ukuran Besar", Category: "kriya",
			Price: 120000, Weight: 1800, Stock: 6, Photos: good,
			Description: "Vas bunga keramik asli Plered, dibuat tangan oleh pengrajin lokal, glasir biru, tinggi 40 cm."}},
		{"english", embeddedMarket, "en", after, umkm.Product{Name: "Simping Kencur Purwakarta", Category: "kuliner",
			Price: 12500, Weight: 200, Stock: 0, Description: "Crispy rice crackers with kencur.", Permits: []string{"pirt"}, Photos: good}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			for _, tg := range c.market.Targets {
				if !tg.Listing {
					continue
				}
				draft, check := c.market.draft(&tg, c.p, c.lang, c.now)
				b.WriteString("=== " + tg.Name + "\n")
				b.WriteString(cat.Out(c.lang, draft).Text + "\n---\n")
				b.WriteString(cat.Out(c.lang, check).Text + "\n\n")
			}
			file := filepath.Join("testdata", "listing", c.name+".golden")
			if *updateListing {
				if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update-listing)", err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("%s differs (-want +got):\n%s", file, diff)
			}
		})
	}
}

func TestEmbeddedMarketData(t *testing.T) {
	m, err := LoadMarket("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range m.Targets {
		if len(tg.Steps["id"]) != len(tg.Steps["en"]) || len(tg.Tips["id"]) != len(tg.Tips["en"]) {
			t.Errorf("target %s: Indonesian and English steps/tips differ in number", tg.ID)
		}
		if tg.Kind == "marketplace" && (tg.TitleMax != 0 || tg.DescriptionMax != 0) {
			t.Errorf("target %s: a length limit is set, but domain.md has none confirmed", tg.ID)
		}
	}
	for _, p := range m.Permits {
		if p.How["en"] == "" {
			t.Errorf("permit %s has no English text", p.ID)
		}
	}
	if m.regional("36.04") == nil || m.regional("32.14") != nil || m.regional("3604") != nil {
		t.Error("regional marketplace matching by province prefix is wrong")
	}
	if want := time.Date(2026, 10, 17, 0, 0, 0, 0, bot.Jakarta); !m.HalalMandatoryFrom.Equal(want) {
		t.Errorf("halal date = %v, want %v", m.HalalMandatoryFrom, want)
	}
	bad := filepath.Join(t.TempDir(), "m.toml")
	os.WriteFile(bad, []byte("[[target]]\nid = \"x\"\nname = \"X\"\ntitle_max = -1\n[target.steps]\nid = [\"a\"]\n"), 0o644)
	if _, err := LoadMarket(bad); err == nil {
		t.Error("a negative limit was accepted")
	}
	if _, err := LoadMarket(filepath.Join(t.TempDir(), "missing.toml")); err == nil {
		t.Error("a missing file was accepted")
	}
}

// TestProdukEditorSteps: every product question has an editor step in
// "produk saya", reached from the field menu.
func TestProdukEditorSteps(t *testing.T) {
	f := newProduk(Selling{}, time.Now)
	want := []string{"ubah_nama", "ubah_kategori", "ubah_harga", "ubah_berat", "ubah_stok", "ubah_deskripsi", "ubah_izin"}
	fields := productFields()
	if len(fields) != len(want) || len(editSteps) != len(want) {
		t.Fatalf("%d fields, %d editor names, want %d", len(fields), len(editSteps), len(want))
	}
	for i, id := range want {
		if f.Step(bot.StepID(id)) == nil || editSteps[fields[i].step.ID] != bot.StepID(id) {
			t.Errorf("editor step %s missing or not named for field %s", id, fields[i].step.ID)
		}
	}
}

// BenchmarkListingDraft measures writing one draft and checklist (without
// rendering).
func BenchmarkListingDraft(b *testing.B) {
	tg := embeddedMarket.target("shopee")
	p := umkm.Product{Name: "KERIPIK PEDAS MURAH tokopedia 08123456789", Category: "kuliner", Price: 10000, Weight: 1500,
		Description: "Pesan via WA 0812-3456-7890 atau www.tokoku.com, juga ada di Lazada. Renyah!",
		Photos:      []bot.Media{photo(1200, 800, 900_000, "image/jpeg"), photo(800, 800, 200_000, "image/jpeg")}}
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Jakarta)
	for b.Loop() {
		embeddedMarket.draft(tg, p, "id", now)
	}
}

// FuzzStripContacts: whatever an owner writes, the cleaned text holds no
// phone number or link any more, and cleaning twice changes nothing.
func FuzzStripContacts(f *testing.F) {
	for _, s := range []string{"Pesan via WA 0812-3456-7890", "cek www.tokoku.com", "email a@b.co", "+62 812 3456 7890 ya", "Renyah 250 gr"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, _ := stripContacts(s)
		if phoneRe.MatchString(out) || linkRe.MatchString(out) {
			t.Fatalf("stripContacts(%q) = %q still has a contact", s, out)
		}
		if again, changed := stripContacts(out); changed || again != out {
			t.Fatalf("stripContacts not idempotent: %q → %q → %q", s, out, again)
		}
	})
}
