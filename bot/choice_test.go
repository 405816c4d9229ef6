package bot

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sectors is the practical sector menu of domain.md.
var sectors = []Option{
	{Key: "1", Value: "kuliner", Label: Raw("Kuliner"), Alias: []string{"makanan", "minuman", "makanan & minuman"}},
	{Key: "2", Value: "fesyen", Label: Raw("Fesyen"), Alias: []string{"fashion", "pakaian", "baju"}},
	{Key: "3", Value: "kriya", Label: Raw("Kriya/kerajinan"), Alias: []string{"kriya", "kerajinan"}},
	{Key: "4", Value: "tani", Label: Raw("Pertanian & olahan hasil tani"), Alias: []string{"pertanian", "perikanan"}},
	{Key: "5", Value: "jasa", Label: Raw("Jasa")},
	{Key: "6", Value: "dagang", Label: Raw("Perdagangan/toko"), Alias: []string{"toko", "warung", "perdagangan"}},
	{Key: "7", Value: "lain", Label: Raw("Lainnya")},
}

// bekasi holds some kecamatan of Kabupaten Bekasi, keyed by their codes, with
// shared first words.
var bekasi = []Option{
	{Key: "1", Value: "3216010", Label: Raw("Tarumajaya")},
	{Key: "5", Value: "3216050", Label: Raw("Tambun Utara")},
	{Key: "6", Value: "3216060", Label: Raw("Tambun Selatan")},
	{Key: "8", Value: "3216080", Label: Raw("Cikarang Barat")},
	{Key: "9", Value: "3216090", Label: Raw("Cikarang Utara")},
	{Key: "11", Value: "3216110", Label: Raw("Cikarang Timur")},
	{Key: "12", Value: "3216120", Label: Raw("Kedung Waringin")},
	{Key: "19", Value: "3216190", Label: Raw("Cikarang Selatan")},
}

// places has names people split or hyphenate differently.
var places = []Option{
	{Key: "1", Value: "babakancikao", Label: Raw("Babakancikao")},
	{Key: "2", Value: "pondoksalam", Label: Raw("Pondoksalam")},
	{Key: "3", Value: "kiarapedes", Label: Raw("Kiarapedes")},
	{Key: "4", Value: "guluk", Label: Raw("Guluk-Guluk")},
	{Key: "5", Value: "raas", Label: Raw("Ra'as")},
	{Key: "6", Value: "kota", Label: Raw("Kota Sumenep")},
}

// lang mirrors the engine's language question: labels are message ids.
var lang = []Option{
	{Key: "1", Value: "id", Label: T("core.lang.id"), Alias: []string{"indonesia", "bahasa indonesia", "id"}},
	{Key: "2", Value: "en", Label: T("core.lang.en"), Alias: []string{"english", "inggris", "en"}},
}

// later has keys that do not start at 1, and letter keys.
var later = []Option{
	{Key: "3", Value: "c", Label: Raw("Tiga")},
	{Key: "4", Value: "d"},
	{Key: "05", Value: "e"},
}

var letters = []Option{
	{Key: "a", Value: "x", Label: Raw("Ya, lanjut")},
	{Key: "B", Value: "y", Label: Raw("Ubah data")},
}

var markets = []Option{
	{Key: "1", Value: "shopee", Label: Raw("Shopee")},
	{Key: "2", Value: "tokopedia", Label: Raw("Tokopedia")},
	{Key: "3", Value: "tiktok", Label: Raw("TikTok Shop")},
	{Key: "4", Value: "plaza", Label: Raw("Plaza Banten")},
	{Key: "5", Value: "none", Label: Raw("Belum jualan online")},
}

