package umkm

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseNIK(t *testing.T) {
	tests := []struct {
		name, in, want, reason string
	}{
		// Accepted, with the separators and prefixes people type.
		{"plain man", "3214011503900001", "3214011503900001", ""},
		{"woman day+40", "3214015503900001", "3214015503900001", ""},
		{"woman day 71 (31+40)", "3214017101900001", "3214017101900001", ""},
		{"woman day 41 (1+40)", "3214014101900001", "3214014101900001", ""},
		{"spaces", "3214 0115 0390 0001", "3214011503900001", ""},
		{"grouped PP KK CC", "32 14 01 150390 0001", "3214011503900001", ""},
		{"dots", "3214.0115.0390.0001", "3214011503900001", ""},
		{"dashes", "3214-01-150390-0001", "3214011503900001", ""},
		{"surrounding space and newline", "  3214011503900001\n", "3214011503900001", ""},
		{"no-break spaces", "3214\u00a00115\u00a00390\u00a00001", "3214011503900001", ""},
		{"NIK prefix", "NIK 3214011503900001", "3214011503900001", ""},
		{"nik: prefix", "nik: 3214011503900001", "3214011503900001", ""},
		{"NIK: no space", "NIK:3214011503900001", "3214011503900001", ""},
		{"No. NIK", "No. NIK: 3214 0115 0390 0001", "3214011503900001", ""},
		{"NIK saya", "NIK saya 3214011503900001", "3214011503900001", ""},
		{"full-width digits", "３２１４０１１５０３９００００１", "3214011503900001", ""},
		{"kota code 71", "3271011503900001", "3271011503900001", ""},
		{"kota code 99", "3299011503900001", "3299011503900001", ""},
		{"kabupaten 69", "3269011503900001", "3269011503900001", ""},
		{"another region: Aceh", "1101010101010001", "1101010101010001", ""},
		{"another region: Papua 96", "9601010101010001", "9601010101010001", ""},
		{"Banten, Kota Tangerang Selatan", "3674012512850123", "3674012512850123", ""},
		{"serial 9999", "3214011503909999", "3214011503909999", ""},
		{"Feb 29 year 00 (2000 leap)", "3214012902000001", "3214012902000001", ""},
		{"Feb 29 year 04", "3214012902040001", "3214012902040001", ""},
		{"Feb 29 year 96", "3214012902960001", "3214012902960001", ""},
		{"woman Feb 29 (69)", "3214016902040001", "3214016902040001", ""},
		{"Dec 31", "3214013112990001", "3214013112990001", ""},
		{"Apr 30", "3214013004990001", "3214013004990001", ""},

		// Length.
		{"empty", "", "", NIKLength},
		{"only spaces", "   ", "", NIKLength},
		{"15 digits", "321401150390001", "", NIKLength},
		{"17 digits", "32140115039000011", "", NIKLength},
		{"15 digits spaced", "3214 0115 0390 001", "", NIKLength},
		{"two NIKs", "3214011503900001 3214011503900002", "", NIKLength},
		{"only prefix", "NIK:", "", NIKLength},

		// Not digits.
		{"letter O for zero", "32140115039000O1", "", NIKNotDigits},
		{"letters", "abc", "", NIKNotDigits},
		{"slash", "3214/0115/0390/0001", "", NIKNotDigits},
		{"sentence", "nik sy blm ada", "", NIKNotDigits},
		{"plus", "+3214011503900001", "", NIKNotDigits},

		// Province.
		{"province 00", "0014011503900001", "", NIKProvince},
		{"province 10", "1014011503900001", "", NIKProvince},
		{"province 20", "2014011503900001", "", NIKProvince},
		{"province 22", "2214011503900001", "", NIKProvince},
		{"province 37", "3714011503900001", "", NIKProvince},
		{"province 54", "5414011503900001", "", NIKProvince},
		{"province 66", "6614011503900001", "", NIKProvince},
		{"province 77", "7714011503900001", "", NIKProvince},
		{"province 83", "8314011503900001", "", NIKProvince},
		{"province 97", "9714011503900001", "", NIKProvince},

		// Region.
		{"kab/kota 00", "3200011503900001", "", NIKRegion},
		{"kab/kota 70", "3270011503900001", "", NIKRegion},
		{"kecamatan 00", "3214001503900001", "", NIKRegion},

		// Date.
		{"day 00", "3214010003900001", "", NIKDate},
		{"day 32", "3214013203900001", "", NIKDate},
		{"day 40", "3214014003900001", "", NIKDate},
		{"day 72", "3214017203900001", "", NIKDate},
		{"day 99", "3214019903900001", "", NIKDate},
		{"month 00", "3214011500900001", "", NIKDate},
		{"month 13", "3214011513900001", "", NIKDate},
		{"Apr 31", "3214013104900001", "", NIKDate},
		{"woman Apr 31 (71)", "3214017104900001", "", NIKDate},
		{"Feb 30", "3214013002000001", "", NIKDate},
		{"Feb 29 year 01", "3214012902010001", "", NIKDate},
		{"Feb 29 year 90", "3214012902900001", "", NIKDate},
		{"woman Feb 29 year 01 (69)", "3214016902010001", "", NIKDate},

		// Serial.
		{"serial 0000", "3214011503900000", "", NIKSerial},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNIK(tt.in)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("ParseNIK(%q) error %v, want %q", tt.in, err, tt.want)
				}
				if got != tt.want {
					t.Fatalf("ParseNIK(%q) = %q, want %q", tt.in, got, tt.want)
				}
				return
			}
			var ne *NIKError
			if !errors.As(err, &ne) {
				t.Fatalf("ParseNIK(%q) = %q, %v; want NIKError %q", tt.in, got, err, tt.reason)
			}
			if ne.Reason != tt.reason {
				t.Fatalf("ParseNIK(%q) reason %q, want %q", tt.in, ne.Reason, tt.reason)
			}
			if got != "" {
				t.Fatalf("ParseNIK(%q) returned %q with an error", tt.in, got)
			}
		})
	}
}

