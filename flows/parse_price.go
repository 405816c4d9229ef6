package flows

import (
	"strings"

	"github.com/umkmbot/umkmbot/bot"
)

// Price problems, the last part of the message id "jualan.harga.<reason>".
const (
	priceInvalid = "invalid"
	priceZero    = "zero"
	priceTooBig  = "too_big"
	priceFrac    = "fraction"
)

// MaxPrice is the highest price taken (Rp1 miliar): anything above is a typo.
const MaxPrice = 1_000_000_000

var priceUnits = map[string]int64{
	"": 1, "rupiah": 1, "perak": 1,
	"rb": 1_000, "ribu": 1_000, "rbu": 1_000, "rib": 1_000, "k": 1_000, "ebu": 1_000,
	"jt": 1_000_000, "juta": 1_000_000, "jta": 1_000_000,
	"m": 1_000_000_000, "milyar": 1_000_000_000, "miliar": 1_000_000_000, "myr": 1_000_000_000,
}

// ParsePrice reads a price in rupiah as owners type it: "15rb", "15 ribu",
// "Rp 15.000", "Rp15.000,-", "15000", "15.000,00", "1,5jt", "1.5 juta",
// "15k", "IDR 15000", optionally followed by "/pcs" or "per bungkus". It
// returns a whole number of rupiah above 0 and at most MaxPrice, or the
// reason it cannot ("invalid", "zero", "too_big", "fraction").
func ParsePrice(s string) (int64, string) {
	t := bot.Normalize(s)
	if i := strings.Index(t, "/"); i > 0 {
		t = strings.TrimSpace(t[:i])
	}
	if i := strings.Index(t, " per "); i > 0 {
		t = t[:i]
	}
	for _, p := range []string{"rp.", "rp", "idr", "harga"} {
		t = strings.TrimSpace(strings.TrimPrefix(t, p))
	}
	t = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(t, "-"), ","))
	t = strings.TrimSuffix(t, ".")
	num, unit := splitNumber(t)
	if num == "" {
		return 0, priceInvalid
	}
	unit = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(unit, ",-"), ".-"))
	mult, ok := priceUnits[unit]
	if !ok {
		return 0, priceInvalid
	}
	d, ok := parseDecimal(num, mult > 1)
	if !ok {
		return 0, priceInvalid
	}
	v, whole := d.times(mult)
	switch {
	case v == 0 && whole:
		return 0, priceZero
	case !whole:
		return 0, priceFrac
	case v > MaxPrice:
		return 0, priceTooBig
	}
	return v, ""
}
