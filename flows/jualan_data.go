package flows

import (
	_ "embed"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/umkmbot/umkmbot/bot"
)

//go:embed data/marketplaces.toml
var defaultMarketFile []byte

// Market is the marketplace data of a deployment (data/marketplaces.toml or
// the file MARKETPLACE_FILE names): selling targets, what each needs, its
// listing limits (0 = unknown) and the food permits.
type Market struct {
	HalalMandatoryFrom time.Time  `toml:"halal_mandatory_from"`
	Safe               Limits     `toml:"safe"`
	Targets            []Target   `toml:"target"`
	Regional           []Regional `toml:"regional"`
	Permits            []Permit   `toml:"permit"`
}

// Limits are listing limits; 0 means unknown (no check, and the bot says so
// where it matters).
type Limits struct {
	TitleMax       int      `toml:"title_max"`
	DescriptionMax int      `toml:"description_max"`
	PhotosMin      int      `toml:"photos_min"`
	PhotosMax      int      `toml:"photos_max"`
	PhotoMinPx     int      `toml:"photo_min_px"`
	PhotoMaxPx     int      `toml:"photo_max_px"`
	PhotoMaxBytes  int64    `toml:"photo_max_bytes"`
	Square         bool     `toml:"square"`
	Formats        []string `toml:"formats"` // MIME types; empty = any
}

// Target is somewhere to sell: a marketplace, the regional marketplace,
// e-Katalog or modern-retail curation.
type Target struct {
	ID        string   `toml:"id"`
	Name      string   `toml:"name"`
	Kind      string   `toml:"kind"` // marketplace, regional, government, retail
	Aliases   []string `toml:"aliases"`
	Listing   bool     `toml:"listing"`   // the listing builder writes drafts for it
	Confirmed bool     `toml:"confirmed"` // the steps are confirmed by the Dinas
	Limits
	ForbidOtherMarketplaces bool      `toml:"forbid_other_marketplaces"`
	Steps                   localList `toml:"steps"`
	Tips                    localList `toml:"tips"`
}

// Regional is a government marketplace of a province or kabupaten.
type Regional struct {
	RegionPrefix string    `toml:"region_prefix"`
	ID           string    `toml:"id"`
	Name         string    `toml:"name"`
	Confirmed    bool      `toml:"confirmed"`
	Steps        localList `toml:"steps"`
}

// Permit is a food permit buyers and curators look for.
type Permit struct {
	ID    string    `toml:"id"`
	Name  string    `toml:"name"`
	Group string    `toml:"group"` // permits of one group are alternatives
	How   localText `toml:"how"`
}

// localText is a text of the data file per language ("id", "en").
type localText map[string]string

// localList is a list of texts per language.
type localList map[string][]string

func (l localText) in(lang string) string {
	if s := l[lang]; s != "" {
		return s
	}
	return l["id"]
}

func (l localList) in(lang string) []string {
	if s := l[lang]; len(s) > 0 {
		return s
	}
	return l["id"]
}

// LoadMarket reads the marketplace data at path, or the embedded default
// when path is "".
func LoadMarket(path string) (*Market, error) {
	data := defaultMarketFile
	name := "embedded marketplaces.toml"
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("read marketplace data: %w", err)
		}
		name = path
	}
	var m Market
	if err := toml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("marketplace data %s: %w", name, err)
	}
	if d := m.HalalMandatoryFrom; !d.IsZero() {
		m.HalalMandatoryFrom = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, bot.Jakarta)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("marketplace data %s: %w", name, err)
	}
	return &m, nil
}

func (m *Market) validate() error {
	if len(m.Targets) == 0 {
		return fmt.Errorf("no [[target]]")
	}
	seen := map[string]bool{}
	for _, t := range m.Targets {
		if t.ID == "" || seen[t.ID] {
			return fmt.Errorf("target with empty or duplicate id %q", t.ID)
		}
		seen[t.ID] = true
		if t.Kind != "regional" && (t.Name == "" || len(t.Steps["id"]) == 0) {
			return fmt.Errorf("target %s: name and Indonesian steps are required", t.ID)
		}
		if t.TitleMax < 0 || t.DescriptionMax < 0 || t.PhotosMin < 0 || t.PhotosMax < 0 || (t.PhotosMax > 0 && t.PhotosMin > t.PhotosMax) {
			return fmt.Errorf("target %s: negative or contradictory limits", t.ID)
		}
	}
	for _, p := range m.Permits {
		if p.ID == "" || p.Name == "" || p.How["id"] == "" {
			return fmt.Errorf("permit %q: id, name and how.id are required", p.ID)
		}
	}
	return nil
}

var embeddedMarket = func() *Market {
	m, err := LoadMarket("")
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return m
}()

// target returns the target with id, nil if none.
func (m *Market) target(id string) *Target {
	for i := range m.Targets {
		if m.Targets[i].ID == id {
			return &m.Targets[i]
		}
	}
	return nil
}

// regional returns the regional marketplace of a region code, nil if none.
func (m *Market) regional(region string) *Regional {
	for i, r := range m.Regional {
		if r.RegionPrefix != "" && (region == r.RegionPrefix || strings.HasPrefix(region, r.RegionPrefix+".")) {
			return &m.Regional[i]
		}
	}
	return nil
}
