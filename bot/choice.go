package bot

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// This file reads what users type in answer to a question: a choice from a
// list, several choices, yes or no, a count. Users are on cheap phones and
// write "1.", "no 2", "yg kedua", "iya kak", "± 5 orang", with typos.

// Normalize prepares user text for comparison: it folds curly quotes,
// full-width letters and digits and keycap emoji (1️⃣) to plain ASCII, drops
// zero-width characters, lower-cases, trims, collapses inner whitespace to
// one space and strips surrounding punctuation, quotes and emoji
// ("Iya!!" → "iya", "*1*" → "1", "ok 👍" → "ok"). Leading '-', '/', '+' and
// '#' are kept ("/start", "-5"). Text made only of punctuation or emoji is
// kept as it is after folding and collapsing ("?" stays "?", "👍" stays
// "👍"), so it can still be recognized. Normalize is idempotent.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r = fold(r); r >= 0 {
			b.WriteRune(r)
		}
	}
	t := strings.Join(strings.Fields(strings.ToLower(b.String())), " ")
	if u := strings.TrimFunc(t, isEdge); u != "" {
		return u
	}
	return t
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
	if strings.ContainsRune(" .,!?;:'\"()[]{}*_~¡¿«»…<>|", r) {
		return true
	}
	return r != utf8.RuneError && (unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r))
}

// words splits normalized text into words of letters and digits; all other
// characters separate words. "no.2" → [no 2], "ke-2" → [ke 2].
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// Levenshtein returns the edit distance between a and b counted in runes:
// the fewest insertions, deletions and substitutions that turn one into the
// other.
func Levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) < len(rb) {
		ra, rb = rb, ra
	}
	// Rows on the stack for words of up to 63 runes (the answers people
	// type): these two allocations were a tenth of a turn's.
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
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
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

// Fillers around a choice: "yang ke 2", "pilih no. 3", "2 aja kak".
var (
	leadFillers = setOf("saya", "sy", "aku", "aq", "gw", "gue", "pilih", "pilihan", "pilihannya", "plh", "milih",
		"mau", "mw", "yg", "yang", "no", "nomor", "nmr", "nomer", "nmor", "nr", "number", "num",
		"opsi", "option", "angka", "ke", "jawaban", "jawabannya", "jawab", "jwb", "choose", "choice", "the",
		"kak", "ka", "kk", "min", "bu", "pak", "mas", "mbak", "mba")
	politeness = setOf("kak", "ka", "kk", "kakak", "bu", "ibu", "pak", "bapak", "mas", "mbak", "mba", "min",
		"admin", "gan", "bang", "bos", "boss", "om", "teh", "kang", "aa", "neng", "dik", "dek", "sis", "bro",
		"ya", "yaa", "yah", "aja", "saja", "deh", "dong", "sih", "lah", "nih", "kok", "please", "pls", "plz",
		"terima", "kasih", "makasih", "makasi", "trims", "tq", "thx", "thanks", "thank", "you", "nuhun",
		"hatur", "matur", "suwun", "sakalangkong", "punten", "mohon", "tolong")
)

