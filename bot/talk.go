package bot

import (
	"bytes"
	"context"
	"strings"
	"text/template"
	"unicode"
)

// This file is the conversation layer in front of the flows: what people
// write besides answers. A greeting, thanks or "ok" is answered politely and
// the current question (or the menu) asked again; a question or sign of
// confusion at a step gets that step's help; a question of the FAQ gets its
// answer. None of it is ever taken as the answer to a question.

// TalkKind is what the conversation layer made of a message.
type TalkKind int

// What a message may be besides an answer.
const (
	TalkNone     TalkKind = iota
	TalkGreeting          // halo kak, assalamualaikum wr wb, selamat pagi bu, permisi
	TalkSalam             // assalamualaikum: answered with waalaikumsalam
	TalkThanks            // terima kasih, makasih kak, hatur nuhun
	TalkAck               // ok, sip, 👍
	TalkConfused          // gimana, maksudnya apa, ga tau, wkwk, a question mark
	TalkSkip              // lewati, skip: help where skipping is not offered
)

// Small talk vocabulary. A message is small talk when every word of it is
// in the kind's vocabulary (or a form of address / filler) and at least one
// is one of the kind's core words. Words are compared after squeezing
// repeated letters ("haloooo" → "halo").
var (
	talkAddress = squeezedSet("kak", "ka", "kk", "kakak", "pak", "bapak", "bu", "ibu", "min", "admin", "mas", "mbak",
		"mba", "gan", "bang", "om", "teh", "kang", "aa", "neng", "dik", "dek", "sis", "bro", "semua", "semuanya",
		"all", "ya", "yaa", "dong", "nih", "deh", "sir", "madam", "there", "everyone", "dinas", "umkm", "sobat")
	greetCore = squeezedSet("halo", "hallo", "helo", "hello", "hai", "hi", "hey", "hei", "p", "ping", "tes", "test",
		"permisi", "punten", "sampurasun", "pagi", "siang", "sore", "malam", "malem", "morning", "afternoon",
		"evening", "night", "excuse", "salam", "shalom", "om", "swastiastu", "start", "mulai", "misi", "assalamualaikum", "asalamualaikum",
		"assalamu", "assalamualaikom", "salamualaikum", "samlekom", "ass", "aslm", "askum", "good", "selamat", "met", "slmt",
		"tanya", "nanya", "bertanya")
	greetFill = squeezedSet("selamat", "slmt", "met", "good", "wr", "wb", "warahmatullahi", "wabarakatuh",
		"warahmatullah", "wa", "alaikum", "alaikom", "mau", "ingin", "pengen", "numpang",
		"sejahtera", "bagi", "kita", "kalian", "sekalian", "day", "to", "you", "gimana", "kabar", "apa", "how", "are",
		"dan", "and", "me", "sehat", "selalu", "kenal", "hari", "ini", "sy", "saya", "aku", "ijin", "izin", "slamat", "selamt", "slmat", "salamat")
	// greetOwn are the greeting words that make a greeting on their own
	// ("selamat" or "mau tanya" alone do not).
	greetOwn = func() map[string]bool {
		m := map[string]bool{}
		for w := range greetCore {
			if !greetFill[w] {
				m[w] = true
			}
		}
		return m
	}()
	salamWords = squeezedSet("assalamualaikum", "asalamualaikum", "assalamu", "assalamualaikom", "salamualaikum",
		"samlekom", "ass", "aslm", "askum", "alaikum")
	thanksCore = squeezedSet("terima", "makasih", "makasi", "mksh", "mks", "trims", "trimakasih", "terimakasih",
		"tq", "ty", "thx", "thanks", "thank", "nuhun", "suwun", "sakalangkong", "kasih", "tengkyu", "thankyou")
	thanksFill = squeezedSet("kasih", "banyak", "byk", "bnyk", "ya", "atas", "infonya", "informasinya", "bantuannya",
		"you", "very", "much", "so", "hatur", "matur", "sanget", "sangat", "sekali", "lot", "a", "info", "nya",
		"sudah", "udah", "udh", "membantu", "dibantu", "ok", "oke", "sip", "baik", "siap", "kak", "mantap",
		"many", "for", "the", "help", "u")
	ackCore = squeezedSet("ok", "oke", "okey", "okay", "okee", "okeh", "oc", "sip", "siap", "siip", "noted",
		"baik", "baiklah", "mantap", "mantab", "mantul", "good", "nice", "alright", "fine", "paham", "mengerti",
		"ngerti", "faham", "oh", "o", "owh", "oalah", "ooh", "hmm", "hm", "sipp", "cool", "wokey", "okok")
	ackFill = squeezedSet("deh", "lah", "kalau", "gitu", "begitu", "sudah", "udah", "udh", "sdh", "saya", "sy",
		"aku", "then", "got", "it", "i", "see", "understood", "ya", "baik", "okay", "noted", "siap")
	laughter = []string{"wkwk", "haha", "hehe", "hihi", "xixi", "awok", "kwkw", "lol", "wk", "ckck", "huhu"}
	// Phrases of confusion or of a question about the step, as words.
	confusedPhrases = [][]string{
		{"gimana"}, {"gmn"}, {"gmana"}, {"bagaimana"}, {"bgmn"}, {"caranya"}, {"cara", "nya"}, {"maksudnya"},
		{"maksud"}, {"maksudny"}, {"apa", "ini"}, {"apa", "itu"}, {"apa", "ya"}, {"apaan"}, {"apa", "sih"},
		{"ini", "apa"}, {"bantuan"}, {"bantu"}, {"tolong"}, {"tlg"}, {"tolongin"}, {"bingung"}, {"binggung"},
		{"ga", "tau"}, {"gak", "tau"}, {"gk", "tau"}, {"tidak", "tau"}, {"tidak", "tahu"}, {"ga", "tahu"},
		{"gak", "tahu"}, {"nggak", "tau"}, {"ngga", "tau"}, {"enggak", "tau"}, {"gatau"}, {"gatahu"}, {"gtw"},
		{"gaktau"}, {"tdk", "tau"}, {"tdk", "tahu"}, {"ndak", "tau"}, {"kurang", "tau"}, {"ga", "ngerti"},
		{"gak", "ngerti"}, {"tidak", "mengerti"}, {"tidak", "paham"}, {"ga", "paham"}, {"gak", "paham"},
		{"kurang", "paham"}, {"kurang", "jelas"}, {"contoh"}, {"contohnya"}, {"misalnya"}, {"isi", "apa"},
		{"diisi", "apa"}, {"ngisi", "apa"}, {"harus", "apa"}, {"jawab", "apa"}, {"sama", "kaya", "tadi"},
		{"sama", "kayak", "tadi"}, {"sama", "seperti", "tadi"}, {"sama", "dengan", "tadi"}, {"idem"},
		{"kenapa"}, {"knp"}, {"ngapain"}, {"help"}, {"what"}, {"huh"}, {"hah"},
		{"dont", "know"}, {"don", "t", "know"}, {"not", "sure"}, {"no", "idea"}, {"what", "is", "this"},
		{"how"}, {"confused"}, {"dont", "understand"}, {"don", "t", "understand"}, {"same", "as", "before"}, {"mohon", "dibantu"}, {"bisa", "dibantu"}, {"minta", "tolong"},
	}
	// squeezedPhrases are confusedPhrases as ClassifyTalk compares them.
	squeezedPhrases = func() [][]string {
		out := make([][]string, len(confusedPhrases))
		for i, p := range confusedPhrases {
			out[i] = squeezeAll(p)
		}
		return out
	}()
	skipMeta = squeezedSet("lewati", "lewat", "skip", "next", "lanjut", "lanjutkan", "nanti", "nanti saja",
		"nanti aja", "besok", "besok aja", "pass", "kosongkan", "kosongin")
	skipFill = squeezedSet("aja", "saja", "dulu", "deh", "ya", "yg", "ini", "pertanyaan")
)

