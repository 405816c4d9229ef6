package flows

import (
	"strings"

	"github.com/umkmbot/umkmbot/bot"
)

// Weight problems, the last part of the message id "jualan.berat.<reason>".
const (
	weightInvalid = "invalid"
	weightUnit    = "unit"   // a bare small number: grams or kilos?
	weightVolume  = "volume" // ml or liter given: marketplaces want grams
	weightZero    = "zero"
	weightTooBig  = "too_big"
)

// MaxWeight is the heaviest product taken, in grams (100 kg).
const MaxWeight = 100_000

var weightUnits = map[string]int64{ // milligrams per unit, so fractions of grams stay exact
	"g": 1_000, "gr": 1_000, "grm": 1_000, "gram": 1_000, "grams": 1_000, "gm": 1_000,
	"ons": 100_000, "on": 100_000,
	"kg": 1_000_000, "kilo": 1_000_000, "kilogram": 1_000_000, "kgs": 1_000_000, "kilo gram": 1_000_000,
}

var volumeUnits = map[string]bool{"ml": true, "l": true, "lt": true, "ltr": true, "liter": true, "litre": true, "cc": true}

var fractionWords = map[string][2]int64{
	"1/2": {1, 2}, "½": {1, 2}, "setengah": {1, 2}, "stgh": {1, 2}, "1/4": {1, 4}, "¼": {1, 4}, "seperempat": {1, 4},
	"3/4": {3, 4}, "¾": {3, 4}, "tiga perempat": {3, 4},
}

// ParseWeight reads a weight as owners type it and returns grams: "250 gr",
// "250g", "250 gram", "0,25 kg", "1 kilo", "1,5kg", "2 ons" (1 ons = 100 g),
// "1/4 kg", "setengah kilo". A bare number of at least 10 is grams; a bare
// smaller one needs a unit. A volume ("600 ml") is refused: marketplaces
// ask for the weight in grams. Fractions of a gram are rounded. It returns
// the reason it cannot ("invalid", "unit", "volume", "zero", "too_big").
func ParseWeight(s string) (int, string) {
	t := bot.Normalize(s)
	for _, p := range []string{"berat", "beratnya", "kurang lebih", "sekitar", "±", "+-"} {
		t = strings.TrimSpace(strings.TrimPrefix(t, p))
	}
	var mg int64
	if f, unit, ok := fractionPrefix(t); ok {
		per, known := weightUnits[unit]
		if !known || per < 100_000 {
			return 0, weightInvalid
		}
		mg = per * f[0] / f[1]
	} else {
		num, unit := splitNumber(t)
		if num == "" {
			return 0, weightInvalid
		}
		unit = strings.TrimSuffix(unit, ".")
		if volumeUnits[unit] {
			return 0, weightVolume
		}
		per, known := weightUnits[unit]
		if unit == "" {
			per, known = 1_000, true
		}
		if !known {
			return 0, weightInvalid
		}
		d, ok := parseDecimal(num, per >= 100_000)
		if !ok {
			return 0, weightInvalid
		}
		if unit == "" && (d.Int < 10 || d.Frac != "") {
			return 0, weightUnit
		}
		if d.Int > MaxWeight {
			return 0, weightTooBig
		}
		mg, _ = d.times(per) // exact up to a milligram; the remainder is below one
	}
	g := (mg + 500) / 1_000
	switch {
	case g <= 0:
		return 0, weightZero
	case g > MaxWeight:
		return 0, weightTooBig
	}
	return int(g), ""
}

// fractionPrefix reads "1/4 kg", "setengah kilo", "½kg".
func fractionPrefix(t string) ([2]int64, string, bool) {
	for w, f := range fractionWords {
		if rest, ok := strings.CutPrefix(t, w); ok {
			return f, strings.TrimSpace(rest), true
		}
	}
	return [2]int64{}, "", false
}
