package bot

import (
	"testing"
	"unicode"
)

func TestMaskNumbers(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"NIK saya 3214015503900001", "NIK saya **************01"},
		{"hp 0812-3456-7890 ya", "hp ****-****-**90 ya"},
		{"+62 812 3456 7890", "+** *** **** **90"},
		{"harga 15000, Jl. Bantu No. 5, 12-12-2026", "harga 15000, Jl. Bantu No. 5, 12-12-2026"},
		{"1234567", "1234567"},
		{"12345678", "12345678"},
		{"123456789", "*******89"},
		{"", ""},
	} {
		if got := MaskNumbers(c.in); got != c.want {
			t.Errorf("MaskNumbers(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzMaskNumbers: no run of 8 digits survives, and only digits change.
func FuzzMaskNumbers(f *testing.F) {
	for _, s := range []string{"3214015503900001", "0812 3456 7890", "Rp 1.500.000", "a1b2c3d4e5f6g7h8", "٣٢١٤٠١٥٥٠٣٩٠٠٠٠١"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := MaskNumbers(s)
		run := 0
		for _, r := range got {
			if unicode.IsDigit(r) {
				if run++; run >= maskRun {
					t.Fatalf("MaskNumbers(%q) = %q keeps a long number", s, got)
				}
			} else {
				run = 0
			}
		}
		in, out := []rune(s), []rune(got)
		if len(in) != len(out) {
			t.Fatalf("length changed: %q → %q", s, got)
		}
		for i := range in {
			if in[i] != out[i] && (!unicode.IsDigit(in[i]) || out[i] != '*') {
				t.Fatalf("MaskNumbers(%q) changed %q at %d", s, in[i], i)
			}
		}
	})
}
