package bot

import (
	"math"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize prepares user text for comparison: it folds curly quotes,
// full-width letters and digits and keycap emoji (1️⃣) to plain ASCII, drops
// zero-width characters, lower-cases, trims, collapses inner whitespace to
// one space and strips surrounding punctuation, quotes and emoji
// ("Iya!!" → "iya", "*1*" → "1", "ok 👍" → "ok"). Leading '-', '/', '+' and
// '#' are kept ("/start", "-5"). Text made only of punctuation or emoji is
// kept as it is after folding and collapsing ("?" stays "?", "👍" stays
// "👍"), so it can still be recognized. Normalize is idempotent.
func Normalize(s string) string {
	if normalASCII(s) {
		return s
	}
	return normalize(s)
}

// normalize is Normalize the long way, for text that is not normal ASCII,
// in one pass: each rune folded and lower-cased, whitespace runs written
// as one space between words (strings.Fields and Join), then the edges
// trimmed.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if r = fold(r); r < 0 {
			continue
		}
		r = unicode.ToLower(r) // as strings.ToLower, rune by rune
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	t := b.String()
	if u := strings.TrimFunc(t, isEdge); u != "" {
		return u
	}
	return t
}

// normalASCII reports whether s is already what Normalize makes of it, by
// a look at its bytes that builds nothing: printable ASCII without capitals
// or backquotes (the only ASCII characters fold or ToLower change), single
// spaces between words and no character Normalize strips at either end.
// Option keys, labels and most answers ("1", "kuliner", "lewati") are so,
// and normalizing them again was a tenth of a turn's allocations.
func normalASCII(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < ' ' || c >= utf8.RuneSelf || c == 0x7f || c == '`' || ('A' <= c && c <= 'Z'):
			return false
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' '):
			return false
		}
	}
	return !isEdge(rune(s[0])) && !isEdge(rune(s[len(s)-1]))
}

// fold maps one rune to its plain form, or to -1 to drop it.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		return r - 0xFF01 + '!'
	case r == 0x3000, r == 0x00A0, r == 0x2007, r == 0x202F: // ideographic and no-break spaces
		return ' '
	}
	switch r {
	case '‘', '’', '‚', '‛', '′', 'ʼ', '`', '´':
		return '\''
	case '“', '”', '„', '‟', '″':
		return '"'
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', // zero-width, soft hyphen
		'\ufe0e', '\ufe0f', '\u20e3': // variation selectors, keycap
		return -1
	}
	return r
}

// isEdge reports whether Normalize strips r from the ends of the text.
func isEdge(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiEdge[r]
	}
	return isEdgeRune(r)
}

// asciiEdge is isEdgeRune of every ASCII character, worked out once:
// normalASCII asks it at both ends of every answer and of every option key
// it compares, and the search of the list and of the symbol tables for a
// plain letter or digit was 5 % of the engine's CPU per turn
// (BenchmarkEngineDaftar).
var asciiEdge = func() (edge [utf8.RuneSelf]bool) {
	for r := range edge {
		edge[r] = isEdgeRune(rune(r))
	}
	return edge
}()

// isEdgeRune is isEdge without the table.
func isEdgeRune(r rune) bool {
	if strings.ContainsRune(" .,!?;:'\"()[]{}*_~¡¿«»…<>|", r) {
		return true
	}
	return r != utf8.RuneError && (unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r))
}

// words splits normalized text into words of letters and digits; all other
// characters separate words. "no.2" → [no 2], "ke-2" → [ke 2].
func words(s string) []string { return appendWords(nil, s) }

// appendWords appends the words of s to dst: a caller that looks at them
// only for the moment passes a buffer on its stack (words allocated a
// slice in each of the readers a turn runs).
func appendWords(dst []string, s string) []string {
	start := -1
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			dst = append(dst, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		dst = append(dst, s[start:])
	}
	return dst
}

// Levenshtein returns the edit distance between a and b counted in runes:
// the fewest insertions, deletions and substitutions that turn one into the
// other.
func Levenshtein(a, b string) int {
	return levenshteinAtMost(a, b, math.MaxInt-1)
}

// levenshteinAtMost is Levenshtein(a, b) when that is at most lim, and
// lim+1 otherwise: it stops as soon as a row of the table is past lim
// (the distance is never below the smallest value of any row). Typo
// checks only ask whether two words are within one or two edits, and most
// words are far apart, so this looks at a few rows instead of all.
func levenshteinAtMost(a, b string, lim int) int {
	if isASCII(a) && isASCII(b) { // most words: bytes, without decoding runes
		// Each edit brings in or takes out at most one kind of letter, so
		// words that differ in more kinds of letters than lim are further
		// apart than lim: most pairs are told so without the table.
		ma, mb := letterKinds(a), letterKinds(b)
		if max(bits.OnesCount64(ma&^mb), bits.OnesCount64(mb&^ma)) > lim {
			return lim + 1
		}
		return editsAtMost([]byte(a), []byte(b), lim)
	}
	return editsAtMost([]rune(a), []rune(b), lim)
}

// asciiKinds is letterKinds of an ASCII word, 0 for any other: what
// withinEdits takes for a word it compares many times.
func asciiKinds(s string) uint64 {
	if !isASCII(s) {
		return 0
	}
	return letterKinds(s)
}

// withinEdits is levenshteinAtMost(a, b, lim) <= lim, given asciiKinds of
// both: the FAQ compares the same few words with every word of a key,
// and working their kinds out again for each pair was a third of that.
func withinEdits(a, b string, ka, kb uint64, lim int) bool {
	if ka == 0 || kb == 0 { // not ASCII (or empty): the long way
		return levenshteinAtMost(a, b, lim) <= lim
	}
	if max(bits.OnesCount64(ka&^kb), bits.OnesCount64(kb&^ka)) > lim {
		return false
	}
	return editsAtMost([]byte(a), []byte(b), lim) <= lim
}

// letterKinds is the set of kinds of characters of an ASCII word: a bit
// for each letter and digit, one for everything else (the lower bound
// levenshteinAtMost draws from it only gets lower when kinds share a bit).
func letterKinds(s string) uint64 {
	var m uint64
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z':
			m |= 1 << (c - 'a')
		case 'A' <= c && c <= 'Z':
			m |= 1 << (c - 'A' + 26)
		case '0' <= c && c <= '9':
			m |= 1 << (c - '0' + 52)
		default:
			m |= 1 << 63
		}
	}
	return m
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// editsAtMost is levenshteinAtMost on the letters of the two words.
func editsAtMost[E byte | rune](ra, rb []E, lim int) int {
	if len(ra) < len(rb) {
		ra, rb = rb, ra
	}
	if len(ra)-len(rb) > lim {
		return lim + 1
	}
	var pb, cb [64]int
	prev, cur := pb[:], cb[:]
	if len(rb)+1 > len(pb) {
		prev, cur = make([]int, len(rb)+1), make([]int, len(rb)+1)
	}
	prev, cur = prev[:len(rb)+1], cur[:len(rb)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		low := i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			low = min(low, cur[j])
		}
		if low > lim {
			return lim + 1
		}
		prev, cur = cur, prev
	}
	return min(prev[len(rb)], lim+1)
}

// typoLimit is how many edits still count as the same word, by the length
// in runes of the shorter word: none below 4, one for 4–7, two for 8 and
// more.
func typoLimit(n int) int {
	switch {
	case n < 4:
		return 0
	case n < 8:
		return 1
	}
	return 2
}

func setOf(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}