func TestMatchOption(t *testing.T) {
	tests := []struct {
		opts []Option
		in   string
		want string // Value, or "" for no match
	}{
		// The key, as people write it.
		{sectors, "1", "kuliner"},
		{sectors, " 2 ", "fesyen"},
		{sectors, "1.", "kuliner"},
		{sectors, "1)", "kuliner"},
		{sectors, "(3)", "kriya"},
		{sectors, "*4*", "tani"},
		{sectors, "1️⃣", "kuliner"},
		{sectors, "５", "jasa"},
		{sectors, "no 2", "fesyen"},
		{sectors, "no. 2", "fesyen"},
		{sectors, "No.2", "fesyen"},
		{sectors, "nomor 3", "kriya"},
		{sectors, "nmr 3", "kriya"},
		{sectors, "nomer 4", "tani"},
		{sectors, "pilih 5", "jasa"},
		{sectors, "sy pilih 5", "jasa"},
		{sectors, "yg 6", "dagang"},
		{sectors, "ke-7", "lain"},
		{sectors, "ke 7", "lain"},
		{sectors, "yang ke 2", "fesyen"},
		{sectors, "2 aja kak", "fesyen"},
		{sectors, "#2", "fesyen"},
		{sectors, "02", "fesyen"},
		{sectors, "2nd", "fesyen"},
		{sectors, "8", ""},
		{sectors, "0", ""},
		{sectors, "12", ""},
		{sectors, "1 2", ""},
		{sectors, "1-3", ""},

		// Number and ordinal words.
		{sectors, "satu", "kuliner"},
		{sectors, "Dua", "fesyen"},
		{sectors, "tiga", "kriya"},
		{sectors, "empat", "tani"},
		{sectors, "lima", "jasa"},
		{sectors, "enam", "dagang"},
		{sectors, "tujuh", "lain"},
		{sectors, "delapan", ""},
		{sectors, "pertama", "kuliner"},
		{sectors, "kesatu", "kuliner"},
		{sectors, "kedua", "fesyen"},
		{sectors, "yg kedua", "fesyen"},
		{sectors, "yang ketiga", "kriya"},
		{sectors, "keempat", "tani"},
		{sectors, "ke lima", "jasa"},
		{sectors, "nomor dua", "fesyen"},
		{sectors, "terakhir", "lain"},
		{sectors, "yg terakhir", "lain"},
		{sectors, "one", "kuliner"},
		{sectors, "second", "fesyen"},
		{sectors, "third", "kriya"},

		// Labels and aliases, loosely.
		{sectors, "Kuliner", "kuliner"},
		{sectors, "KULINER", "kuliner"},
		{sectors, "kuliner.", "kuliner"},
		{sectors, "kulinr", "kuliner"},
		{sectors, "kulineer", "kuliner"},
		{sectors, "kulin", "kuliner"},
		{sectors, "makanan", "kuliner"},
		{sectors, "Makanan & Minuman", "kuliner"},
		{sectors, "makanan dan minuman", "kuliner"},
		{sectors, "fashion", "fesyen"},
		{sectors, "fasion", "fesyen"},
		{sectors, "kerajnan", "kriya"},
		{sectors, "kriya / kerajinan", "kriya"},
		{sectors, "pertanian", "tani"},
		{sectors, "olahan", "tani"},
		{sectors, "warung", "dagang"},
		{sectors, "toko", "dagang"},
		{sectors, "perdagangan", "dagang"},
		{sectors, "perdaganagn", "dagang"},
		{sectors, "lainya", "lain"},
		{sectors, "lain", "lain"},
		{sectors, "jasa", "jasa"},
		{sectors, "saya pilih kuliner kak", "kuliner"},
		{sectors, "usaha saya kuliner", "kuliner"},
		{sectors, "jas", ""},
		{sectors, "per", ""},
		{sectors, "kuliner dan fesyen", ""}, // two options, equally
		{sectors, "", ""},
		{sectors, "...", ""},
		{sectors, "apa ya", ""},
		{sectors, "xyz", ""},

		// Shared words are ambiguous; more words decide.
		{bekasi, "tambun", ""},
		{bekasi, "cikarang", ""},
		{bekasi, "utara", ""},
		{bekasi, "tambun selatan", "3216060"},
		{bekasi, "Tambun  Utara", "3216050"},
		{bekasi, "cikarang brat", "3216080"},
		{bekasi, "cikarang timur", "3216110"},
		{bekasi, "kedung waringin", "3216120"},
		{bekasi, "kedungwaringin", "3216120"},
		{bekasi, "waringin", "3216120"},
		{bekasi, "tarumjaya", "3216010"},
		{bekasi, "taruma", "3216010"},
		{bekasi, "kec. cikarang selatan", "3216190"},
		{bekasi, "1", "3216010"},
		{bekasi, "11", "3216110"},
		{bekasi, "19", "3216190"},
		{bekasi, "2", ""}, // no key 2: keys are codes, not positions
		{bekasi, "kesebelas", "3216110"},
		{bekasi, "sembilan belas", "3216190"},

		// Spacing and hyphens inside names.
		{places, "babakan cikao", "babakancikao"},
		{places, "Babakan Cikao", "babakancikao"},
		{places, "pondok salam", "pondoksalam"},
		{places, "kiara pedes", "kiarapedes"},
		{places, "guluk guluk", "guluk"},
		{places, "gulukguluk", "guluk"},
		{places, "raas", "raas"},
		{places, "ra'as", "raas"},
		{places, "Ra’as", "raas"},
		{places, "sumenep", "kota"},

		// Labels from message ids: only aliases and keys count.
		{lang, "1", "id"},
		{lang, "english", "en"},
		{lang, "English", "en"},
		{lang, "inggris", "en"},
		{lang, "bahasa indonesia", "id"},
		{lang, "id", "id"},
		{lang, "EN", "en"},
		{lang, "core.lang.en", ""},
		{lang, "inggris aja", "en"},

		// Keys that do not start at 1.
		{later, "1", ""},
		{later, "3", "c"},
		{later, "ketiga", "c"},
		{later, "4", "d"},
		{later, "5", "e"},
		{later, "05", "e"},
		{later, "tiga", "c"},
		{letters, "a", "x"},
		{letters, "A", "x"},
		{letters, "b", "y"},
		{letters, "b.", "y"},
		{letters, "ubah", "y"},
		{letters, "c", ""},

		{markets, "tiktok", "tiktok"},
		{markets, "shop", ""}, // Shopee or TikTok Shop
		{markets, "tokped", ""},
		{markets, "tokopedia", "tokopedia"},
		{markets, "plaza banten", "plaza"},
		{markets, "belum", "none"},
	}
	for _, tt := range tests {
		got, ok := MatchOption(tt.in, tt.opts)
		if tt.want == "" {
			if ok {
				t.Fatalf("MatchOption(%q) = %q, want no match", tt.in, got.Value)
			}
			continue
		}
		if !ok || got.Value != tt.want {
			t.Fatalf("MatchOption(%q) = %q, %v; want %q", tt.in, got.Value, ok, tt.want)
		}
	}
}

