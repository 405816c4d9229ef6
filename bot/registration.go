package bot

import (
	"context"
	"time"
)

// Registration is a business registered with the Dinas.
type Registration struct {
	ID             string       `json:"id"`     // UMKM-3214-000123
	Region         string       `json:"region"` // Kemendagri code of the kabupaten/kota, "32.14"
	RegisteredAt   time.Time    `json:"registered_at"`
	Conv           Conversation `json:"-"`
	OwnerName      string       `json:"owner_name"`
	NIK            string       `json:"nik"`
	Phone          string       `json:"phone"` // E.164
	BusinessName   string       `json:"business_name"`
	Sector         string       `json:"sector"`    // sector code, e.g. "kuliner"
	Kecamatan      string       `json:"kecamatan"` // name as in the region file
	Desa           string       `json:"desa"`
	Address        string       `json:"address"`
	MainProducts   string       `json:"main_products"`
	CapitalBracket string       `json:"capital_bracket"` // bracket code, e.g. "le1m"
	SalesBracket   string       `json:"annual_sales_bracket"`
	SizeClass      string       `json:"size_class"` // mikro, kecil, menengah
	Workers        int          `json:"workers"`
	NIB            string       `json:"nib,omitempty"`
	Marketplaces   []string     `json:"marketplaces,omitempty"`
	ConsentAt      time.Time    `json:"consent_at"`
	ConsentVersion string       `json:"consent_version"`
	ConsentReply   string       `json:"consent_reply"`
	UpdatedAt      time.Time    `json:"updated_at"`
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
	UpdateRegistration(ctx context.Context, r *Registration) error
	// RegistrationFor returns the registration made from conversation c.
	RegistrationFor(ctx context.Context, region string, c Conversation) (*Registration, error)
	// RegistrationsByNIK returns the ids registered with nik in region.
	RegistrationsByNIK(ctx context.Context, region, nik string) ([]string, error)
	// Registration returns one registration by id.
	Registration(ctx context.Context, id string) (*Registration, error)
	// EachRegistration calls fn for every registration of region, oldest first.
	EachRegistration(ctx context.Context, region string, fn func(*Registration) error) error
}

// Region is the kabupaten/kota a deployment serves, loaded from its data file.
type Region struct {
	Code      string      `toml:"code"` // Kemendagri code, "32.14"
	Name      string      `toml:"name"` // "Kabupaten Purwakarta"
	Office    string      `toml:"office"`
	Contact   string      `toml:"contact"` // how owners reach the Dinas (phone, WhatsApp, address); empty until confirmed
	Kecamatan []Kecamatan `toml:"kecamatan"`
	Outlets   []Outlet    `toml:"outlet"` // galeri outlets (bot/outlet.go)
}

// Kecamatan is one district of a region.
type Kecamatan struct {
	Code    string   `toml:"code"` // "32.14.04"
	Name    string   `toml:"name"`
	Aliases []string `toml:"aliases"` // other spellings: "Babakan Cikao"
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