// ClassifyTalk says what a message is besides an answer. raw is the text
// as typed (a trailing "?" marks a question); norm is Normalize(raw).
func ClassifyTalk(raw, norm string) TalkKind {
	var buf [16]string
	ws := appendWords(buf[:0], norm)
	for i, w := range ws {
		ws[i] = squeeze(w)
	}
	if len(ws) == 0 {
		switch {
		case norm == "":
			return TalkNone
		case strings.ContainsAny(norm, "?¿"):
			return TalkConfused
		case strings.ContainsFunc(norm, func(r rune) bool { return containsRune(thanksEmoji, r) }):
			return TalkThanks
		case strings.ContainsFunc(norm, func(r rune) bool { return containsRune(ackEmoji, r) }):
			return TalkAck
		}
		return TalkNone
	}
	if allOf(ws, salamWords, greetFill, talkAddress) && anyOf(ws, salamWords) {
		return TalkSalam
	}
	if allOf(ws, greetCore, greetFill, talkAddress) && anyOf(ws, greetOwn) {
		return TalkGreeting
	}
	if allOf(ws, thanksCore, thanksFill, talkAddress) && anyOf(ws, thanksCore) {
		return TalkThanks
	}
	if allOf(ws, ackCore, ackFill, talkAddress) && anyOf(ws, ackCore) {
		return TalkAck
	}
	if skipMeta[strings.Join(ws, " ")] || (len(ws) <= 3 && skipMeta[ws[0]] && allOf(ws[1:], talkAddress, skipMeta, skipFill)) {
		return TalkSkip
	}
	if laughs(ws) {
		return TalkConfused
	}
	// A message with digits is data ("Jl. Bantu No. 5"), unless it asks.
	if len(ws) <= 8 && !strings.ContainsAny(norm, "0123456789") {
		for _, p := range squeezedPhrases {
			if containsWords(ws, p) {
				return TalkConfused
			}
		}
	}
	if strings.HasSuffix(strings.TrimRightFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || isEmoji(r) }), "?") {
		return TalkConfused
	}
	return TalkNone
}