func TestMatchOptionEmpty(t *testing.T) {
	if _, ok := MatchOption("1", nil); ok {
		t.Fatal("MatchOption with no options matched")
	}
}

func values(opts []Option) string {
	vs := make([]string, len(opts))
	for i, o := range opts {
		vs[i] = o.Value
	}
	return strings.Join(vs, ",")
}

func TestMatchOptions(t *testing.T) {
	tests := []struct {
		opts []Option
		in   string
		want string // comma-joined Values, "" for no match
	}{
		{sectors, "1", "kuliner"},
		{sectors, "1,3", "kuliner,kriya"},
		{sectors, "1, 3", "kuliner,kriya"},
		{sectors, "1 3", "kuliner,kriya"},
		{sectors, "1 dan 3", "kuliner,kriya"},
		{sectors, "1, 3 & 4", "kuliner,kriya,tani"},
		{sectors, "1&3", "kuliner,kriya"},
		{sectors, "1;2", "kuliner,fesyen"},
		{sectors, "1\n2", "kuliner,fesyen"},
		{sectors, "1,2, dan 3", "kuliner,fesyen,kriya"},
		{sectors, "3,1", "kuliner,kriya"},
		{sectors, "2 1 2", "kuliner,fesyen"},
		{sectors, "1-3", "kuliner,fesyen,kriya"},
		{sectors, "1 - 3", "kuliner,fesyen,kriya"},
		{sectors, "1 sampai 3", "kuliner,fesyen,kriya"},
		{sectors, "1 s/d 3", "kuliner,fesyen,kriya"},
		{sectors, "satu sampai tiga", "kuliner,fesyen,kriya"},
		{sectors, "1-3, 7", "kuliner,fesyen,kriya,lain"},
		{sectors, "no 1 dan no 3", "kuliner,kriya"},
		{sectors, "yg 1 sama yg 2", "kuliner,fesyen"},
		{sectors, "pertama dan kedua", "kuliner,fesyen"},
		{sectors, "fesyen, kuliner", "kuliner,fesyen"},
		{sectors, "kuliner fesyen", "kuliner,fesyen"},
		{sectors, "kuliner dan fesyen", "kuliner,fesyen"},
		{sectors, "kuliner, fasion", "kuliner,fesyen"},
		{sectors, "makanan & minuman", "kuliner"},
		{sectors, "makanan dan minuman, jasa", "kuliner,jasa"},
		{sectors, "kriya/kerajinan", "kriya"},
		{sectors, "semua", "kuliner,fesyen,kriya,tani,jasa,dagang,lain"},
		{sectors, "semuanya kak", "kuliner,fesyen,kriya,tani,jasa,dagang,lain"},
		{sectors, "", ""},
		{sectors, ",", ""},
		{sectors, "1, 9", ""},
		{sectors, "9", ""},
		{sectors, "3-1", ""},
		{sectors, "1-9", ""},
		{sectors, "kuliner, lazada", ""},
		{sectors, "kuliner lazada", ""},
		{sectors, "1 x", ""},

		{markets, "shopee, tokopedia", "shopee,tokopedia"},
		{markets, "shopee tokopedia", "shopee,tokopedia"},
		{markets, "Shopee & Tokopedia", "shopee,tokopedia"},
		{markets, "tiktok shop dan shopee", "shopee,tiktok"},
		{markets, "tiktok, plaza banten", "tiktok,plaza"},
		{markets, "shopee, lazada", ""},

		{bekasi, "1, 11", "3216010,3216110"},
		{bekasi, "tambun selatan, cikarang barat", "3216060,3216080"},
		{bekasi, "5-9", "3216050,3216060,3216080,3216090"},
		{bekasi, "2-5", ""}, // no key 2
		{later, "3-5", "c,d,e"},
		{letters, "a, b", "x,y"},
		{letters, "a-b", ""},
	}
	for _, tt := range tests {
		got, ok := MatchOptions(tt.in, tt.opts)
		if tt.want == "" {
			if ok {
				t.Fatalf("MatchOptions(%q) = %q, want no match", tt.in, values(got))
			}
			continue
		}
		if !ok || values(got) != tt.want {
			t.Fatalf("MatchOptions(%q) = %q, %v; want %q", tt.in, values(got), ok, tt.want)
		}
	}
}

