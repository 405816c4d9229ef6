package flows_test

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
)

// domainFacts reads testdata/regions/domain.txt (copied from domain.md):
// kecamatan lists by kabupaten code, and Banten's kabupaten/kota.
func domainFacts(t *testing.T) (kec map[string][]string, banten [][2]string) {
	t.Helper()
	data, err := os.ReadFile("testdata/regions/domain.txt")
	if err != nil {
		t.Fatal(err)
	}
	kec = map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) == 3 {
			kec[f[0]] = strings.Split(f[2], "; ")
		} else {
			banten = append(banten, [2]string{f[0], f[1]})
		}
	}
	return kec, banten
}

func kecamatanNames(r umkm.Region) []string {
	var out []string
	for _, k := range r.Kecamatan {
		out = append(out, k.Name)
	}
	return out
}

func TestRegionKecamatanMatchDomainFacts(t *testing.T) {
	kec, _ := domainFacts(t)
	for spec, code := range map[string]string{"purwakarta": "32.14", "bekasi": "32.16", "sumenep": "35.29",
		"32.14": "32.14", "3216": "32.16", "Kabupaten Sumenep": "35.29"} {
		r, err := flows.LoadRegion(spec)
		if err != nil {
			t.Fatalf("LoadRegion(%q): %v", spec, err)
		}
		if r.Code != code || r.Multi() {
			t.Errorf("LoadRegion(%q) = %s (multi %v), want %s alone", spec, r.Code, r.Multi(), code)
		}
		if diff := cmp.Diff(kec[code], kecamatanNames(r)); diff != "" {
			t.Errorf("%s kecamatan differ from domain.md (-want +got):\n%s", spec, diff)
		}
		if r.Office == "" {
			t.Errorf("%s: the region file's office was lost", spec)
		}
	}
	r, _ := flows.LoadRegion("purwakarta")
	if len(r.Outlets) != 2 {
		t.Errorf("purwakarta outlets = %d, want the 2 Galeri Menong outlets of its file", len(r.Outlets))
	}
	if k := r.Kecamatan[11]; k.Name != "Babakancikao" || !contains(k.Aliases, "Babakan Cikao") {
		t.Errorf("kecamatan 12 = %+v, want Babakancikao with its alias from the file", k)
	}
	plered := r.Kecamatan[3]
	if len(plered.Desa) != 16 || plered.Desa[8] != (umkm.Desa{Code: "32.14.04.2009", Name: "Anjun"}) {
		t.Errorf("Plered desa = %d, [8] = %+v; want 16 with Anjun 32.14.04.2009", len(plered.Desa), plered.Desa[8])
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestEveryKabupatenOfThreeProvincesLoads: Banten, Jawa Barat and Jawa
// Timur load as provinces, and each of their kabupaten/kota alone, with
// kecamatan and desa/kelurahan that belong to it.
func TestEveryKabupatenOfThreeProvincesLoads(t *testing.T) {
	_, banten := domainFacts(t)
	for _, p := range []struct {
		spec, code string
		units      int
	}{{"banten", "36", 8}, {"32", "32", 27}, {"Jawa Timur", "35", 38}} {
		prov, err := flows.LoadRegion(p.spec)
		if err != nil {
			t.Fatalf("LoadRegion(%q): %v", p.spec, err)
		}
		if prov.Code != p.code || len(prov.Units) != p.units {
			t.Fatalf("LoadRegion(%q) = %s with %d kabupaten/kota, want %s with %d", p.spec, prov.Code, len(prov.Units), p.code, p.units)
		}
		for _, u := range prov.Units {
			alone, err := flows.LoadRegion(u.Code)
			if err != nil {
				t.Fatalf("LoadRegion(%q): %v", u.Code, err)
			}
			if alone.Name != u.Name || len(alone.Kecamatan) != len(u.Kecamatan) || len(u.Kecamatan) == 0 {
				t.Errorf("%s: alone %q with %d kecamatan, in the province %q with %d", u.Code, alone.Name, len(alone.Kecamatan), u.Name, len(u.Kecamatan))
			}
			if p.code == "36" && u.Office != prov.Office {
				t.Errorf("%s %s: office %q, want the province's (no own Dinas known)", u.Code, u.Name, u.Office)
			}
			for _, k := range u.Kecamatan {
				if !strings.HasPrefix(k.Code, u.Code+".") || len(k.Desa) == 0 {
					t.Errorf("%s: kecamatan %s %s with %d desa", u.Code, k.Code, k.Name, len(k.Desa))
				}
				for _, d := range k.Desa {
					if !strings.HasPrefix(d.Code, k.Code+".") {
						t.Errorf("desa %s %s filed under %s", d.Code, d.Name, k.Code)
					}
				}
			}
		}
	}
	prov, _ := flows.LoadRegion("36")
	var got [][2]string
	for _, u := range prov.Units {
		got = append(got, [2]string{u.Code, u.Name})
	}
	if diff := cmp.Diff(banten, got); diff != "" {
		t.Errorf("Banten's kabupaten/kota differ from domain.md (-want +got):\n%s", diff)
	}
	if prov.Name != "Provinsi Banten" || prov.Office != "Dinas Koperasi dan UKM Provinsi Banten" {
		t.Errorf("Banten = %q, office %q", prov.Name, prov.Office)
	}
}

func TestLoadRegionSpecs(t *testing.T) {
	for _, c := range []struct {
		spec, code string
		units      []string
	}{
		{"Kota Serang", "36.73", nil},
		{"kota serang", "36.73", nil},
		{"KAB. SERANG", "36.04", nil},
		{"Kabupaten Serang", "36.04", nil},
		{"purwakrta", "32.14", nil},
		{"Kota Tangerang Selatan", "36.74", nil},
		{"3673", "36.73", nil},
		{"bekasi", "32.16", nil}, // the embedded file's name, as before the list
		{"Kota Bekasi", "32.75", nil},
		{" Banten ", "36", []string{"36.01", "36.02", "36.03", "36.04", "36.71", "36.72", "36.73", "36.74"}},
		{"Provinsi Banten", "36", []string{"36.01", "36.02", "36.03", "36.04", "36.71", "36.72", "36.73", "36.74"}},
		{"36.73, kab serang", "36", []string{"36.04", "36.73"}},
		{"purwakarta,bekasi", "32", []string{"32.14", "32.16"}},
	} {
		r, err := flows.LoadRegion(c.spec)
		if err != nil {
			t.Errorf("LoadRegion(%q): %v", c.spec, err)
			continue
		}
		var units []string
		for _, u := range r.Units {
			units = append(units, u.Code)
		}
		if r.Code != c.code || !cmp.Equal(units, c.units) {
			t.Errorf("LoadRegion(%q) = %s %v, want %s %v", c.spec, r.Code, units, c.code, c.units)
		}
	}
	for spec, want := range map[string]string{
		"serang":       "did you mean",
		"99.99":        "no province or kabupaten/kota",
		"xyzzy":        "no province or kabupaten/kota",
		"32.14,36.73":  "one province",
		"":             "empty",
		"nowhere.toml": "no such file",
	} {
		_, err := flows.LoadRegion(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadRegion(%q) error = %v, want one saying %q", spec, err, want)
		}
	}
}

func TestLoadRegionFile(t *testing.T) {
	dir := t.TempDir()
	listed := dir + "/serang.toml"
	os.WriteFile(listed, []byte("code = \"36.73\"\nname = \"Kota Serang\"\noffice = \"Dinas X\"\n"), 0o644)
	r, err := flows.LoadRegion(listed)
	if err != nil || len(r.Kecamatan) != 6 || r.Office != "Dinas X" {
		t.Fatalf("own file of a listed code = %v, %d kecamatan, office %q; want the list's 6 and the file's office", err, len(r.Kecamatan), r.Office)
	}
	own := dir + "/own.toml"
	os.WriteFile(own, []byte("code = \"99.01\"\nname = \"Kabupaten Contoh\"\n[[kecamatan]]\ncode = \"99.01.01\"\nname = \"Satu\"\n"), 0o644)
	if r, err := flows.LoadRegion(own); err != nil || kecamatanNames(r)[0] != "Satu" {
		t.Fatalf("own file of an unlisted code = %v, %v; want its own kecamatan", err, r.Kecamatan)
	}
	bad := dir + "/bad.toml"
	os.WriteFile(bad, []byte("code = \"36.73\"\nname = \"Kota Serang\"\n[[kecamatan]]\ncode = \"36.73.01\"\nname = \"Serang Kota\"\n"), 0o644)
	if _, err := flows.LoadRegion(bad); err == nil {
		t.Fatal("a kecamatan name that disagrees with the list was accepted")
	}
}

// TestProvinceFileGivesAKabupatenItsOwnDinas: a [[kabupaten_kota]] table
// of a province's file gives that one its office, contact and outlets; the
// others keep the province's.
func TestProvinceFileGivesAKabupatenItsOwnDinas(t *testing.T) {
	file := t.TempDir() + "/banten.toml"
	os.WriteFile(file, []byte(`code = "36"
name = "Provinsi Banten"
office = "Dinas Provinsi"
[[kabupaten_kota]]
code = "36.73"
office = "Dinas Kota"
contact = "Jl. Contoh 1"
[[kabupaten_kota.outlet]]
id = "galeri-contoh"
name = "Galeri Contoh"
address = "Jl. Contoh 2"
kecamatan = "Serang"
lat = -6.12
lon = 106.15
`), 0o644)
	r, err := flows.LoadRegion(file)
	if err != nil {
		t.Fatal(err)
	}
	kota, _ := r.Unit("36.73")
	kab, _ := r.Unit("36.04")
	if kota.Office != "Dinas Kota" || kota.Contact != "Jl. Contoh 1" || kab.Office != "Dinas Provinsi" {
		t.Errorf("offices: Kota Serang %q (%q), Kabupaten Serang %q", kota.Office, kota.Contact, kab.Office)
	}
	if len(r.Outlets) != 1 || r.Outlets[0].KabKota != "36.73" || len(kota.Outlets) != 1 {
		t.Errorf("outlets = %+v; want the one of Kota Serang, tagged 36.73, served province-wide", r.Outlets)
	}
}