func setOf(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// core drops the filler words around a choice.
func core(ws []string) []string {
	for len(ws) > 0 && leadFillers[ws[0]] {
		ws = ws[1:]
	}
	for len(ws) > 0 && politeness[ws[len(ws)-1]] {
		ws = ws[:len(ws)-1]
	}
	return ws
}

// Scores of the ways text can match an option; the best unique one wins.
const (
	scoreKey      = 1000 // the key itself ("2", "no. 2")
	scoreExact    = 100  // the label or an alias, ignoring case, spaces and punctuation
	scoreNumber   = 95   // a number or ordinal word for the key ("dua", "kedua")
	scoreTypo1    = 70   // one edit away
	scoreTypo2    = 60   // two edits away (long words only)
	scorePrefix   = 50   // at least 4 letters that start the label ("kulin" → Kuliner), or a whole word of it
	scoreMentions = 40   // the label appears as whole words in a longer text ("kec. plered")
)

// MatchOption picks the option the user meant: its key ("1", "1.", "1)",
// "no 1", "nomor 1", "pilih 1", "yg 1", "ke-1", "yang ke 2"), a number or
// ordinal word for the key ("satu", "dua", "pertama", "kedua", "yg
// ketiga", "one", "second", "terakhir"), or its label (Label.Raw) or one
// of its aliases, ignoring case, spaces and punctuation and tolerating
// small typos: one edit for words of 4–7 letters, two for 8 and more, a
// prefix of at least 4 letters ("kulin" → Kuliner), a whole word of a
// longer label, or the label inside a longer text. Digits are compared
// with keys as strings (and as numbers, so "01" is key "1"), never as
// positions. When two options match equally well, it reports false.
func MatchOption(text string, opts []Option) (Option, bool) {
	i, ok := bestOption(Normalize(text), opts, scoreMentions)
	if !ok {
		return Option{}, false
	}
	return opts[i], true
}

// bestOption returns the index of the option that norm matches best with
// at least score floor, and false when none does or two tie.
func bestOption(norm string, opts []Option, floor int) (int, bool) {
	if norm == "" || len(opts) == 0 {
		return 0, false
	}
	in := newMatchInput(norm)
	best, bestScore, tie := -1, 0, false
	for i := range opts {
		s := in.score(&opts[i], i == len(opts)-1)
		switch {
		case s > bestScore:
			best, bestScore, tie = i, s, false
		case s == bestScore && s > 0:
			tie = true
		}
	}
	if best < 0 || tie || bestScore < floor {
		return 0, false
	}
	return best, true
}

// matchInput is the user's text prepared once for scoring every option.
type matchInput struct {
	norm    string
	all     []string // words of the text
	core    []string // words without fillers
	num     int      // the number or ordinal the text names, or -1; lastOption for "terakhir"
	keyWord string   // the single core word, compared with keys
}

const lastOption = -2

func newMatchInput(norm string) *matchInput {
	in := &matchInput{norm: norm, all: words(norm), num: -1}
	in.core = core(in.all)
	if len(in.core) == 1 {
		in.keyWord = in.core[0]
	}
	in.num = ordinal(in.core)
	return in
}

func (in *matchInput) score(o *Option, last bool) int {
	best := 0
	if o.Key != "" {
		k := Normalize(o.Key)
		if k == in.norm || (in.keyWord != "" && k == in.keyWord) || strings.Join(in.core, " ") == k {
			return scoreKey
		}
		if in.num >= 0 {
			if v, err := strconv.Atoi(k); err == nil && v == in.num {
				best = scoreNumber
			}
		}
	}
	if in.num == lastOption && last {
		best = scoreNumber
	}
	if o.Label.Raw != "" {
		best = max(best, in.scoreName(o.Label.Raw))
	}
	for _, a := range o.Alias {
		best = max(best, in.scoreName(a))
	}
	return best
}

// scoreName scores the text against one name of an option (its label or
// an alias).
func (in *matchInput) scoreName(name string) int {
	nw := nameWords(name)
	if len(nw) == 0 {
		return 0
	}
	best := 0
	for _, ws := range [2][]string{in.all, in.core} {
		if len(ws) == 0 {
			continue
		}
		best = max(best, scoreWords(ws, nw))
	}
	return best
}

// nameWords is words(Normalize(name)), kept: the names options are
// matched against are few and fixed (regions, labels, aliases), and
// normalizing them again on every answer was a fifth of a turn's
// allocations (and 5 % of serve's CPU) under the bench harness. Past
// maxNameWords names the cache stops growing. The slices are shared:
// read only.
func nameWords(name string) []string {
	if v, ok := nameWordsCache.Load(name); ok {
		return v.([]string)
	}
	nw := words(Normalize(name))
	if nameWordsN.Load() < maxNameWords {
		if _, had := nameWordsCache.LoadOrStore(name, nw); !had {
			nameWordsN.Add(1)
		}
	}
	return nw
}

var (
	nameWordsCache sync.Map // name -> []string
	nameWordsN     atomic.Int32
)

const maxNameWords = 8192

func scoreWords(in, name []string) int {
	a, b := strings.Join(in, ""), strings.Join(name, "")
	if a == b {
		return scoreExact
	}
	la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b)
	best := 0
	if lim := typoLimit(min(la, lb)); lim > 0 && abs(la-lb) <= lim {
		switch d := Levenshtein(a, b); {
		case d == 1:
			return scoreTypo1
		case d <= lim:
			best = scoreTypo2
		}
	}
	if best == 0 && la >= 4 && (strings.HasPrefix(b, a) || containsWords(name, in)) {
		best = scorePrefix
	}
	if best == 0 && lb >= 4 && containsWords(in, name) {
		best = scoreMentions
	}
	return best
}

