package bot

import (
	"testing"
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
