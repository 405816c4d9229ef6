package bot

import (
	"strconv"
	"strings"
	"unicode"
)

// Ordinal words: "pertama", "kedua", … and English ones.
var ordinalWords = map[string]int{
	"pertama": 1, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
	"sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10,
}

// ordinal returns the number that ws names as a choice: digits ("2",
// "02", "ke2", "2nd"), an Indonesian number or ordinal ("dua", "kedua",
// "ke dua belas", "kesebelas", "pertama"), an English one ("second",
// "two"), lastOption for "terakhir"/"last", or -1.
func ordinal(ws []string) int {
	if len(ws) == 0 {
		return -1
	}
	if len(ws) == 1 {
		w := ws[0]
		switch w {
		case "terakhir", "trakhir", "last":
			return lastOption
		}
		if v, ok := ordinalWords[w]; ok {
			return v
		}
		for _, suf := range []string{"st", "nd", "rd", "th"} {
			if d, ok := strings.CutSuffix(w, suf); ok && AllDigits(d) {
				w = d
				break
			}
		}
		if d, ok := strings.CutPrefix(w, "ke"); ok && AllDigits(d) {
			w = d
		}
		if AllDigits(w) {
			if len(w) > 6 {
				return -1
			}
			v, _ := strconv.Atoi(w)
			return v
		}
	}
	// "kedua", "ketiga", "kesebelas", "ke dua": an Indonesian ordinal is
	// "ke" and the number.
	if w, ok := strings.CutPrefix(ws[0], "ke"); ok && w != "" && w != "ke" {
		rest := append([]string{w}, ws[1:]...)
		if v, ok := numberWords(rest); ok && v > 0 {
			return v
		}
	}
	if v, ok := numberWords(ws); ok {
		return v
	}
	return -1
}

// AllDigits reports whether s is one or more ASCII digits.
func AllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// englishWords are English number words as Indonesian ones.
var englishWords = map[string][]string{
	"one": {"satu"}, "two": {"dua"}, "three": {"tiga"}, "four": {"empat"}, "five": {"lima"}, "six": {"enam"},
	"seven": {"tujuh"}, "eight": {"delapan"}, "nine": {"sembilan"}, "ten": {"sepuluh"}, "eleven": {"sebelas"},
	"twelve": {"dua", "belas"}, "thirteen": {"tiga", "belas"}, "fourteen": {"empat", "belas"},
	"fifteen": {"lima", "belas"}, "sixteen": {"enam", "belas"}, "seventeen": {"tujuh", "belas"},
	"eighteen": {"delapan", "belas"}, "nineteen": {"sembilan", "belas"}, "twenty": {"dua", "puluh"},
	"thirty": {"tiga", "puluh"}, "forty": {"empat", "puluh"}, "fifty": {"lima", "puluh"}, "sixty": {"enam", "puluh"},
	"seventy": {"tujuh", "puluh"}, "eighty": {"delapan", "puluh"}, "ninety": {"sembilan", "puluh"},
	"hundred": {"ratus"}, "thousand": {"ribu"}, "million": {"juta"}, "zero": {"nol"},
}

// englishNumbers rewrites the leading English number words of ws in
// Indonesian ("one hundred and five" → satu ratus lima); other words stay.
func englishNumbers(ws []string) []string {
	var out []string
	i := 0
	for ; i < len(ws); i++ {
		if id, ok := englishWords[ws[i]]; ok {
			out = append(out, id...)
			continue
		}
		if ws[i] == "and" && i > 0 && i+1 < len(ws) && englishWords[ws[i+1]] != nil {
			continue
		}
		break
	}
	if len(out) == 0 {
		return ws
	}
	return append(out, ws[i:]...)
}

// maxCount bounds the numbers read from user text, so nothing overflows.
const maxCount = 1_000_000_000