func laughs(ws []string) bool {
	n := 0
	for _, w := range ws {
		ok := false
		for _, l := range laughter {
			if strings.HasPrefix(w, l) {
				ok = true
				n++
				break
			}
		}
		if !ok && !talkAddress[w] {
			return false
		}
	}
	return n > 0
}

func squeezeAll(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = squeeze(w)
	}
	return out
}

func allOf(ws []string, sets ...map[string]bool) bool {
	for _, w := range ws {
		in := false
		for _, s := range sets {
			if s[w] {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}

func anyOf(ws []string, set map[string]bool) bool {
	for _, w := range ws {
		if set[w] {
			return true
		}
	}
	return false
}

var (
	thanksEmoji = []rune{'🙏', '❤', '😊', '🥰', '💕', '🤗'}
	ackEmoji    = []rune{'👍', '👌', '🆗', '✅', '💪', '😁', '😀', '🙂', '👋'}
)

func isEmoji(r rune) bool {
	return unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r) || r == '\ufe0f'
}

// FAQ is a region's frequently asked questions in one language, read from
// a data file: each entry is matched by key phrases and answered with a
// template filled in from the region and the person (Talk.Data).
type FAQ struct {
	Entries []FAQEntry `toml:"faq"`

	words []string       // the distinct words of every key (Compile), which FAQEntry.keys index
	kinds []uint64       // asciiKinds of each of words
	ids   map[string]int // index in words of each word
	byLen [][]int        // indexes in words of the words of each length (in bytes) a typo may reach: 4 and more
}

// FAQEntry is one question of the FAQ.
type FAQEntry struct {
	ID string `toml:"id"`
	// Keys are phrases: the entry matches a message that has every word of
	// one phrase, in any order, each with a small typo allowed ("biaya
	// daftar", "nomer dinas"). A phrase of one word needs a question word
	// or "?" in the message while a flow runs, so an answer that happens to
	// contain it ("Usaha Mikro Jaya") is not taken for a question.
	Keys []string `toml:"keys"`
	// Answer is a text/template: {{.Office}}, {{.Contact}} (empty when
	// unknown), {{.Region}}, {{.ID}} (the person's registration number,
	// empty when not registered).
	Answer string `toml:"answer"`

	tmpl *template.Template
	keys [][]int // each key's words, as indexes into FAQ.words
}

// Compile checks every entry and prepares it for matching.
func (f *FAQ) Compile() error {
	index := map[string]int{}
	f.words, f.kinds, f.ids, f.byLen = nil, nil, index, nil
	for i := range f.Entries {
		en := &f.Entries[i]
		if en.ID == "" || len(en.Keys) == 0 || strings.TrimSpace(en.Answer) == "" {
			return &faqError{id: en.ID, what: "needs an id, keys and an answer"}
		}
		t, err := template.New(en.ID).Option("missingkey=zero").Parse(en.Answer)
		if err != nil {
			return &faqError{id: en.ID, what: err.Error()}
		}
		en.tmpl = t
		en.keys = nil
		for _, k := range en.Keys {
			ws := words(Normalize(k))
			if len(ws) == 0 {
				return &faqError{id: en.ID, what: "empty key"}
			}
			ids := make([]int, len(ws))
			for j, w := range ws {
				id, ok := index[w]
				if !ok {
					id = len(f.words)
					index[w] = id
					f.words = append(f.words, w)
					f.kinds = append(f.kinds, asciiKinds(w))
					if n := len(w); typoLimit(n) > 0 {
						for len(f.byLen) <= n {
							f.byLen = append(f.byLen, nil)
						}
						f.byLen[n] = append(f.byLen[n], id)
					}
				}
				ids[j] = id
			}
			en.keys = append(en.keys, ids)
		}
	}
	return nil
}

type faqError struct{ id, what string }

func (e *faqError) Error() string { return "faq entry " + e.id + ": " + e.what }

// questionWords mark a message as a question for one-word FAQ keys.
var questionWords = squeezedSet("apa", "apakah", "berapa", "brp", "bagaimana", "gimana", "gmn", "dimana", "dmn",
	"mana", "kapan", "siapa", "kenapa", "mengapa", "bisa", "bisakah", "boleh", "tanya", "nanya", "mau",
	"ingin", "cara", "caranya", "info", "what", "how", "where", "when", "who", "is", "does", "do", "can",
	"itu", "maksud", "arti", "artinya", "perlu", "harus", "wajib", "bayar", "lupa", "hapus", "kok", "ya",
	"want", "need", "forgot", "forget", "delete")

// Match returns the entry the message asks about, or nil. strict (a flow
// is running) asks for a question word or "?" with one-word keys and with
// messages of more than three words, so an answer that contains a key
// ("dekat kantor dinas pendidikan") is not taken for a question.
func (f *FAQ) Match(raw, norm string, strict bool) *FAQEntry {
	en, _ := f.match(raw, norm, strict)
	return en
}

// match is Match, also telling how many words the key matched has.
func (f *FAQ) match(raw, norm string, strict bool) (*FAQEntry, int) {
	if f == nil {
		return nil, 0
	}
	var wbuf [16]string
	ws := appendWords(wbuf[:0], norm)
	if len(ws) == 0 || len(ws) > 14 {
		return nil, 0
	}
	asked := strings.Contains(raw, "?") || anyOf(ws, questionWords)
	if strict && !asked && len(ws) > 3 {
		return nil, 0 // "dekat kantor dinas pendidikan" is an address, not a question
	}
	// found: which words of the keys the message has, each allowing the
	// typos typoLimit allows (a word of the message is looked up, and
	// compared with the key words of a length a typo reaches), worked out
	// before any key: most messages have none, and are done without
	// looking at the keys, which was a fifth of the engine's work per turn
	// (BenchmarkEngineDaftar).
	var buf [256]bool
	found := buf[:0]
	if len(f.words) <= len(buf) {
		found = buf[:len(f.words)]
	} else {
		found = make([]bool, len(f.words))
	}
	if !f.findWords(ws, found) {
		return nil, 0
	}
	best, bestLen := -1, 0
	for i := range f.Entries {
		for _, k := range f.Entries[i].keys {
			if len(k) == 1 && !asked && (strict || len(ws) > 1) {
				continue
			}
			if len(k) > bestLen && allFound(k, found) {
				best, bestLen = i, len(k)
			}
		}
	}
	if best < 0 {
		return nil, 0
	}
	return &f.Entries[best], bestLen
}

// findWords marks in found the words of the keys that are among ws,
// allowing the typos typoLimit allows, and reports whether there is one.
func (f *FAQ) findWords(ws []string, found []bool) bool {
	some := false
	for _, w := range ws {
		if id, ok := f.ids[w]; ok {
			found[id], some = true, true
		}
		if typoLimit(len(w)) == 0 {
			continue // a typo needs words of 4 letters or more
		}
		kw := asciiKinds(w)
		for n := len(w) - 2; n <= len(w)+2 && n < len(f.byLen); n++ {
			for _, id := range f.byLen[n] {
				if found[id] {
					continue
				}
				k := f.words[id]
				if lim := typoLimit(min(len(w), len(k))); abs(len(w)-len(k)) <= lim && withinEdits(w, k, kw, f.kinds[id], lim) {
					found[id], some = true, true
				}
			}
		}
	}
	return some
}

// allFound reports whether every word of key (indexes into FAQ.words) was
// found.
func allFound(key []int, found []bool) bool {
	for _, id := range key {
		if !found[id] {
			return false
		}
	}
	return true
}

// Render fills in the entry's answer.
func (en *FAQEntry) Render(data map[string]any) string {
	var b bytes.Buffer
	if err := en.tmpl.Execute(&b, data); err != nil {
		return ""
	}
	return strings.TrimSpace(b.String())
}

// Talk is what the conversation layer knows beyond its built-in small talk:
// the FAQ per language and how to fill its answers in.
type Talk struct {
	FAQ  map[string]*FAQ // by language
	Data func(ctx context.Context, t *Turn) (map[string]any, error)
}

// faq returns the FAQ of lang, falling back to Indonesian.
func (k *Talk) faq(lang string) *FAQ {
	if k == nil {
		return nil
	}
	if f := k.FAQ[lang]; f != nil {
		return f
	}
	return k.FAQ[DefaultLang]
}

// CleanText removes control characters (line breaks kept; tabs become
// spaces) and the invisible marks that reorder or hide text: bidi
// embeddings, overrides and isolates, directional marks, and the Unicode
// tag block.
func CleanText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case r == '\r':
			return -1
		case unicode.IsControl(r):
			return -1
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
			return -1
		case r >= 0xE0000 && r <= 0xE007F: // tags
			return -1
		}
		return r
	}, s)
}
