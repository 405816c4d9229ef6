package flows

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/umkmbot/umkmbot/bot"
)

//go:embed data/regions/*.toml
var regionFiles embed.FS

// Regions lists the embedded region names ("purwakarta", …).
func Regions() []string {
	files, _ := fs.Glob(regionFiles, "data/regions/*.toml")
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, strings.TrimSuffix(path.Base(f), ".toml"))
	}
	sort.Strings(names)
	return names
}

// LoadRegion returns a region: an embedded one by name ("purwakarta") or
// Kemendagri code ("32.14"), or the file at a path ending in ".toml" (a
// deployment's own data, overriding the embedded default).
func LoadRegion(name string) (bot.Region, error) {
	var data []byte
	var err error
	if strings.HasSuffix(name, ".toml") {
		data, err = os.ReadFile(name)
	} else {
		data, err = embeddedRegion(name)
	}
	if err != nil {
		return bot.Region{}, err
	}
	var r bot.Region
	if err := toml.Unmarshal(data, &r); err != nil {
		return bot.Region{}, fmt.Errorf("region %s: %w", name, err)
	}
	if r.Code == "" || r.Name == "" || len(r.Kecamatan) == 0 {
		return bot.Region{}, fmt.Errorf("region %s: code, name and kecamatan are required", name)
	}
	return r, nil
}

func embeddedRegion(name string) ([]byte, error) {
	for _, n := range Regions() {
		data, err := regionFiles.ReadFile("data/regions/" + n + ".toml")
		if err != nil {
			return nil, err
		}
		if n == name {
			return data, nil
		}
		var r struct {
			Code string `toml:"code"`
		}
		if toml.Unmarshal(data, &r) == nil && r.Code == name {
			return data, nil
		}
	}
	return nil, fmt.Errorf("unknown region %q (embedded: %s; or give a path to a .toml file)", name, strings.Join(Regions(), ", "))
}
