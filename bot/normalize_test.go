package bot

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"  Iya!! ", "iya"},
		{"Ya,   Kak", "ya, kak"},
		{"line\nbreak\ttab", "line break tab"},
		{"“Kuliner”", "kuliner"},
		{"'ok'", "ok"},
		{"１２", "12"},
		{"ＯＫ", "ok"},
		{"1️⃣", "1"},
		{"1.", "1"},
		{"1)", "1"},
		{"(1)", "1"},
		{"*1*", "1"},
		{"_iya_", "iya"},
		{"ok 👍", "ok"},
		{"iya kak 🙏🙏", "iya kak"},
		{"?", "?"},
		{"...", "..."},
		{"👍", "👍"},
		{"👍 👍", "👍 👍"},
		{"/start", "/start"},
		{"-5", "-5"},
		{"+62 812", "+62 812"},
		{"Assalamu’alaikum", "assalamu'alaikum"},
		{"ke-2", "ke-2"},
		{"no. 2", "no. 2"},
		{"a\u200bb", "ab"},
		{"\u00a0MENU\u00a0", "menu"},
		{"\ufeffhalo", "halo"},
		{"Babakan   Cikao.", "babakan cikao"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Fatalf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Normalize(tt.want); got != tt.want {
			t.Fatalf("Normalize(%q) = %q, not idempotent", tt.want, got)
		}
	}
}

func TestLevenshtein(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"a", "", 1},
		{"", "abc", 3},
		{"kuliner", "kuliner", 0},
		{"kuliner", "kulinr", 1},
		{"kuliner", "kulinee", 1},
		{"kuliner", "kuliners", 1},
		{"ab", "ba", 2},
		{"kitten", "sitting", 3},
		{"héllo", "hello", 1},
		{"日本", "日本語", 1},
		{"tarumajaya", "tarumjaya", 1},
	}
	for _, tt := range tests {
		if got := Levenshtein(tt.a, tt.b); got != tt.want {
			t.Fatalf("Levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Levenshtein(tt.b, tt.a); got != tt.want {
			t.Fatalf("Levenshtein(%q, %q) = %d, want %d (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

// FuzzNormalize checks Normalize's shortcuts: whatever normalASCII takes
// as normal already comes out of the long way unchanged, the one-pass long
// way is the step-by-step one (normalizeSteps), and Normalize stays
// idempotent.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "1", "kuliner", "ya kak", "no. 2", "Iya!!", " a", "a ", "a  b", "a`b", "?", "x.", "(1", "a\tb", "ke-2", "/start", "^a", "a^", "a~", "#1", "a\x7f", "ＯＫ １２", "\u00a0MENU\u00a0", "İSTANBUL", "\xffA\xfe", "a\u2028b\u3000c", "ǅ", "1️⃣", "“Kuliner”", "no.2 ke-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if normalASCII(s) {
			if got := normalize(s); got != s {
				t.Fatalf("normalASCII(%q) but the long way makes %q", s, got)
			}
		}
		ws := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if got := words(s); strings.Join(got, "|") != strings.Join(ws, "|") || len(got) != len(ws) {
			t.Fatalf("words(%q) = %q, FieldsFunc %q", s, got, ws)
		}
		if got, want := normalize(s), normalizeSteps(s); got != want {
			t.Fatalf("normalize(%q) = %q, step by step %q", s, got, want)
		}
		n := Normalize(s)
		if n != normalize(s) {
			t.Fatalf("Normalize(%q) = %q, the long way %q", s, n, normalize(s))
		}
		if again := Normalize(n); again != n {
			t.Fatalf("Normalize(%q) = %q, not idempotent (%q)", s, n, again)
		}
	})
}

// normalizeSteps is Normalize as first written, a step at a time, for
// FuzzNormalize.
func normalizeSteps(s string) string {
	var b strings.Builder
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

// FuzzLevenshteinAtMost checks the cut-short distance against the whole
// table: the same distance up to lim, lim+1 past it.
func FuzzLevenshteinAtMost(f *testing.F) {
	f.Add("kuliner", "kulinr", 1)
	f.Add("kitten", "sitting", 2)
	f.Add("日本", "日本語", 1)
	f.Add("", "abc", 2)
	f.Add("Kuliner", "kuliner", 1)
	f.Add("abc1", "abd1", 1)
	f.Add("a b", "ab", 1)
	f.Add("pendaftaran", "pendftaran", 2)
	f.Fuzz(func(t *testing.T, a, b string, lim int) {
		if lim < 0 || lim > 100 {
			return
		}
		want := min(levenshteinFull(a, b), lim+1)
		if got := levenshteinAtMost(a, b, lim); got != want {
			t.Fatalf("levenshteinAtMost(%q, %q, %d) = %d, want %d", a, b, lim, got, want)
		}
	})
}

// levenshteinFull is the textbook table, for FuzzLevenshteinAtMost.
func levenshteinFull(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
		}
	}
	return d[len(ra)][len(rb)]
}

// TestIsEdgeTable: the ASCII table gives what the list and the symbol
// categories give (the table is the fast path of nearly every answer and
// key Normalize sees), and the runes past ASCII still go the long way.
func TestIsEdgeTable(t *testing.T) {
	const want = " !\"'()*,.:;<>?[]^_`{|}~" // '^' and '`' are modifier symbols (Sk)
	for r := rune(0); r < 0x3000; r++ {
		if got, slow := isEdge(r), isEdgeRune(r); got != slow {
			t.Fatalf("isEdge(%q) = %v, the list and categories say %v", r, got, slow)
		}
		if r < 0x80 && isEdge(r) != strings.ContainsRune(want, r) {
			t.Errorf("isEdge(%q) = %v, want %v", r, isEdge(r), !isEdge(r))
		}
	}
	for _, r := range []rune{'¿', '«', '…', '👍', '©'} {
		if !isEdge(r) {
			t.Errorf("isEdge(%q) = false, want true", r)
		}
	}
	for _, r := range []rune{'a', '7', 'é', 'ß', utf8.RuneError} {
		if isEdge(r) {
			t.Errorf("isEdge(%q) = true, want false", r)
		}
	}
}

// TestWithinEdits: withinEdits, given the words' kinds worked out once,
// says what levenshteinAtMost says of every pair: words, their typos,
// digits, capitals, punctuation and letters past ASCII.
func TestWithinEdits(t *testing.T) {
	ws := []string{"biaya", "biyaa", "biaaya", "bayar", "daftar", "dafatr", "daftra", "nomor", "nomer", "nmr", "dinas",
		"dians", "kantor", "kntor", "whatsapp", "watsap", "wa", "hp", "umkm", "umkn", "12", "2024", "20a4", "Nomor",
		"no.", "pendaftaran", "pendaftran", "pndaftaran", "café", "cafe", "señor", "senor", "ok", "", "a", "ab"}
	for _, a := range ws {
		for _, b := range ws {
			for lim := 0; lim <= 3; lim++ {
				want := levenshteinAtMost(a, b, lim) <= lim
				if got := withinEdits(a, b, asciiKinds(a), asciiKinds(b), lim); got != want {
					t.Errorf("withinEdits(%q, %q, %d) = %v, levenshteinAtMost says %v", a, b, lim, got, want)
				}
			}
		}
	}
}
