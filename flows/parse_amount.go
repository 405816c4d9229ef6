package flows

import (
	"strings"

	"github.com/umkmbot/umkmbot/bot"
)

// An amount's relation to the true figure: "di bawah 1 miliar" is below.
const (
	amountAbout = 0
	amountBelow = -1
	amountAbove = 1
)

var (
	amountBelowWords = []string{"di bawah", "dibawah", "dbawah", "kurang dari", "krg dari", "kurang dr", "tidak sampai",
		"gak sampai", "ga sampai", "nggak sampai", "belum sampai", "blm sampai", "below", "under", "less than", "<"}
	amountUpToWords  = []string{"sampai", "sampe", "max", "maks", "maksimal", "paling banyak", "tidak lebih dari", "up to", "<="}
	amountAboveWords = []string{"di atas", "diatas", "datas", "lebih dari", "lbh dari", "lebih dr", "over", "more than",
		"above", ">"}
	amountAboutWords = []string{"sekitar", "sktr", "kira kira", "kira-kira", "kira2", "kurang lebih", "kurleb", "±",
		"kisaran", "about", "around", "approx", "cuma", "hanya", "baru", "ada", "modal", "modalnya", "omzet", "omzetnya",
		"omset", "omsetnya", "penjualan", "total", "totalnya", "saya", "sy", "kami", "rp.", "rp", "idr"}
	// Periods an amount may be given per; sales are asked per year.
	amountPeriods = []struct {
		words []string
		times int64
	}{
		{[]string{"per tahun", "pertahun", "setahun", "/tahun", "/thn", "per thn", "tahunan", "a year", "per year"}, 1},
		{[]string{"per bulan", "perbulan", "sebulan", "/bulan", "/bln", "per bln", "perbln", "tiap bulan", "bulanan", "a month", "per month"}, 12},
		{[]string{"per minggu", "perminggu", "seminggu", "/minggu", "tiap minggu", "mingguan", "a week", "per week"}, 52},
		{[]string{"per hari", "perhari", "sehari", "/hari", "tiap hari", "harian", "a day", "per day"}, 365},
	}
	amountUnits = map[string]int64{
		"rb": 1_000, "ribu": 1_000, "rbu": 1_000, "k": 1_000, "rban": 1_000, "ribuan": 1_000, "thousand": 1_000,
		"jt": 1_000_000, "juta": 1_000_000, "jta": 1_000_000, "jtan": 1_000_000, "jutaan": 1_000_000, "million": 1_000_000,
		"m": 1_000_000_000, "milyar": 1_000_000_000, "miliar": 1_000_000_000, "myr": 1_000_000_000, "b": 1_000_000_000,
		"billion": 1_000_000_000, "em": 1_000_000_000, "milyaran": 1_000_000_000, "miliaran": 1_000_000_000,
		"t": 1_000_000_000_000, "triliun": 1_000_000_000_000, "trilyun": 1_000_000_000_000,
		"": 1, "rupiah": 1, "perak": 1, "an": 1,
	}
)

// maxAmount bounds what ParseAmount takes (Rp1.000 triliun): beyond is a typo.
const maxAmount = 1_000_000_000_000_000

// ParseAmount reads an amount of money as owners answer "berapa modal/omzet":
// "5 juta", "10jt", "Rp 50.000.000", "1,5 M", "dibawah 1 milyar", "lebih
// dari 2 miliar", "sekitar 500rb sebulan" (a period converts to a year).
// It returns rupiah per year (or as given when no period is named) and
// whether the figure is about, below or above that (amountBelow for "di
// bawah"). ok is false for anything else.
func ParseAmount(s string) (v int64, rel int, ok bool) {
	n := bot.Normalize(s)
	if !strings.ContainsAny(n, "0123456789") {
		return 0, 0, false // no figure (most names and addresses): nothing below would find one
	}
	t, times := n, int64(1)
	if bot.AllDigits(n) {
		// A bare number ("1" at a numbered list, a NIK at a name): every
		// period and relation word has something else in it, and looking
		// for each in turn was 8 % of the engine's work per turn
		// (BenchmarkEngineDaftar).
		return amountOf(n, "", times, amountAbout)
	}
	t = strings.ReplaceAll(t, "milyar", "miliar")
	for _, p := range amountPeriods {
		for _, w := range p.words {
			if i := strings.Index(t, w); i >= 0 {
				t, times = strings.TrimSpace(t[:i]+" "+t[i+len(w):]), p.times
				break
			}
		}
		if times != 1 {
			break
		}
	}
	rel = amountAbout
	for changed := true; changed; {
		changed = false
		for _, group := range []struct {
			words []string
			rel   int
		}{{amountBelowWords, amountBelow}, {amountUpToWords, amountAbout}, {amountAboveWords, amountAbove}, {amountAboutWords, -2}} {
			for _, w := range group.words {
				if rest, cut := strings.CutPrefix(t, w); cut && (rest == "" || !isLetter(rest[0]) || !isLetter(w[len(w)-1])) {
					t, changed = strings.TrimSpace(rest), true
					if group.rel != -2 {
						rel = group.rel
					}
				}
			}
		}
	}
	t = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(t, ",-"), ".-"))
	num, unit := splitNumber(t)
	return amountOf(num, unit, times, rel)
}

// amountOf is ParseAmount's figure from the number and the unit after it,
// times a period.
func amountOf(num, unit string, times int64, rel int) (int64, int, bool) {
	if num == "" {
		return 0, 0, false
	}
	unit = strings.Trim(unit, " .")
	mult, known := amountUnits[unit]
	if !known {
		return 0, 0, false
	}
	d, good := parseDecimal(num, mult > 1)
	if !good || d.Int > maxAmount/max(mult, 1) {
		return 0, 0, false
	}
	v, _ := d.times(mult)
	if v <= 0 || v > maxAmount/times {
		return 0, 0, false
	}
	return v * times, rel, true
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' }

// bracketOf maps an amount to the bracket whose upper bound (tops, in
// rupiah, ascending; the last bracket is open) it falls under.
func bracketOf(v int64, rel int, tops []int64, brackets []struct{ code, class string }) string {
	switch rel {
	case amountBelow:
		v--
	case amountAbove:
		v++
	}
	for i, top := range tops {
		if v <= top {
			return brackets[i].code
		}
	}
	return brackets[len(brackets)-1].code
}

// Upper bounds of the brackets (PP 7/2021, docs/domain.md).
var (
	capitalTops = []int64{1_000_000_000, 5_000_000_000, 10_000_000_000}
	salesTops   = []int64{2_000_000_000, 15_000_000_000, 50_000_000_000}
)