func FuzzMatchOption(f *testing.F) {
	for _, s := range []string{"1", "no. 2", "yg kedua", "kulinr", "tambun", "babakan cikao", "", "1️⃣", "satu"} {
		f.Add(s)
	}
	sets := [][]Option{sectors, bekasi, places, lang, later, letters, markets}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if Normalize(n) != n {
			t.Fatalf("Normalize not idempotent: %q → %q → %q", s, n, Normalize(n))
		}
		if d := Levenshtein(s, n); d < 0 || d != Levenshtein(n, s) {
			t.Fatalf("Levenshtein(%q, %q) = %d, asymmetric or negative", s, n, d)
		}
		for _, opts := range sets {
			o, ok := MatchOption(s, opts)
			if !ok {
				if o.Value != "" {
					t.Fatalf("MatchOption(%q) = %q without ok", s, o.Value)
				}
				continue
			}
			found := false
			for _, x := range opts {
				found = found || cmp.Equal(x, o)
			}
			if !found {
				t.Fatalf("MatchOption(%q) = %+v, not one of the options", s, o)
			}
			if o2, ok2 := MatchOption(n, opts); !ok2 || !cmp.Equal(o, o2) {
				t.Fatalf("MatchOption(%q) = %q but MatchOption(Normalize) = %q, %v", s, o.Value, o2.Value, ok2)
			}
		}
	})
}

