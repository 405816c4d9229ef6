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

// This file reads what users type in answer to a question with options:
// one choice from a list, or several. Users are on cheap phones and write
// "1.", "no 2", "yg kedua", "1 dan 3", with typos. The other readers of
// answers are beside it: normalize.go (Normalize, typo distance),
// numbers.go (ordinals, number words, ParseCount), yesno.go (YesNo).

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
	i, ok := matchOption(text, opts)
	if !ok {
		return Option{}, false
	}
	return opts[i], true
}

// matchOption is MatchOption, returning the index of the option.
func matchOption(text string, opts []Option) (int, bool) {
	return bestOption(Normalize(text), opts, scoreMentions)
}

// bestOption returns the index of the option that norm matches best with
// at least score floor, and false when none does or two tie.
func bestOption(norm string, opts []Option, floor int) (int, bool) {
	if norm == "" || len(opts) == 0 {
		return 0, false
	}
	var buf [16]string
	in := newMatchInput(norm, buf[:0])
	// A key ("2", "no. 2") outscores any other way of matching: when the
	// text is one option's key, that option wins without the names of
	// the others being scored, and two options with that key tie.
	keyed := -1
	for i := range opts {
		if in.keyMatch(&opts[i]) {
			if keyed >= 0 {
				return 0, false
			}
			keyed = i
		}
	}
	if keyed >= 0 {
		return keyed, scoreKey >= floor
	}
	best, bestScore, tie := -1, 0, false
	for i := range opts {
		s := in.scoreUnkeyed(&opts[i], i == len(opts)-1)
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
	norm     string
	all      phrase // words of the text
	core     phrase // words without fillers
	num      int    // the number or ordinal the text names, or -1; lastOption for "terakhir"
	keyWord  string // the single core word, compared with keys
	coreText string // the core words joined by spaces, compared with keys
}

// phrase is a run of words with what scoreWords compares of it, worked
// out once: for the text, once per answer rather than once per option;
// for an option's name, once (nameWords).
type phrase struct {
	ws      []string
	joined  string // the words run together
	runes   int    // runes of joined
	numbers bool   // it has words, all of digits ("1 2")
}

func newPhrase(ws []string) phrase {
	j := strings.Join(ws, "")
	p := phrase{ws: ws, joined: j, runes: utf8.RuneCountInString(j), numbers: j != ""}
	for _, r := range j {
		if !unicode.IsDigit(r) {
			p.numbers = false
			break
		}
	}
	return p
}

const lastOption = -2

// newMatchInput prepares norm, its words appended to buf: the caller keeps
// both on its stack (returned by value, the input does not escape).
func newMatchInput(norm string, buf []string) matchInput {
	all := appendWords(buf, norm)
	in := matchInput{norm: norm, all: newPhrase(all), num: -1}
	c := core(all)
	in.core = newPhrase(c)
	if len(c) == 1 {
		in.keyWord = c[0]
	}
	in.coreText = strings.Join(c, " ")
	in.num = ordinal(c)
	return in
}

// keyMatch reports whether the text is o's key.
func (in *matchInput) keyMatch(o *Option) bool {
	if o.Key == "" {
		return false
	}
	k := Normalize(o.Key)
	return k == in.norm || (in.keyWord != "" && k == in.keyWord) || in.coreText == k
}

func (in *matchInput) score(o *Option, last bool) int {
	if in.keyMatch(o) {
		return scoreKey
	}
	return in.scoreUnkeyed(o, last)
}

// scoreUnkeyed is score for an option whose key the text is not.
func (in *matchInput) scoreUnkeyed(o *Option, last bool) int {
	best := 0
	if o.Key != "" && in.num >= 0 {
		if v, err := strconv.Atoi(Normalize(o.Key)); err == nil && v == in.num {
			best = scoreNumber
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
	// Numbers alone ("1 2") match no name without a digit: they cannot
	// equal it, begin it or be words of it, nor be a typo of it (a typo
	// is two edits at most between words of 4 letters or more, and here
	// every character differs). Scoring them against every label and
	// alias anyway was a third of the marketplace answer ("1,2"), the
	// dearest turn of a registration. (Normalize keeps digits digits and
	// makes none.)
	if in.all.numbers && !strings.ContainsFunc(name, unicode.IsDigit) {
		return 0
	}
	nw := nameWords(name)
	if len(nw.ws) == 0 {
		return 0
	}
	best := 0
	for _, p := range [2]*phrase{&in.all, &in.core} {
		if len(p.ws) == 0 {
			continue
		}
		best = max(best, scoreWords(p, nw))
	}
	return best
}

// nameWords is words(Normalize(name)) as a phrase, kept: the names
// options are matched against are few and fixed (regions, labels,
// aliases), and normalizing them again on every answer was a fifth of a
// turn's allocations (and 5 % of serve's CPU) under the bench harness.
// Past maxNameWords names the cache stops growing. The phrases are
// shared: read only.
func nameWords(name string) *phrase {
	if v, ok := nameWordsCache.Load(name); ok {
		return v.(*phrase)
	}
	p := newPhrase(words(Normalize(name)))
	nw := &p
	if nameWordsN.Load() < maxNameWords {
		if _, had := nameWordsCache.LoadOrStore(name, nw); !had {
			nameWordsN.Add(1)
		}
	}
	return nw
}

var (
	nameWordsCache sync.Map // name -> *phrase
	nameWordsN     atomic.Int32
)

const maxNameWords = 8192

func scoreWords(in, name *phrase) int {
	a, b := in.joined, name.joined
	if a == b {
		return scoreExact
	}
	la, lb := in.runes, name.runes
	best := 0
	if lim := typoLimit(min(la, lb)); lim > 0 && abs(la-lb) <= lim {
		switch d := levenshteinAtMost(a, b, lim); {
		case d == 1:
			return scoreTypo1
		case d <= lim:
			best = scoreTypo2
		}
	}
	if best == 0 && la >= 4 && (strings.HasPrefix(b, a) || containsWords(name.ws, in.ws)) {
		best = scorePrefix
	}
	if best == 0 && lb >= 4 && containsWords(in.ws, name.ws) {
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
	var buf [16]string
	if c := core(appendWords(buf[:0], norm)); len(c) == 1 && (c[0] == "semua" || c[0] == "semuanya" || c[0] == "all") {
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
	n := 0
	for _, p := range picked {
		if p {
			n++
		}
	}
	if n == 0 {
		return nil, false
	}
	out := make([]Option, 0, n) // one allocation, not one per doubling
	for i, p := range picked {
		if p {
			out = append(out, opts[i])
		}
	}
	return out, true
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

// RankOptions returns up to n options whose label or aliases come closest
// to text, best first: the ways MatchOption matches (ties included), then
// names within a third of their length in edits ("bojongsri" → Bojongsari,
// "cipre" → Cipare). It suggests what the person may have meant when
// MatchOption found no single answer.
func RankOptions(text string, opts []Option, n int) []Option {
	var buf [16]string
	in := newMatchInput(Normalize(text), buf[:0])
	typed := in.core.joined
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