// numberWords reads an Indonesian number written in words: "lima",
// "dua belas", "sebelas", "dua puluh lima", "seratus dua puluh", "tiga
// ribu", "satu juta dua ratus ribu". Every word must belong to it.
func numberWords(ws []string) (int, bool) {
	if len(ws) == 0 {
		return 0, false
	}
	total, group, unit := 0, 0, -1 // group: the part below a thousand; unit: a pending 0–9
	for _, w := range ws {
		if m, ok := seWords[w]; ok {
			if unit >= 0 {
				return 0, false
			}
			unit, w = 1, m
		}
		if u, ok := unitWords[w]; ok {
			if unit >= 0 {
				return 0, false // "dua tiga"
			}
			if u == 0 && (len(ws) > 1) {
				return 0, false
			}
			unit = u
			continue
		}
		if unit < 1 && w != "ribu" && w != "juta" {
			return 0, false // "puluh" with nothing before it
		}
		switch w {
		case "belas":
			if group%100 != 0 {
				return 0, false
			}
			group += 10 + unit
		case "puluh":
			if group%100 != 0 {
				return 0, false
			}
			group += 10 * unit
		case "ratus":
			if group != 0 {
				return 0, false
			}
			group = 100 * unit
		case "ribu", "juta":
			g := group + max(unit, 0)
			if g == 0 {
				return 0, false
			}
			mult := 1000
			if w == "juta" {
				mult = 1_000_000
				if total != 0 {
					return 0, false
				}
			} else if total%1_000_000 != 0 {
				return 0, false
			}
			total += g * mult
			group = 0
		default:
			return 0, false
		}
		unit = -1
		if total+group > maxCount {
			return 0, false
		}
	}
	if unit >= 0 {
		if group%10 != 0 {
			return 0, false
		}
		group += unit
	}
	return total + group, true
}

// approxSigns spaces out the signs of an approximation for ParseCount
// ("±5" → " ± 5"), built once.
var approxSigns = strings.NewReplacer("+/-", " ± ", "+-", " ± ", "±", " ± ", "~", " ~ ")

// ParseCount reads a non-negative whole number as people write it: "5",
// "5 orang", "± 5", "sekitar 5", "kira-kira 5", "lima", "sepuluh", "dua
// puluh lima", "1.200" (dots group thousands), "2 ribu", "2rb", "10an",
// and "tidak ada", "gak ada", "belum ada", "nol", "kosong" for 0. A few
// words may follow the number ("5 orang karyawan"). Negative numbers,
// fractions ("1,5", "1.5", "setengah"), ranges ("5-10", "5 sampai 10",
// "5 atau 6"), comparisons ("lebih dari 5", "5 lebih"), more than a
// billion and anything else report false.
func ParseCount(s string) (int, bool) {
	norm := Normalize(s)
	if norm == "" {
		return 0, false
	}
	norm = approxSigns.Replace(norm)
	ws := strings.Fields(norm)
	// Leading approximations; "kurang lebih" is one.
	for len(ws) > 0 {
		w := ws[0]
		if !approxWords[w] {
			break
		}
		if (w == "kurang" || w == "krg") && len(ws) > 1 && (ws[1] == "lebih" || ws[1] == "lbh") {
			ws = ws[2:]
			continue
		}
		if w == "kurang" || w == "lebih" || w == "krg" || w == "lbh" {
			return 0, false // "kurang dari 5", "lebih dari 5"
		}
		if w == "kira" && len(ws) > 1 && ws[1] == "kira" {
			ws = ws[1:]
		}
		ws = ws[1:]
	}
	if len(ws) == 0 {
		return 0, false
	}
	// Zero: "tidak ada", "belum punya", "nol", "kosong".
	if negWords[squeeze(ws[0])] {
		if len(ws) < 2 || (ws[1] != "ada" && ws[1] != "punya") {
			return 0, false
		}
		return counted(0, ws[2:])
	}
	if zeroWords[ws[0]] {
		return counted(0, ws[1:])
	}
	// Digits, perhaps with a multiplier word or suffix.
	if w := ws[0]; w[0] >= '0' && w[0] <= '9' {
		v, ok := parseDigits(w)
		if !ok {
			return 0, false
		}
		rest := ws[1:]
		if len(rest) > 0 {
			if m, ok := multWords[rest[0]]; ok && rest[0] != "k" {
				if int64(v)*int64(m) > maxCount {
					return 0, false
				}
				v *= m
				rest = rest[1:]
			}
		}
		return counted(v, rest)
	}
	// Words: the longest run that makes a number. English number words
	// are read as their Indonesian ones ("twenty five" = "dua puluh lima").
	ws = englishNumbers(ws)
	for n := min(len(ws), 8); n > 0; n-- {
		if v, ok := numberWords(ws[:n]); ok {
			return counted(v, ws[n:])
		}
	}
	return 0, false
}

