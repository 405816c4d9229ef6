package bot

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// matchKeyByKey is FAQ.match as it was before findWords: each key's
// words looked for among the message's, with typos, key by key.
func matchKeyByKey(f *FAQ, raw, norm string, strict bool) (*FAQEntry, int) {
	ws := words(norm)
	if len(ws) == 0 || len(ws) > 14 {
		return nil, 0
	}
	asked := strings.Contains(raw, "?") || anyOf(ws, questionWords)
	if strict && !asked && len(ws) > 3 {
		return nil, 0
	}
	has := func(k string) bool {
		for _, w := range ws {
			if w == k {
				return true
			}
			if lim := typoLimit(min(len(w), len(k))); lim > 0 && abs(len(w)-len(k)) <= lim && levenshteinAtMost(w, k, lim) <= lim {
				return true
			}
		}
		return false
	}
	best, bestLen := -1, 0
	for i := range f.Entries {
		for _, k := range f.Entries[i].keys {
			if len(k) == 1 && !asked && (strict || len(ws) > 1) {
				continue
			}
			all := true
			for _, id := range k {
				all = all && has(f.words[id])
			}
			if len(k) > bestLen && all {
				best, bestLen = i, len(k)
			}
		}
	}
	if best < 0 {
		return nil, 0
	}
	return &f.Entries[best], bestLen
}

// TestFAQMatchLikeKeyByKey: FAQ.match, which finds the key words a
// message has before looking at any key, answers what looking key by key
// answers, on the shipped FAQ files, with every message of the golden
// transcripts and the keys themselves with typos and other words around.
func TestFAQMatchLikeKeyByKey(t *testing.T) {
	files, err := filepath.Glob("../flows/data/faq/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no FAQ files: %v", err)
	}
	var msgs []string
	transcripts, _ := filepath.Glob("../flows/testdata/*/*.txt")
	for _, name := range transcripts {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if s, ok := strings.CutPrefix(line, "> "); ok {
				msgs = append(msgs, s)
			}
		}
	}
	if len(msgs) < 100 {
		t.Fatalf("only %d messages in the transcripts", len(msgs))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	typo := func(w string) string {
		if len(w) < 2 {
			return w
		}
		i := rng.IntN(len(w) - 1)
		switch rng.IntN(4) {
		case 0:
			return w[:i] + w[i+1:]
		case 1:
			return w[:i] + string(rune('a'+rng.IntN(26))) + w[i+1:]
		case 2:
			return w[:i] + w[i+1:i+2] + w[i:i+1] + w[i+2:]
		}
		return w[:i] + string(rune('a'+rng.IntN(26))) + w[i:]
	}
	fill := []string{"berapa", "apa", "kak", "saya", "?", "mau", "tolong", "Jl.", "12", "usaha", "dinas", "daftar"}
	matched := 0
	for _, file := range files {
		f := &FAQ{}
		if _, err := toml.DecodeFile(file, f); err != nil {
			t.Fatal(err)
		}
		if err := f.Compile(); err != nil {
			t.Fatal(err)
		}
		cases := append([]string(nil), msgs...)
		for _, en := range f.Entries {
			for _, k := range en.Keys {
				// Each word two letters shorter and two longer: the ends
				// of the lengths a typo reaches.
				for _, w := range strings.Fields(k) {
					if len(w) >= 4 {
						cases = append(cases, strings.Replace(k, w, w[:1]+w[3:], 1), strings.Replace(k, w, w[:2]+"xy"+w[2:], 1))
					}
				}
				for range 6 {
					ws := strings.Fields(k)
					for i := range ws {
						switch rng.IntN(3) {
						case 0:
							ws[i] = typo(ws[i])
						case 1: // two edits: long words take them
							ws[i] = typo(typo(ws[i]))
						}
					}
					for range rng.IntN(3) {
						ws = append(ws, fill[rng.IntN(len(fill))])
					}
					rng.Shuffle(len(ws), func(i, j int) { ws[i], ws[j] = ws[j], ws[i] })
					cases = append(cases, strings.Join(ws, " "))
				}
			}
		}
		for _, raw := range cases {
			norm := Normalize(raw)
			for _, strict := range []bool{false, true} {
				got, gotN := f.match(raw, norm, strict)
				want, wantN := matchKeyByKey(f, raw, norm, strict)
				if got != want || gotN != wantN {
					t.Errorf("%s: match(%q, strict=%v) = %s/%d, key by key %s/%d", filepath.Base(file), raw, strict, entryID(got), gotN, entryID(want), wantN)
				}
				if got != nil {
					matched++
				}
			}
		}
	}
	if matched < 200 {
		t.Errorf("only %d matches: the cases hardly reach the keys", matched)
	}
}

func entryID(en *FAQEntry) string {
	if en == nil {
		return "<nil>"
	}
	return en.ID
}
