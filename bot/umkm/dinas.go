package umkm

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// DinasContact is how owners reach the Dinas: the [dinas] table of a region
// file (issue 10). Every fact is either given or named in Unknown, so a
// missing fact is a decision in the data, not an oversight; the bot then
// tells owners to ask through the petugas menu instead of guessing. Office
// hours are the region's [hours] (OfficeHours).
//
//	[dinas]
//	address = "Jl. …"
//	phone = "(0264) …"
//	whatsapp = "0812…"
//	email = "…@….go.id"
//	unknown = []                 # e.g. ["email"]
//	source = "SK …, website of the Dinas (2026-11)"
//	confirmed = true             # the Dinas checked these facts
type DinasContact struct {
	Office    string   `toml:"office"` // empty: the region's office
	Address   string   `toml:"address"`
	Phone     string   `toml:"phone"`
	WhatsApp  string   `toml:"whatsapp"`
	Email     string   `toml:"email"`
	Unknown   []string `toml:"unknown"`   // facts not known: address, phone, whatsapp, email
	Source    string   `toml:"source"`    // where the facts come from
	Confirmed bool     `toml:"confirmed"` // the Dinas confirmed them
}

// DinasFacts are the facts of a contact block, in the order shown.
var DinasFacts = []string{"address", "phone", "whatsapp", "email"}

// Fact returns the value of one of DinasFacts.
func (c DinasContact) Fact(name string) string {
	switch name {
	case "address":
		return c.Address
	case "phone":
		return c.Phone
	case "whatsapp":
		return c.WhatsApp
	case "email":
		return c.Email
	}
	return ""
}

// Validate checks that every fact is given or declared unknown (not both)
// and that the source is named.
func (c DinasContact) Validate() error {
	var errs []error
	for _, u := range c.Unknown {
		if !slices.Contains(DinasFacts, u) {
			errs = append(errs, fmt.Errorf("unknown = %q is not one of %s", u, strings.Join(DinasFacts, ", ")))
		}
	}
	for _, f := range DinasFacts {
		given, unknown := strings.TrimSpace(c.Fact(f)) != "", slices.Contains(c.Unknown, f)
		switch {
		case given && unknown:
			errs = append(errs, fmt.Errorf("%s is given and also listed in unknown", f))
		case !given && !unknown:
			errs = append(errs, fmt.Errorf("%s is missing: give it, or list it in unknown = [...] so the bot says it is not known", f))
		}
	}
	if strings.TrimSpace(c.Source) == "" {
		errs = append(errs, errors.New("source is missing: say where the facts come from"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("[dinas]: %w", err)
	}
	return nil
}
