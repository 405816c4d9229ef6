package umkm

import (
	"context"
	"errors"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// Registration is a business registered with the Dinas.
type Registration struct {
	ID             string           `json:"id"`     // UMKM-3214-000123
	Region         string           `json:"region"` // Kemendagri code of the kabupaten/kota, "32.14"
	RegisteredAt   time.Time        `json:"registered_at"`
	Conv           bot.Conversation `json:"-"`
	OwnerName      string           `json:"owner_name"`
	NIK            string           `json:"nik"`
	Phone          string           `json:"phone"` // E.164
	BusinessName   string           `json:"business_name"`
	Sector         string           `json:"sector"`    // sector code, e.g. "kuliner"
	Kecamatan      string           `json:"kecamatan"` // name as in the region file
	Desa           string           `json:"desa"`
	Address        string           `json:"address"`
	MainProducts   string           `json:"main_products"`
	CapitalBracket string           `json:"capital_bracket"` // bracket code, e.g. "le1m"
	SalesBracket   string           `json:"annual_sales_bracket"`
	SizeClass      string           `json:"size_class"` // mikro, kecil, menengah
	Workers        int              `json:"workers"`
	NIB            string           `json:"nib,omitempty"`
	Marketplaces   []string         `json:"marketplaces,omitempty"`
	ConsentAt      time.Time        `json:"consent_at"`
	ConsentVersion string           `json:"consent_version"`
	ConsentReply   string           `json:"consent_reply"`
	UpdatedAt      time.Time        `json:"updated_at"`
	// DesaCode is the Kemendagri code of the desa/kelurahan picked from the
	// list ("32.14.04.2009"), DesaUnlisted when the owner wrote a place the
	// list does not have (kept as typed in Desa); both empty for
	// registrations made before the list.
	DesaCode     string `json:"desa_code,omitempty"`
	DesaUnlisted bool   `json:"desa_unlisted,omitempty"`
}

// DuplicateNIKError says a NIK already has as many registrations in the
// region as the Dinas allows.
type DuplicateNIKError struct {
	Existing string // registration id
}

func (e *DuplicateNIKError) Error() string { return "NIK already registered as " + e.Existing }

// RegistrationStore keeps registrations durably.
type RegistrationStore interface {
	// CreateRegistration assigns r a number from the region's sequence and
	// stores it, unless the NIK already has maxPerNIK registrations in the
	// region (a *DuplicateNIKError naming one). Creating again for the same
	// conversation and NIK returns the existing registration: a turn that
	// runs twice registers once.
	CreateRegistration(ctx context.Context, r *Registration, maxPerNIK int) error
	// UpdateRegistration rewrites r (same id, same NIK index entry unless
	// the NIK changed).
	// A registration stays in its kabupaten/kota (its id and keys are of
	// it): a different r.Region is refused with ErrRegionMove.
	UpdateRegistration(ctx context.Context, r *Registration) error
	// RegistrationFor returns the registration made from conversation c.
	RegistrationFor(ctx context.Context, region string, c bot.Conversation) (*Registration, error)
	// RegistrationsByNIK returns the ids registered with nik in region.
	RegistrationsByNIK(ctx context.Context, region, nik string) ([]string, error)
	// Registration returns one registration by id.
	Registration(ctx context.Context, id string) (*Registration, error)
	// EachRegistration calls fn for every registration of region, oldest first.
	EachRegistration(ctx context.Context, region string, fn func(*Registration) error) error
}

// Region is what a deployment serves: one kabupaten/kota, or several
// (a province, or a list), each then one of Units. Its kecamatan and desa
// come from the Kemendagri code list; the rest from its data file.
type Region struct {
	Code      string        `toml:"code"` // Kemendagri code, "32.14"; a province's "36"
	Name      string        `toml:"name"` // "Kabupaten Purwakarta"
	Office    string        `toml:"office"`
	Contact   string        `toml:"contact"` // older free-text contact, shown when there is no [dinas] table
	Dinas     *DinasContact `toml:"dinas"`   // how owners reach the Dinas (bot/umkm/dinas.go); nil: not known at all
	Hours     *OfficeHours  `toml:"hours"`   // front-desk hours for the hand-over to an officer; nil: DefaultOfficeHours
	Kecamatan []Kecamatan   `toml:"kecamatan"`
	Outlets   []Outlet      `toml:"outlet"` // galeri outlets (bot/outlet.go)
	// Units are the kabupaten/kota of a deployment that serves several, in
	// code order; empty when it serves one (then the Region is that one).
	// In a data file, [[kabupaten_kota]] tables give one its own office,
	// contact or outlets.
	Units []Region `toml:"kabupaten_kota"`
}

// Kecamatan is one district of a region.
type Kecamatan struct {
	Code    string   `toml:"code"` // "32.14.04"
	Name    string   `toml:"name"`
	Aliases []string `toml:"aliases"` // other spellings: "Babakan Cikao"
	Desa    []Desa   `toml:"-"`       // from the code list, in code order
}

// Desa is a desa (code .2xxx) or kelurahan (.1xxx) of a kecamatan.
type Desa struct {
	Code string // "32.14.04.2009"
	Name string // "Anjun"
}

// Multi reports whether the deployment serves several kabupaten/kota.
func (r Region) Multi() bool { return len(r.Units) > 0 }

// Served returns the kabupaten/kota the deployment serves: its Units, or
// the region itself.
func (r Region) Served() []Region {
	if r.Multi() {
		return r.Units
	}
	return []Region{r}
}

// Unit returns the served kabupaten/kota with code; ok is false when the
// deployment does not serve it.
func (r Region) Unit(code string) (Region, bool) {
	for _, u := range r.Served() {
		if u.Code == code {
			return u, true
		}
	}
	return Region{}, false
}

// FindKecamatan returns the kecamatan named name (as stored in answers and
// registrations).
func (r Region) FindKecamatan(name string) (Kecamatan, bool) {
	for _, k := range r.Kecamatan {
		if k.Name == name {
			return k, true
		}
	}
	return Kecamatan{}, false
}

// CodeDigits returns the code without dots ("3214"), as used in
// registration numbers.
func (r Region) CodeDigits() string {
	b := make([]byte, 0, len(r.Code))
	for i := 0; i < len(r.Code); i++ {
		if r.Code[i] != '.' {
			b = append(b, r.Code[i])
		}
	}
	return string(b)
}

// ServedRegistrations returns s for a deployment that serves region: asked
// about region's own code, a deployment of several kabupaten/kota looks in
// each of them (registrations, numbers and NIK checks stay per
// kabupaten/kota). One kabupaten/kota gets s itself.
func ServedRegistrations(region Region, s RegistrationStore) RegistrationStore {
	if !region.Multi() || s == nil {
		return s
	}
	if sr, ok := s.(servedRegistrations); ok {
		s = sr.RegistrationStore
	}
	return servedRegistrations{s, region}
}

// RegistrationFinder is an optional capability of a RegistrationStore:
// the registration of conversation c in any of several regions in one
// round trip (a deployment of several kabupaten/kota asks on every turn).
type RegistrationFinder interface {
	RegistrationForAny(ctx context.Context, regions []string, c bot.Conversation) (*Registration, error)
}

type servedRegistrations struct {
	RegistrationStore
	region Region
}

func (s servedRegistrations) RegistrationFor(ctx context.Context, region string, c bot.Conversation) (*Registration, error) {
	if region != s.region.Code {
		return s.RegistrationStore.RegistrationFor(ctx, region, c)
	}
	if f, ok := s.RegistrationStore.(RegistrationFinder); ok {
		codes := make([]string, len(s.region.Units))
		for i, u := range s.region.Units {
			codes[i] = u.Code
		}
		return f.RegistrationForAny(ctx, codes, c)
	}
	for _, u := range s.region.Units {
		r, err := s.RegistrationStore.RegistrationFor(ctx, u.Code, c)
		if !errors.Is(err, bot.ErrNotFound) {
			return r, err
		}
	}
	return nil, bot.ErrNotFound
}

func (s servedRegistrations) RegistrationsByNIK(ctx context.Context, region, nik string) ([]string, error) {
	if region != s.region.Code {
		return s.RegistrationStore.RegistrationsByNIK(ctx, region, nik)
	}
	var all []string
	for _, u := range s.region.Units {
		ids, err := s.RegistrationStore.RegistrationsByNIK(ctx, u.Code, nik)
		if err != nil {
			return nil, err
		}
		all = append(all, ids...)
	}
	return all, nil
}

func (s servedRegistrations) CountAudience(ctx context.Context, region string, a Audience) (map[bot.ChannelID]int, error) {
	c, ok := s.RegistrationStore.(AudienceCounter)
	if !ok {
		return nil, ErrNoIndex
	}
	if region != s.region.Code {
		return c.CountAudience(ctx, region, a)
	}
	total := map[bot.ChannelID]int{}
	for _, u := range s.region.Units {
		n, err := c.CountAudience(ctx, u.Code, a)
		if err != nil {
			return nil, err
		}
		for ch, k := range n {
			total[ch] += k
		}
	}
	return total, nil
}

func (s servedRegistrations) EachRegistration(ctx context.Context, region string, fn func(*Registration) error) error {
	if region != s.region.Code {
		return s.RegistrationStore.EachRegistration(ctx, region, fn)
	}
	for _, u := range s.region.Units {
		if err := s.RegistrationStore.EachRegistration(ctx, u.Code, fn); err != nil {
			return err
		}
	}
	return nil
}

// ErrRegionMove says a registration cannot move to another kabupaten/kota
// by an update: its number (UMKM-3604-…) and its storage belong to the
// one it was made in. The Dinas moves it (erase and register again).
var ErrRegionMove = errors.New("a registration cannot move to another kabupaten/kota")