func FuzzMatchOptions(f *testing.F) {
	for _, s := range []string{"1,3", "1 dan 3", "1-3", "shopee, tokopedia", "semua", "1, 3 & 4", "", "3-1"} {
		f.Add(s)
	}
	sets := [][]Option{sectors, bekasi, later, letters, markets}
	f.Fuzz(func(t *testing.T, s string) {
		for _, opts := range sets {
			got, ok := MatchOptions(s, opts)
			if !ok {
				if len(got) != 0 {
					t.Fatalf("MatchOptions(%q) = %q without ok", s, values(got))
				}
				continue
			}
			if len(got) == 0 {
				t.Fatalf("MatchOptions(%q) ok but empty", s)
			}
			// In option order without duplicates: positions strictly increase.
			last := -1
			for _, o := range got {
				pos := -1
				for i := range opts {
					if cmp.Equal(opts[i], o) {
						pos = i
					}
				}
				if pos <= last {
					t.Fatalf("MatchOptions(%q) = %q: not in option order, duplicated or foreign", s, values(got))
				}
				last = pos
			}
		}
	})
}

func TestRankOptions(t *testing.T) {
	opts := []Option{{Label: Raw("Bojongsari")}, {Label: Raw("Cipare")}, {Label: Raw("Sukasari")}, {Label: Raw("Bojong")}, {Label: Raw("Kasemen")}}
	for _, c := range []struct {
		text string
		want []string
	}{
		{"bojongsri", []string{"Bojongsari"}},
		{"cipre", []string{"Cipare"}},
		{"desa bojong", []string{"Bojong"}}, {"kasmen", []string{"Kasemen"}},
		{"zzzzzz", nil},
		{"", nil},
	} {
		var got []string
		for _, o := range RankOptions(c.text, opts, 3) {
			got = append(got, o.Label.Raw)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("RankOptions(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

func FuzzRankOptions(f *testing.F) {
	for _, s := range []string{"bojongsri", "desa anjun", "sala", "1", "", "ga tau", "kel. cipare", "🙏"} {
		f.Add(s)
	}
	sets := [][]Option{sectors, bekasi, places, markets}
	f.Fuzz(func(t *testing.T, s string) {
		for _, opts := range sets {
			got := RankOptions(s, opts, 3)
			if len(got) > 3 {
				t.Fatalf("RankOptions(%q) gave %d options, want at most 3", s, len(got))
			}
			seen := map[string]bool{}
			for _, o := range got {
				if seen[o.Value] || !slices.ContainsFunc(opts, func(x Option) bool { return cmp.Equal(x, o) }) {
					t.Fatalf("RankOptions(%q) = %+v: a repeat or not one of the options", s, got)
				}
				seen[o.Value] = true
			}
			if o, ok := MatchOption(s, opts); ok && len(got) > 0 && Normalize(s) != "" && !seen[o.Value] {
				t.Fatalf("RankOptions(%q) = %v leaves out %q, which MatchOption picks", s, got, o.Value)
			}
		}
	})
}

// TestNumbersScoreLikeBefore: scoreName passes over names without a digit
// when the text is numbers only; it must score every text and name as
// scoring them word by word does (a number is still a name with digits:
// "2024", "7-Eleven").
func TestNumbersScoreLikeBefore(t *testing.T) {
	texts := []string{"1,2", "1 2", "12", "1234", "12345678", "2024", "7", "11", "1 dan 2", "no 3", "1a"}
	names := []string{"Shopee", "Tokopedia", "abcd", "abcdefgh", "e-Katalog LKPP", "Kurasi ritel modern (Indomaret/Alfamart)",
		"7-Eleven", "2024", "Jl 12", "11", "1234567", "Blok 1 2", "satu"}
	for _, text := range texts {
		var buf [16]string
		in := newMatchInput(Normalize(text), buf[:0])
		for _, name := range names {
			nw := newPhrase(words(Normalize(name)))
			want := 0
			for _, p := range []*phrase{&in.all, &in.core} {
				if len(p.ws) > 0 && len(nw.ws) > 0 {
					want = max(want, scoreWords(p, &nw))
				}
			}
			if got := in.scoreName(name); got != want {
				t.Errorf("scoreName(%q, %q) = %d, word by word %d", text, name, got, want)
			}
		}
	}
}
