package flows

import (
	"strconv"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
)

// decimal is a non-negative number read from user text, kept exact: the
// value is Int + Frac/10^len(Frac).
type decimal struct {
	Int  int64
	Frac string // digits after the decimal separator, trailing zeros kept
}

// maxIntDigits bounds the integer part so nothing overflows int64 even after
// multiplying by a million.
const maxIntDigits = 12

// parseDecimal reads digits with '.' and ',' as people in Indonesia write
// them: "15.000" and "1.000.000" group thousands, "1,5" and "0,25" have a
// decimal comma, "15.000,00" both, "1.5" a decimal point. A single
// separator followed by exactly three digits groups thousands unless
// preferDecimal (a unit such as "juta" or "kg" follows: "1.250 kg").
func parseDecimal(s string, preferDecimal bool) (decimal, bool) {
	if s == "" || s[0] == '.' || s[0] == ',' {
		return decimal{}, false
	}
	dots, commas := strings.Count(s, "."), strings.Count(s, ",")
	intPart, frac := s, ""
	switch {
	case dots > 0 && commas > 0:
		// The last separator is the decimal one; the other groups thousands.
		sep, group := ",", "."
		if strings.LastIndex(s, ".") > strings.LastIndex(s, ",") {
			sep, group = ".", ","
		}
		if strings.Count(s, sep) != 1 {
			return decimal{}, false
		}
		intPart, frac, _ = strings.Cut(s, sep)
		if !grouped(intPart, group) {
			return decimal{}, false
		}
		intPart = strings.ReplaceAll(intPart, group, "")
	case dots+commas > 1:
		sep := "."
		if commas > 0 {
			sep = ","
		}
		if !grouped(s, sep) {
			return decimal{}, false
		}
		intPart = strings.ReplaceAll(s, sep, "")
	case dots+commas == 1:
		sep := "."
		if commas > 0 {
			sep = ","
		}
		a, b, _ := strings.Cut(s, sep)
		if len(b) == 3 && !preferDecimal {
			intPart = a + b
		} else {
			intPart, frac = a, b
		}
	}
	if intPart == "" || len(strings.TrimLeft(intPart, "0")) > maxIntDigits || !bot.AllDigits(intPart) || (frac != "" && !bot.AllDigits(frac)) || len(frac) > 6 {
		return decimal{}, false
	}
	n, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return decimal{}, false
	}
	return decimal{Int: n, Frac: frac}, true
}

// grouped reports whether s is digits in thousands groups: "1.000.000".
func grouped(s, sep string) bool {
	parts := strings.Split(s, sep)
	if len(parts[0]) == 0 || len(parts[0]) > 3 {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) != 3 {
			return false
		}
	}
	return true
}

// times returns d × mult as a whole number and whether it is one exactly.
func (d decimal) times(mult int64) (int64, bool) {
	scale := int64(1)
	frac := int64(0)
	for i := 0; i < len(d.Frac); i++ {
		scale *= 10
		frac = frac*10 + int64(d.Frac[i]-'0')
	}
	num := d.Int*scale + frac // < 10^18 by the digit bounds
	if mult > 1 && num > (1<<62)/mult {
		return 0, false
	}
	num *= mult
	return num / scale, num%scale == 0
}

// splitNumber splits "15rb" / "15 rb" / "0,25kg" into the leading number
// ("15", "0,25") and the rest, trimmed.
func splitNumber(s string) (num, rest string) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == ',') {
		i++
	}
	num = strings.TrimRight(s[:i], ".,")
	return num, strings.TrimSpace(s[len(num):])
}
