package flows

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Region data files: what the code list does not have (the Dinas, its
// contact, galeri outlets, other spellings of kecamatan), by region code.
//
//go:embed data/regions/*.toml
var regionFiles embed.FS

// Regions lists the embedded region names ("banten", "purwakarta", …).
func Regions() []string {
	files, _ := fs.Glob(regionFiles, "data/regions/*.toml")
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, strings.TrimSuffix(path.Base(f), ".toml"))
	}
	sort.Strings(names)
	return names
}

// LoadRegion returns what a deployment serves, from REGION:
//   - a kabupaten/kota by code or name: "32.14", "3214", "purwakarta",
//     "Kota Serang", "kab. serang" (small typos tolerated);
//   - a province by code or name: "36", "banten", "Provinsi Banten";
//   - a comma list of these ("36.73, 36.04"), all in one province;
//   - the path of a .toml file (a deployment's own data).
//
// Kecamatan and desa/kelurahan come from the Kemendagri code list; the
// embedded data file of a code (purwakarta.toml is 32.14) adds the Dinas,
// its contact, outlets and kecamatan aliases. A province, or a list of
// more than one kabupaten/kota, gives a Region with Units.
func LoadRegion(spec string) (umkm.Region, error) {
	spec = strings.TrimSpace(spec)
	if strings.HasSuffix(spec, ".toml") {
		return loadRegionFile(spec)
	}
	var codes []string
	province := ""
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		code, err := resolvePlace(part)
		if err != nil {
			return umkm.Region{}, err
		}
		if isProvince(code) {
			province = code
			codes = append(codes, kabupatenOf(code)...)
		} else {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	codes = slices.Compact(codes)
	switch {
	case len(codes) == 0:
		return umkm.Region{}, fmt.Errorf("REGION is empty: give a kabupaten/kota or province (32.14, purwakarta, banten)")
	case len(codes) == 1 && province == "":
		facts, err := embeddedFacts(codes[0])
		if err != nil {
			return umkm.Region{}, err
		}
		return withList(facts, codes[0])
	}
	pp := codes[0][:2]
	for _, c := range codes {
		if c[:2] != pp {
			return umkm.Region{}, fmt.Errorf("REGION %q: the kabupaten/kota of one deployment must be in one province", spec)
		}
	}
	facts, err := embeddedFacts(pp)
	if err != nil {
		return umkm.Region{}, err
	}
	if province == "" || len(codes) != len(kabupatenOf(pp)) {
		// a list: named by its members, facts of the province kept
		names := make([]string, len(codes))
		for i, c := range codes {
			names[i], _ = indexName(c)
		}
		facts.Name = strings.Join(names, ", ")
	}
	return withUnits(facts, codes)
}

var codeLike = regexp.MustCompile(`^\d{2}(\.?\d{2})?$`)

// resolvePlace reads a province or kabupaten/kota by code, embedded file
// name or name.
func resolvePlace(s string) (string, error) {
	if codeLike.MatchString(s) {
		code := s
		if len(s) == 4 {
			code = s[:2] + "." + s[2:]
		}
		if _, ok := indexName(code); ok {
			return code, nil
		}
		return "", fmt.Errorf("REGION %q: no province or kabupaten/kota has this code", s)
	}
	if slices.Contains(Regions(), strings.ToLower(s)) {
		var r struct {
			Code string `toml:"code"`
		}
		data, err := regionFiles.ReadFile("data/regions/" + strings.ToLower(s) + ".toml")
		if err == nil {
			err = toml.Unmarshal(data, &r)
		}
		if err != nil {
			return "", fmt.Errorf("region %s: %w", s, err)
		}
		return r.Code, nil
	}
	opts := placeOptions()
	if o, ok := bot.MatchOption(s, opts); ok {
		return o.Value, nil
	}
	var near []string
	for _, o := range bot.RankOptions(s, opts, 4) {
		near = append(near, fmt.Sprintf("%s (%s)", o.Label.Raw, o.Value))
	}
	if len(near) > 0 {
		return "", fmt.Errorf("REGION %q is unclear: did you mean %s? Give the name in full or the code", s, strings.Join(near, ", "))
	}
	return "", fmt.Errorf("REGION %q: no province or kabupaten/kota of that name (give a code such as 32.14, a name such as Kota Serang, or a path to a .toml file)", s)
}

// embeddedFacts returns the embedded data file of a code, or a Region with
// only the code and its listed name when there is none.
func embeddedFacts(code string) (umkm.Region, error) {
	for _, n := range Regions() {
		data, err := regionFiles.ReadFile("data/regions/" + n + ".toml")
		if err != nil {
			return umkm.Region{}, err
		}
		var r umkm.Region
		if err := toml.Unmarshal(data, &r); err != nil {
			return umkm.Region{}, fmt.Errorf("region %s: %w", n, err)
		}
		if r.Code == code {
			return r, nil
		}
	}
	name, _ := indexName(code)
	return umkm.Region{Code: code, Name: name}, nil
}

// loadRegionFile reads a deployment's own data file. A code the list knows
// takes its kecamatan and desa from the list (the file's [[kecamatan]]
// tables add aliases); otherwise the file's own kecamatan are used.
func loadRegionFile(file string) (umkm.Region, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return umkm.Region{}, err
	}
	var r umkm.Region
	if err := toml.Unmarshal(data, &r); err != nil {
		return umkm.Region{}, fmt.Errorf("region %s: %w", file, err)
	}
	if _, listed := indexName(r.Code); listed {
		if isProvince(r.Code) {
			return withUnits(r, kabupatenOf(r.Code))
		}
		return withList(r, r.Code)
	}
	if r.Code == "" || r.Name == "" || len(r.Kecamatan) == 0 {
		return umkm.Region{}, fmt.Errorf("region %s: code, name and kecamatan are required for a region not in the Kemendagri list", file)
	}
	if r.Dinas != nil {
		if err := r.Dinas.Validate(); err != nil {
			return umkm.Region{}, fmt.Errorf("region %s: %w", file, err)
		}
	}
	return r, nil
}

