package bot

import (
	"strings"
)

// Yes and no words, compared after squeezing repeated letters ("iyaaa",
// "gakk", "siaaap").
var (
	yesWords = squeezedSet("y", "ya", "iya", "iy", "yes", "yess", "ok", "oke", "okay", "okey", "okeh", "oce",
		"okai", "oks", "okelah", "sip", "siap", "setuju", "sepakat", "boleh", "blh", "betul", "benar", "bener",
		"lanjut", "lanjutkan", "muhun", "sumuhun", "enya", "heueuh", "engghi", "enggih", "nggih", "inggih",
		"injih", "gas", "gaskan", "gasken", "yuk", "yok", "ayo", "ayok", "mau", "bisa", "baik", "baiklah",
		"tentu", "pasti", "sure", "yep", "yup", "yeah", "yea", "yoi", "sudah", "udah", "udh", "sdh", "sudh",
		"ada", "punya", "hooh", "heeh", "acc")
	noWords = squeezedSet("n", "t", "tidak", "tdk", "tak", "gak", "gk", "ga", "nggak", "ngga", "enggak",
		"engga", "kagak", "kaga", "ndak", "nda", "ora", "no", "nope", "jangan", "jgn", "bhunten", "mboten",
		"boten", "henteu", "moal", "teu", "belum", "blm", "blum", "belom", "blom", "salah", "bukan",
		"nggk", "engak", "gag", "ogah")
	// negatable words may follow a no: "tidak setuju", "gak usah", "belum ada".
	negatable = squeezedSet("usah", "jadi", "perlu", "dulu", "acan", "pernah", "lagi", "sekarang", "setuju",
		"sepakat", "mau", "bisa", "boleh", "benar", "betul", "bener", "lanjut", "ada", "punya", "siap")
	// polite is politeness with repeated letters squeezed ("kk" → "k").
	polite = squeezedSet(keys(politeness)...)
	// yesEmoji and noEmoji answer on their own.
	yesEmoji = []rune{'👍', '👌', '✅', '✔', '🙆', '🆗', '☑'}
	noEmoji  = []rune{'👎', '❌', '✖', '🙅', '⛔', '🚫', '❎'}
)

func keys(m map[string]bool) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func squeezedSet(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[squeeze(w)] = true
	}
	return m
}

// squeeze collapses runs of the same rune: "iyaaa" → "iya", "nggak" → "ngak".
func squeeze(w string) string {
	if isASCII(w) { // nothing to collapse: w as it is, not a copy
		i := 1
		for i < len(w) && w[i] != w[i-1] {
			i++
		}
		if i >= len(w) {
			return w
		}
	}
	var b strings.Builder
	var last rune = -1
	for _, r := range w {
		if r != last {
			b.WriteRune(r)
		}
		last = r
	}
	return b.String()
}

// YesNo reads a yes or no answer. ok is false when the text is neither or
// both. Yes: y, ya, iya, iy, yes, ok, oke, okay, sip, siap, setuju, boleh,
// betul, benar, lanjut, gas, sudah, and regional forms (muhun, sumuhun,
// enya; engghi; nggih, injih); no: n, t, tidak, tdk, gak, gk, ga, nggak,
// ngga, enggak, no, nope, jangan, belum, blm, salah, bukan, and regional
// forms (henteu, moal; bhunten; mboten, ora). Repeated letters do not
// matter ("iyaaa", "gakk"); a form of address and thanks may follow ("ya
// kak", "ok pak", "siap min", "tidak, terima kasih"), and after a no the
// thing refused ("gak usah", "tidak setuju", "belum ada"). 👍 and 👎 count.
func YesNo(s string) (yes bool, ok bool) {
	norm := Normalize(s)
	var buf [16]string
	ws := appendWords(buf[:0], norm)
	if len(ws) == 0 {
		return emojiYesNo(norm)
	}
	for i, w := range ws {
		ws[i] = squeeze(w)
	}
	for len(ws) > 0 && polite[ws[0]] && !yesWords[ws[0]] {
		ws = ws[1:] // "kak iya"
	}
	if len(ws) == 0 {
		return false, false
	}
	switch {
	case noWords[ws[0]]:
		for _, w := range ws[1:] {
			if !noWords[w] && !negatable[w] && !polite[w] {
				return false, false
			}
		}
		return false, true
	case yesWords[ws[0]]:
		for _, w := range ws[1:] {
			if !yesWords[w] && !polite[w] {
				return false, false
			}
		}
		return true, true
	}
	return false, false
}

func emojiYesNo(norm string) (yes, ok bool) {
	y := strings.ContainsFunc(norm, func(r rune) bool { return containsRune(yesEmoji, r) })
	n := strings.ContainsFunc(norm, func(r rune) bool { return containsRune(noEmoji, r) })
	if y == n {
		return false, false
	}
	return y, true
}

func containsRune(rs []rune, r rune) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