// containsWords reports whether sub appears in ws as consecutive words.
func containsWords(ws, sub []string) bool {
	if len(sub) == 0 || len(sub) > len(ws) {
		return false
	}
outer:
	for i := 0; i+len(sub) <= len(ws); i++ {
		for j := range sub {
			if ws[i+j] != sub[j] {
				continue outer
			}
		}
		return true
	}
	return false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

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
			if d, ok := strings.CutSuffix(w, suf); ok && allDigits(d) {
				w = d
				break
			}
		}
		if d, ok := strings.CutPrefix(w, "ke"); ok && allDigits(d) {
			w = d
		}
		if allDigits(w) {
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

func allDigits(s string) bool {
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

// MatchOptions reads several choices at once: "1,3", "1 3", "1 dan 3",
// "1, 3 & 4", "shopee, tokopedia", "1-3", "1 sampai 3", "semua". Each part
// is matched as MatchOption matches one choice (except that a label found
// inside a longer text does not count, so "shopee lazada" does not quietly
// drop "lazada"). The result is in option order without duplicates; it
// reports false when any part matches nothing or nothing is chosen.
func MatchOptions(text string, opts []Option) ([]Option, bool) {
	norm := Normalize(text)
	if norm == "" || len(opts) == 0 {
		return nil, false
	}
	// The whole text may be one option whose label has a comma or "dan".
	if i, ok := bestOption(norm, opts, scoreTypo2); ok {
		return []Option{opts[i]}, true
	}
	picked := make([]bool, len(opts))
	if c := core(words(norm)); len(c) == 1 && (c[0] == "semua" || c[0] == "semuanya" || c[0] == "all") {
		for i := range picked {
			picked[i] = true
		}
		return pickedOptions(opts, picked)
	}
	// Hard separators first; a part is then matched whole, as a range, split
	// on "dan"/"&"/"/", and finally word by word.
	parts := strings.FieldsFunc(strings.ReplaceAll(text, "s/d", " sampai "), func(r rune) bool {
		return r == ',' || r == ';' || r == '\n' || r == '、' || r == '，' || r == '；'
	})
	for _, p := range parts {
		p = Normalize(p)
		if p == "" {
			continue
		}
		if !pickPart(p, opts, picked, true) {
			return nil, false
		}
	}
	return pickedOptions(opts, picked)
}

func pickedOptions(opts []Option, picked []bool) ([]Option, bool) {
	var out []Option
	for i, p := range picked {
		if p {
			out = append(out, opts[i])
		}
	}
	return out, len(out) > 0
}

// softSeparators join choices inside a part: "1 dan 3", "1 & 3".
var softSeparators = setOf("dan", "and", "serta", "sama", "&", "/", "+", "n")

// rangeWords join the ends of a range: "1-3", "1 sampai 3".
var rangeWords = setOf("-", "sampai", "sampe", "smp", "hingga", "sd", "s.d", "to", "until", "–", "—")

func pickPart(p string, opts []Option, picked []bool, split bool) bool {
	if i, ok := bestOption(p, opts, scorePrefix); ok {
		picked[i] = true
		return true
	}
	// Symbols become words of their own: "1-3" → [1 - 3], "1&3" → [1 & 3].
	var b strings.Builder
	for _, r := range p {
		switch r {
		case '-', '–', '—', '&', '/', '+':
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	toks := strings.Fields(b.String())
	if pickRange(toks, opts, picked) {
		return true
	}
	if !split {
		return false
	}
	// Soft separators.
	var groups [][]string
	start := 0
	for i, t := range toks {
		if softSeparators[t] {
			groups = append(groups, toks[start:i])
			start = i + 1
		}
	}
	groups = append(groups, toks[start:])
	if len(groups) > 1 {
		for _, g := range groups {
			if len(g) == 0 {
				continue
			}
			if !pickPart(strings.Join(g, " "), opts, picked, true) {
				return false
			}
		}
		return true
	}
	// Word by word: "1 3 4", "kuliner fesyen". A stray symbol ("3-1")
	// matches nothing, so the whole part fails.
	if len(toks) < 2 {
		return false
	}
	n := 0
	for _, tok := range toks {
		w := Normalize(tok)
		if leadFillers[w] || politeness[w] {
			continue
		}
		if !pickPart(w, opts, picked, false) {
			return false
		}
		n++
	}
	return n > 0
}

// pickRange picks the options whose numeric keys lie in a range such as
// [1 - 3] or [satu sampai tiga]; both ends must be keys.
func pickRange(toks []string, opts []Option, picked []bool) bool {
	toks = core(toks)
	sep := -1
	for i, t := range toks {
		if rangeWords[t] {
			if sep >= 0 {
				return false
			}
			sep = i
		}
	}
	if sep <= 0 || sep == len(toks)-1 {
		return false
	}
	lo, hi := ordinal(core(toks[:sep])), ordinal(core(toks[sep+1:]))
	if lo < 0 || hi < 0 || lo > hi {
		return false
	}
	keys := make([]int, len(opts))
	loFound, hiFound := false, false
	for i, o := range opts {
		v, err := strconv.Atoi(Normalize(o.Key))
		if err != nil {
			v = -1
		}
		keys[i] = v
		loFound = loFound || v == lo
		hiFound = hiFound || v == hi
	}
	if !loFound || !hiFound {
		return false
	}
	for i, v := range keys {
		if v >= lo && v <= hi {
			picked[i] = true
		}
	}
	return true
}

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
	ws := words(norm)
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
	norm = strings.NewReplacer("+/-", " ± ", "+-", " ± ", "±", " ± ", "~", " ~ ").Replace(norm)
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
	if !allDigits(num) {
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

// RankOptions returns up to n options whose label or aliases come closest
// to text, best first: the ways MatchOption matches (ties included), then
// names within a third of their length in edits ("bojongsri" → Bojongsari,
// "cipre" → Cipare). It suggests what the person may have meant when
// MatchOption found no single answer.
func RankOptions(text string, opts []Option, n int) []Option {
	in := newMatchInput(Normalize(text))
	typed := strings.Join(in.core, "")
	if typed == "" || n <= 0 {
		return nil
	}
	type ranked struct{ i, score, dist int }
	var rs []ranked
	for i := range opts {
		o := &opts[i]
		r := ranked{i: i, score: in.score(o, i == len(opts)-1), dist: -1}
		for _, name := range append([]string{o.Label.Raw}, o.Alias...) {
			nw := strings.Join(words(Normalize(name)), "")
			if nw == "" {
				continue
			}
			d := Levenshtein(typed, nw)
			if d*3 <= max(utf8.RuneCountInString(nw), 3) && (r.dist < 0 || d < r.dist) {
				r.dist = d
			}
		}
		if r.score > 0 || r.dist >= 0 {
			if r.dist < 0 {
				r.dist = 1 << 20
			}
			rs = append(rs, r)
		}
	}
	sort.SliceStable(rs, func(a, b int) bool {
		if rs[a].score != rs[b].score {
			return rs[a].score > rs[b].score
		}
		return rs[a].dist < rs[b].dist
	})
	out := make([]Option, 0, min(n, len(rs)))
	for _, r := range rs[:min(n, len(rs))] {
		out = append(out, opts[r.i])
	}
	return out
}