// withList returns kabupaten/kota code from the list with the facts of its
// data file: office, contact, outlets and kecamatan aliases (by code).
func withList(facts umkm.Region, code string) (umkm.Region, error) {
	r, err := kabupatenRegion(code)
	if err != nil {
		return umkm.Region{}, err
	}
	r.Office, r.Contact, r.Outlets, r.Hours, r.Dinas = facts.Office, facts.Contact, facts.Outlets, facts.Hours, facts.Dinas
	if r.Hours != nil {
		if err := r.Hours.Validate(); err != nil {
			return umkm.Region{}, fmt.Errorf("region %s: %w", code, err)
		}
	}
	if r.Dinas != nil {
		if err := r.Dinas.Validate(); err != nil {
			return umkm.Region{}, fmt.Errorf("region %s: %w", code, err)
		}
	}
	for _, fk := range facts.Kecamatan {
		i := slices.IndexFunc(r.Kecamatan, func(k umkm.Kecamatan) bool { return k.Code == fk.Code })
		if i < 0 {
			return umkm.Region{}, fmt.Errorf("region %s: kecamatan %s %q is not in the Kemendagri list", code, fk.Code, fk.Name)
		}
		if fk.Name != "" && fk.Name != r.Kecamatan[i].Name {
			return umkm.Region{}, fmt.Errorf("region %s: kecamatan %s is %q in the Kemendagri list, not %q", code, fk.Code, r.Kecamatan[i].Name, fk.Name)
		}
		r.Kecamatan[i].Aliases = append(r.Kecamatan[i].Aliases, fk.Aliases...)
	}
	return r, nil
}

// withUnits returns a deployment of several kabupaten/kota: facts (the
// province's office, contact, outlets) and one unit per code, each with its
// own data file's facts or the [[kabupaten_kota]] table of facts, else the
// province's office and contact.
func withUnits(facts umkm.Region, codes []string) (umkm.Region, error) {
	r := facts
	r.Units = nil
	if r.Name == "" {
		r.Name, _ = indexName(r.Code)
	}
	for _, c := range codes {
		own, err := embeddedFacts(c)
		if err != nil {
			return umkm.Region{}, err
		}
		for _, u := range facts.Units {
			if u.Code == c {
				own = mergeFacts(own, u)
			}
		}
		if own.Office == "" { // no Dinas of its own: the province's, with its contact and hours
			own.Office, own.Contact, own.Dinas = facts.Office, facts.Contact, facts.Dinas
			if own.Hours == nil {
				own.Hours = facts.Hours
			}
		}
		u, err := withList(own, c)
		if err != nil {
			return umkm.Region{}, err
		}
		for i := range u.Outlets {
			if u.Outlets[i].KabKota == "" {
				u.Outlets[i].KabKota = c
			}
		}
		r.Units = append(r.Units, u)
		r.Outlets = append(r.Outlets, u.Outlets...) // the galeri serves the whole deployment
	}
	return r, nil
}

// mergeFacts lays the non-empty facts of over onto base.
func mergeFacts(base, over umkm.Region) umkm.Region {
	if over.Office != "" {
		base.Office = over.Office
	}
	if over.Contact != "" {
		base.Contact = over.Contact
	}
	if over.Dinas != nil {
		base.Dinas = over.Dinas
	}
	if over.Hours != nil {
		base.Hours = over.Hours
	}
	base.Outlets = append(base.Outlets, over.Outlets...)
	base.Kecamatan = append(base.Kecamatan, over.Kecamatan...)
	return base
}