func TestNIKErrorMessage(t *testing.T) {
	err := error(&NIKError{Reason: NIKDate})
	if got, want := err.Error(), "invalid NIK: date"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

func TestMaskNIK(t *testing.T) {
	tests := []struct{ in, want string }{
		{"3214015503900001", "3214********0001"},
		{"1101010101010001", "1101********0001"},
		{"", ""},
		{"12345", "*****"},
		{"321401550390000", "***************"},
		{"32140155039000011", "*****************"},
		{"3214 0155 0390 0001", "*******************"},
		{"３２１４０１５５０３９００００１", "３２１４********０００１"},
	}
	for _, tt := range tests {
		if got := MaskNIK(tt.in); got != tt.want {
			t.Fatalf("MaskNIK(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// countDigits counts ASCII and full-width digits.
func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
			n++
		}
	}
	return n
}

func FuzzParseNIK(f *testing.F) {
	for _, s := range []string{
		"3214015503900001", "3214 0115 0390 0001", "NIK: 3214011503900001", "3214012902010001",
		"3270011503900001", "", "abc", "32140115039000O1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		nik, err := ParseNIK(s)
		if m := MaskNIK(s); countDigits(m) > 8 || utf8.RuneCountInString(m) != utf8.RuneCountInString(s) {
			t.Fatalf("MaskNIK(%q) = %q leaks or changes length", s, m)
		}
		if err != nil {
			var ne *NIKError
			if !errors.As(err, &ne) {
				t.Fatalf("ParseNIK(%q) error %v is no *NIKError", s, err)
			}
			switch ne.Reason {
			case NIKLength, NIKNotDigits, NIKProvince, NIKRegion, NIKDate, NIKSerial:
			default:
				t.Fatalf("ParseNIK(%q) unknown reason %q", s, ne.Reason)
			}
			if nik != "" {
				t.Fatalf("ParseNIK(%q) = %q with error", s, nik)
			}
			return
		}
		if len(nik) != 16 || strings.Trim(nik, "0123456789") != "" {
			t.Fatalf("ParseNIK(%q) = %q, not 16 digits", s, nik)
		}
		again, err := ParseNIK(nik)
		if err != nil || again != nik {
			t.Fatalf("ParseNIK(%q) = %q, %v; want it to re-parse to itself", nik, again, err)
		}
		if m := MaskNIK(nik); countDigits(m) != 8 || m[:4] != nik[:4] || m[12:] != nik[12:] {
			t.Fatalf("MaskNIK(%q) = %q", nik, m)
		}
	})
}
