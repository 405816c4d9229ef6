package flows

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The Kemendagri 2025 code list (../shared/wilayah, MIT: data/wilayah/LICENSE),
// in the compact form cmd/wilayahgen makes of it.
//
//go:generate go run ../cmd/wilayahgen -in ../../shared/wilayah/wilayah-kepmendagri-2025.csv -out data/wilayah
//go:embed data/wilayah/index.tsv data/wilayah/*.tsv.gz
var wilayahFS embed.FS

// wilayahEntry is one entry of the code list.
type wilayahEntry struct{ code, name string }

// isProvince and isKabupaten tell the level by the shape of the code.
func isProvince(code string) bool  { return len(code) == 2 }
func isKabupaten(code string) bool { return len(code) == 5 }

// wilayahIndex is every province and kabupaten/kota, in code order.
var wilayahIndex = sync.OnceValues(func() ([]wilayahEntry, error) {
	data, err := wilayahFS.ReadFile("data/wilayah/index.tsv")
	if err != nil {
		return nil, err
	}
	return parsePlaces(data)
})

func parsePlaces(data []byte) ([]wilayahEntry, error) {
	var out []wilayahEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		code, name, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			return nil, fmt.Errorf("wilayah: bad line %q", sc.Text())
		}
		out = append(out, wilayahEntry{code, name})
	}
	return out, sc.Err()
}

// indexName returns the name of a province or kabupaten/kota code.
func indexName(code string) (string, bool) {
	idx, err := wilayahIndex()
	if err != nil {
		return "", false
	}
	i := sort.Search(len(idx), func(i int) bool { return idx[i].code >= code })
	if i < len(idx) && idx[i].code == code {
		return idx[i].name, true
	}
	return "", false
}

// kabupatenOf returns the kabupaten/kota codes of a province, in code order.
func kabupatenOf(province string) []string {
	idx, _ := wilayahIndex()
	var out []string
	for _, p := range idx {
		if isKabupaten(p.code) && p.code[:2] == province {
			out = append(out, p.code)
		}
	}
	return out
}

var (
	provinceMu    sync.Mutex
	provinceCache = map[string][]wilayahEntry{}
)

// provincePlaces returns the kecamatan and desa/kelurahan of a province,
// read once.
func provincePlaces(pp string) ([]wilayahEntry, error) {
	provinceMu.Lock()
	defer provinceMu.Unlock()
	if p, ok := provinceCache[pp]; ok {
		return p, nil
	}
	z, err := wilayahFS.ReadFile("data/wilayah/" + pp + ".tsv.gz")
	if err != nil {
		return nil, fmt.Errorf("wilayah: no province %s", pp)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, fmt.Errorf("wilayah %s: %w", pp, err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(zr); err != nil {
		return nil, fmt.Errorf("wilayah %s: %w", pp, err)
	}
	p, err := parsePlaces(buf.Bytes())
	if err != nil {
		return nil, err
	}
	provinceCache[pp] = p
	return p, nil
}

// kabupatenRegion returns a kabupaten/kota as the code list has it: code,
// name, and its kecamatan with their desa/kelurahan, in code order.
func kabupatenRegion(code string) (umkm.Region, error) {
	name, ok := indexName(code)
	if !ok || !isKabupaten(code) {
		return umkm.Region{}, fmt.Errorf("%q is not a kabupaten/kota code of the Kemendagri list", code)
	}
	places, err := provincePlaces(code[:2])
	if err != nil {
		return umkm.Region{}, err
	}
	r := umkm.Region{Code: code, Name: name}
	prefix := code + "."
	i := sort.Search(len(places), func(i int) bool { return places[i].code >= prefix })
	for ; i < len(places) && strings.HasPrefix(places[i].code, prefix); i++ {
		p := places[i]
		switch len(p.code) {
		case 8:
			r.Kecamatan = append(r.Kecamatan, umkm.Kecamatan{Code: p.code, Name: p.name})
		case 13:
			if n := len(r.Kecamatan); n > 0 && strings.HasPrefix(p.code, r.Kecamatan[n-1].Code+".") {
				r.Kecamatan[n-1].Desa = append(r.Kecamatan[n-1].Desa, umkm.Desa{Code: p.code, Name: p.name})
			}
		}
	}
	if len(r.Kecamatan) == 0 {
		return umkm.Region{}, fmt.Errorf("kabupaten/kota %s has no kecamatan in the list", code)
	}
	return r, nil
}

// placeOptions are the provinces and kabupaten/kota as options to match
// a name against: "Kota Serang", "serang" (ambiguous with Kabupaten
// Serang), "kab. serang", "Provinsi Banten", "banten".
func placeOptions() []bot.Option {
	idx, _ := wilayahIndex()
	opts := make([]bot.Option, 0, len(idx))
	for _, p := range idx {
		opts = append(opts, bot.Option{Value: p.code, Label: bot.Raw(p.name), Alias: placeAliases(p)})
	}
	return opts
}

func placeAliases(p wilayahEntry) []string {
	if isProvince(p.code) {
		return []string{"Provinsi " + p.name, "Prov " + p.name}
	}
	if rest, ok := strings.CutPrefix(p.name, "Kabupaten "); ok {
		return []string{rest, "Kab " + rest, "Kab. " + rest}
	}
	if rest, ok := strings.CutPrefix(p.name, "Kota "); ok {
		return []string{rest}
	}
	return nil
}
