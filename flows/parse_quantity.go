package flows

import (
	"strings"
	"unicode"

	"github.com/umkmbot/umkmbot/bot"
)

// Pack words that stand for a number of pieces: "2 lusin" is 24.
var packSizes = map[string]int{"lusin": 12, "lsn": 12, "dozen": 12, "kodi": 20, "gros": 144, "gross": 144}

// Units that measure something other than a count of pieces, by kind (the
// kind names the reason in jualan.stok.unit.<kind>).
var foreignUnits = map[string]string{
	"g": "weight", "gr": "weight", "gram": "weight", "grm": "weight", "kg": "weight", "kilo": "weight",
	"kilogram": "weight", "ons": "weight", "ton": "weight", "kwintal": "weight", "mg": "weight",
	"ml": "volume", "l": "volume", "lt": "volume", "ltr": "volume", "liter": "volume", "cc": "volume",
	"cm": "length", "mm": "length", "meter": "length", "mtr": "length", "km": "length",
	"rp": "money", "rupiah": "money", "rb": "money", "ribu": "money", "jt": "money", "juta": "money", "k": "money",
}

// ParseQuantity reads a number of pieces: what bot.ParseCount reads, and
// pack words ("2 lusin" = 24, "1 kodi" = 20, "setengah lusin" = 6). A unit
// of weight, volume, length or money ("250gr", "2 kg", "5rb") is refused:
// unit is then its kind ("weight", "volume", "length", "money").
func ParseQuantity(s string) (n int, unit string, ok bool) {
	norm := bot.Normalize(s)
	ws := strings.FieldsFunc(norm, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ',' && r != '.' })
	// Split "250gr" / "2lusin" into number and word.
	var toks []string
	for _, w := range ws {
		i := strings.IndexFunc(w, unicode.IsLetter)
		if i > 0 && w[0] >= '0' && w[0] <= '9' {
			toks = append(toks, w[:i], w[i:])
		} else {
			toks = append(toks, w)
		}
	}
	for i, w := range toks {
		if kind, bad := foreignUnits[w]; bad && i > 0 && startsWithDigit(toks[i-1]) {
			if kind == "money" && (w == "ribu" || w == "rb" || w == "k") && !moneyAround(toks) {
				continue // "2 ribu" pieces
			}
			return 0, kind, false
		}
		if w == "rp" || w == "idr" {
			return 0, "money", false
		}
		size, pack := packSizes[w]
		if !pack {
			continue
		}
		count := 1
		if i > 0 {
			before := strings.Join(toks[:i], " ")
			if before == "setengah" || before == "1/2" || before == "stengah" {
				return size / 2, "", true
			}
			c, ok := bot.ParseCount(before)
			if !ok {
				return 0, "", false
			}
			count = c
		}
		if rest := toks[i+1:]; len(rest) > 0 {
			extra, ok := bot.ParseCount(strings.Join(rest, " "))
			if !ok {
				return 0, "", false
			}
			return count*size + extra, "", true // "2 lusin 3" = 27
		}
		return count * size, "", true
	}
	v, ok := bot.ParseCount(s)
	return v, "", ok
}

func startsWithDigit(w string) bool { return w != "" && w[0] >= '0' && w[0] <= '9' }

// moneyAround reports a sign that "ribu" is money: a word of price near it.
func moneyAround(toks []string) bool {
	for _, w := range toks {
		switch w {
		case "rp", "rupiah", "harga", "harganya", "idr":
			return true
		}
	}
	return false
}