// counted returns v when the words after it may follow a count.
func counted(v int, after []string) (int, bool) {
	if !trailingOK(after) {
		return 0, false
	}
	return v, true
}

// parseDigits reads "5", "05", "1.200", "1.000.000", "2rb", "2ribu", "5k",
// "3jt", "10an".
func parseDigits(w string) (int, bool) {
	i := 0
	for i < len(w) && (w[i] >= '0' && w[i] <= '9' || w[i] == '.') {
		i++
	}
	num, suffix := w[:i], w[i:]
	mult := int64(1)
	if m, ok := multWords[suffix]; ok {
		mult = int64(m)
	} else if suffix != "" && suffix != "an" && !trailingOK([]string{suffix}) {
		return 0, false // "5orang" is fine, "5-10" and "5x" are not
	}
	if strings.Contains(num, ".") {
		groups := strings.Split(num, ".")
		if len(groups[0]) < 1 || len(groups[0]) > 3 {
			return 0, false
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, false // "1.5" is a fraction
			}
		}
		num = strings.Join(groups, "")
	}
	if !AllDigits(num) {
		return 0, false
	}
	num = strings.TrimLeft(num, "0")
	if num == "" {
		return 0, true
	}
	if len(num) > 10 {
		return 0, false
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v*mult > maxCount {
		return 0, false
	}
	return int(v * mult), true
}

// trailingOK reports whether the words after a count are the kind that may
// follow it: up to three plain words such as "orang", "karyawan", "kak",
// none of them a number or a stop word.
func trailingOK(ws []string) bool {
	if len(ws) > 3 {
		return false
	}
	for _, w := range ws {
		if stopWords[w] {
			return false
		}
		if _, ok := unitWords[w]; ok {
			return false
		}
		if _, ok := seWords[w]; ok {
			return false
		}
		for _, r := range w {
			if !unicode.IsLetter(r) {
				return false
			}
		}
	}
	return true
}

// Indonesian number words.
var (
	unitWords = map[string]int{
		"nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5,
		"enam": 6, "tujuh": 7, "delapan": 8, "sembilan": 9,
	}
	// se- forms count as one of the unit: sebelas = 11, seratus = 100.
	seWords = map[string]string{
		"sepuluh": "puluh", "sebelas": "belas", "seratus": "ratus", "seribu": "ribu", "sejuta": "juta",
	}
)

// Words around a count: "sekitar 5", "± 5 orang", "ada 3".
var (
	approxWords = setOf("±", "~", "+-", "+/-", "sekitar", "sktr", "kira", "kira-kira", "kira2", "kurleb",
		"kurang-lebih", "kisaran", "sekitaran", "about", "around", "approx", "approximately", "ada", "sebanyak",
		"jumlah", "jumlahnya", "total", "totalnya", "hanya", "cuma", "cuman", "baru", "saya", "sy", "aku",
		"kami", "punya", "yaitu", "adalah", "kurang", "lebih", "krg", "lbh")
	// stopWords after a count make it something else: a range, a fraction,
	// a comparison, a second number.
	stopWords = setOf("sampai", "sampe", "smp", "hingga", "sd", "s/d", "atau", "ato", "lebih", "kurang",
		"lbh", "krg", "dari", "per", "persen", "koma", "setengah", "minus", "-", "to", "or", "an", "puluhan",
		"ratusan", "ribuan", "belas", "puluh", "ratus", "ribu", "juta", "rb", "jt", "lagi", "tambah", "plus",
		"kali", "x", "/", "±", "~")
	negWords = squeezedSet("tidak", "tdk", "tak", "gak", "gk", "ga", "nggak", "ngga", "enggak", "engga",
		"kagak", "ndak", "nda", "belum", "blm", "blum", "belom", "no")
	zeroWords = setOf("nol", "kosong", "zero", "none", "nothing", "nihil")
	multWords = map[string]int{"ribu": 1000, "rb": 1000, "k": 1000, "juta": 1_000_000, "jt": 1_000_000}
)
