package bot

import (
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestClassifyTalk(t *testing.T) {
	cases := map[string]TalkKind{
		// Issue 10 "Why", as owners wrote them.
		"halo kak": TalkGreeting, "Assalamualaikum wr wb": TalkSalam, "selamat pagi bu": TalkGreeting,
		"permisi mau tanya": TalkGreeting, "terima kasih": TalkThanks, "makasih kak": TalkThanks, "ok": TalkAck,
		"👍": TalkAck, "caranya gimana kak": TalkConfused, "tolong kak": TalkConfused, "maksudnya apa ya": TalkConfused,
		"bantuan dong": TalkConfused, "wkwk": TalkConfused, "lewati": TalkSkip, "ga tau": TalkConfused,
		"sama kaya tadi": TalkConfused,
		// More forms.
		"Haloooo min": TalkGreeting, "hai": TalkGreeting, "P": TalkGreeting, "pagi": TalkGreeting,
		"Selamat malam pak": TalkGreeting, "punten": TalkGreeting, "assalamu'alaikum warahmatullahi wabarakatuh": TalkSalam,
		"Assalamualaikum kak": TalkSalam, "hatur nuhun": TalkThanks, "makasih banyak ya bu": TalkThanks, "tq": TalkThanks,
		"thank you": TalkThanks, "🙏": TalkThanks, "oke siap": TalkAck, "sip": TalkAck, "baik bu": TalkAck,
		"hahaha": TalkConfused, "wkwkwk kak": TalkConfused, "apa ini?": TalkConfused, "bingung": TalkConfused,
		"gimana?": TalkConfused, "?": TalkConfused, "kenapa harus isi ini?": TalkConfused, "skip aja": TalkSkip,
		// Answers: none is small talk.
		"Siti Aminah": TalkNone, "Warung Bu Siti": TalkNone, "ya": TalkNone, "1": TalkNone, "tidak": TalkNone,
		"Jl. Veteran No. 12": TalkNone, "keripik singkong": TalkNone, "selamat": TalkNone, "Salamah": TalkNone,
		"kakek": TalkNone, "Jl. Bantu No. 5": TalkNone, "Kampung Contoh RT 02": TalkNone, "3214014505880001": TalkNone, "Hasan": TalkNone, "Pagiyanto": TalkNone,
	}
	for in, want := range cases {
		if got := ClassifyTalk(in, Normalize(in)); got != want {
			t.Errorf("ClassifyTalk(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestFAQMatch(t *testing.T) {
	f := &FAQ{Entries: []FAQEntry{
		{ID: "biaya", Keys: []string{"biaya", "biaya daftar"}, Answer: "gratis"},
		{ID: "kontak", Keys: []string{"nomor dinas", "kantor dinas", "dinas"}, Answer: "{{.Office}}: {{if .Contact}}{{.Contact}}{{else}}belum tersedia{{end}}"},
		{ID: "nomor", Keys: []string{"lupa nomor"}, Answer: "{{if .ID}}Nomor Bapak/Ibu {{.ID}}{{else}}belum terdaftar{{end}}"},
	}}
	if err := f.Compile(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in     string
		strict bool
		want   string
	}{
		{"berapa biaya daftar?", true, "biaya"},
		{"biaya", false, "biaya"},       // the word alone at the menu
		{"biayanya brp", true, ""},      // no whole word "biaya": no guess
		{"biaya produksi", true, ""},    // one-word key without a question in a flow
		{"byaya daftar", true, "biaya"}, // a typo
		{"nomer dinas berapa", true, "kontak"},
		{"kantor dinas dimana", false, "kontak"},
		{"lupa nomer umkm saya", true, "nomor"},
		{"Usaha Mikro Jaya", true, ""},
		{"dekat kantor dinas pendidikan", true, ""}, // an address
		{"dekat kantor dinas pendidikan", false, "kontak"},
		{"", false, ""},
	} {
		got := ""
		if en := f.Match(c.in, Normalize(c.in), c.strict); en != nil {
			got = en.ID
		}
		if got != c.want {
			t.Errorf("Match(%q, strict=%v) = %q, want %q", c.in, c.strict, got, c.want)
		}
	}
	kontak := f.Match("nomor dinas?", "nomor dinas", true)
	if got := kontak.Render(map[string]any{"Office": "DKUPP", "Contact": ""}); got != "DKUPP: belum tersedia" {
		t.Errorf("unknown contact renders %q", got)
	}
	nomor := f.Match("lupa nomor", "lupa nomor", true)
	if got := nomor.Render(map[string]any{"ID": "UMKM-3214-000007"}); got != "Nomor Bapak/Ibu UMKM-3214-000007" {
		t.Errorf("own number renders %q", got)
	}
	bad := &FAQ{Entries: []FAQEntry{{ID: "x", Keys: []string{"a"}, Answer: "{{.Office"}}}
	if bad.Compile() == nil {
		t.Error("a broken template compiled")
	}
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"Siti\u202eanimA":            "SitianimA",
		"Warung\u2066 Bu\u2069 Siti": "Warung Bu Siti",
		"a\x00b\x07c":                "abc",
		"baris 1\r\nbaris 2":         "baris 1\nbaris 2",
		"tab\there":                  "tab here",
		"\u200fNama\u200e":           "Nama",
		"biasa saja":                 "biasa saja",
	} {
		if got := CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzClassifyTalk: any text is classified without a panic, and CleanText
// leaves no control or bidi character behind.
func FuzzClassifyTalk(f *testing.F) {
	for _, s := range []string{"halo kak", "?", "👍", "wkwk", "lewati", "terima kasih", "apa itu NIB?", "\u202e", ""} {
		f.Add(s)
	}
	faq := &FAQ{Entries: []FAQEntry{{ID: "biaya", Keys: []string{"biaya daftar", "biaya"}, Answer: "gratis"}}}
	if err := faq.Compile(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = ClassifyTalk(s, Normalize(s))
		_ = faq.Match(s, Normalize(s), true)
		c := CleanText(s)
		if utf8.ValidString(s) && !utf8.ValidString(c) {
			t.Fatalf("CleanText made invalid UTF-8 of %q", s)
		}
		for _, r := range c {
			if (unicode.IsControl(r) && r != '\n') || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) {
				t.Fatalf("CleanText(%q) kept %U", s, r)
			}
		}
		if CleanText(c) != c {
			t.Fatalf("CleanText not idempotent on %q", s)
		}
		_ = strings.TrimSpace(c)
	})
}

var talkBenchInputs = []string{"halo kak", "Assalamualaikum wr wb", "terima kasih", "ok", "caranya gimana kak",
	"Siti Aminah", "Jl. Veteran No. 12 RT 02/RW 05", "berapa biaya daftar?", "keripik singkong pedas", "3214014505880001"}

// BenchmarkClassifyTalk: what the conversation layer adds to each message.
func BenchmarkClassifyTalk(b *testing.B) {
	norms := make([]string, len(talkBenchInputs))
	for i, s := range talkBenchInputs {
		norms[i] = Normalize(s)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		j := i % len(talkBenchInputs)
		_ = ClassifyTalk(talkBenchInputs[j], norms[j])
	}
}

// BenchmarkFAQMatch: matching a message against an FAQ of 60 entries (ten
// times the embedded one).
func BenchmarkFAQMatch(b *testing.B) {
	f := &FAQ{}
	for i := 0; i < 60; i++ {
		f.Entries = append(f.Entries, FAQEntry{ID: strconv.Itoa(i), Answer: "x",
			Keys: []string{"biaya daftar", "nomor dinas", "kantor dinas", "hapus data", "lupa nomor", "mikro", "nib", "oss"}})
	}
	if err := f.Compile(); err != nil {
		b.Fatal(err)
	}
	norms := make([]string, len(talkBenchInputs))
	for i, s := range talkBenchInputs {
		norms[i] = Normalize(s)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		j := i % len(talkBenchInputs)
		_ = f.Match(talkBenchInputs[j], norms[j], true)
	}
}
