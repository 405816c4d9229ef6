package flows

import (
	"testing"
	"unicode"
)

func TestParseAmount(t *testing.T) {
	for _, c := range []struct {
		in  string
		v   int64
		rel int
		ok  bool
	}{
		{"5 juta", 5_000_000, amountAbout, true},
		{"10jt", 10_000_000, amountAbout, true},
		{"Rp 50.000.000", 50_000_000, amountAbout, true},
		{"Rp. 15.000.000,-", 15_000_000, amountAbout, true},
		{"1,5 M", 1_500_000_000, amountAbout, true},
		{"dibawah 1 milyar", 1_000_000_000, amountBelow, true},
		{"di bawah 1 miliar", 1_000_000_000, amountBelow, true},
		{"lebih dari 2 M", 2_000_000_000, amountAbove, true},
		{"sekitar 500rb", 500_000, amountAbout, true},
		{"3 juta sebulan", 36_000_000, amountAbout, true},
		{"100rb per hari", 36_500_000, amountAbout, true},
		{"50jtan", 50_000_000, amountAbout, true},
		{"2 triliun", 2_000_000_000_000, amountAbout, true},
		{"modal saya 20 juta", 20_000_000, amountAbout, true},
		{"12", 12, amountAbout, true},
		// Bare numbers take ParseAmount's short way; the same figures.
		{"1", 1, amountAbout, true},
		{"007", 7, amountAbout, true},
		{"3214015503900001", 0, 0, false}, // a NIK: no amount
		{"2000000000", 2_000_000_000, amountAbout, true},
		{"1000000000000000", 0, 0, false},
		{"99999999999999999999", 0, 0, false},
		{"000", 0, 0, false},
		{"ga tau", 0, 0, false},
		{"banyak", 0, 0, false},
		{"5 orang", 0, 0, false},
		{"-5 juta", 0, 0, false},
		{"0", 0, 0, false},
		{"", 0, 0, false},
		{"Jl. Veteran 5", 0, 0, false},
		{"99999999999999 triliun", 0, 0, false},
	} {
		v, rel, ok := ParseAmount(c.in)
		if v != c.v || rel != c.rel || ok != c.ok {
			t.Errorf("ParseAmount(%q) = %d, %d, %v; want %d, %d, %v", c.in, v, rel, ok, c.v, c.rel, c.ok)
		}
	}
}

func TestBracketOf(t *testing.T) {
	for _, c := range []struct {
		in, capital, sales string
	}{
		{"5 juta", "modal_le1m", "omzet_le2m"},
		{"1 M", "modal_le1m", "omzet_le2m"},
		{"dibawah 1 milyar", "modal_le1m", "omzet_le2m"},
		{"lebih dari 1 M", "modal_1m5m", "omzet_le2m"},
		{"1,5 M", "modal_1m5m", "omzet_le2m"},
		{"3 M", "modal_1m5m", "omzet_2m15m"},
		{"10 M", "modal_5m10m", "omzet_2m15m"},
		{"20 M", "modal_gt10m", "omzet_15m50m"},
		{"2 M sebulan", "modal_gt10m", "omzet_15m50m"}, // 24 M a year
		{"60 M", "modal_gt10m", "omzet_gt50m"},
	} {
		v, rel, ok := ParseAmount(c.in)
		if !ok {
			t.Fatalf("ParseAmount(%q) failed", c.in)
		}
		if got := bracketOf(v, rel, capitalTops, capitalBrackets); got != c.capital {
			t.Errorf("capital %q = %s, want %s", c.in, got, c.capital)
		}
		if got := bracketOf(v, rel, salesTops, salesBrackets); got != c.sales {
			t.Errorf("sales %q = %s, want %s", c.in, got, c.sales)
		}
	}
}

func TestParseQuantity(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		unit string
		ok   bool
	}{
		{"24", 24, "", true},
		{"2 lusin", 24, "", true},
		{"2lusin", 24, "", true},
		{"1 kodi", 20, "", true},
		{"kodi", 20, "", true},
		{"setengah lusin", 6, "", true},
		{"2 lusin 3", 27, "", true},
		{"dua lusin", 24, "", true},
		{"sekitar 5", 5, "", true},
		{"2 ribu", 2000, "", true},
		{"250gr", 0, "weight", false},
		{"250 gr", 0, "weight", false},
		{"2 kg", 0, "weight", false},
		{"500 ml", 0, "volume", false},
		{"3 meter", 0, "length", false},
		{"Rp 5.000", 0, "money", false},
		{"harga 5 ribu", 0, "money", false},
		{"banyak", 0, "", false},
		{"x lusin", 0, "", false},
	} {
		n, unit, ok := ParseQuantity(c.in)
		if n != c.n || unit != c.unit || ok != c.ok {
			t.Errorf("ParseQuantity(%q) = %d, %q, %v; want %d, %q, %v", c.in, n, unit, ok, c.n, c.unit, c.ok)
		}
	}
}

func TestTitleCase(t *testing.T) {
	for in, want := range map[string]string{
		"ahmad fauzi, s.pd":   "Ahmad Fauzi, S.Pd",
		"AL-FATIH":            "Al-Fatih",
		"siti ma'ruf":         "Siti Ma'ruf",
		"hj. aminah":          "Hj. Aminah",
		"ahmad bin umar":      "Ahmad bin Umar",
		"dr. budi, s.e., m.m": "Dr. Budi, S.E., M.M",
	} {
		if got := titleCase(in); got != want {
			t.Errorf("titleCase(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseAmount: any text parses without a panic to a positive amount
// within bounds, or to nothing.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"5 juta", "10jt", "Rp 50.000.000", "1,5 M", "dibawah 1 milyar", "3 juta sebulan", "9999999999999 t", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, rel, ok := ParseAmount(s)
		if ok && (v <= 0 || v > maxAmount*365 || rel < -1 || rel > 1) {
			t.Fatalf("ParseAmount(%q) = %d, %d", s, v, rel)
		}
		if !ok && v != 0 {
			t.Fatalf("ParseAmount(%q) failed but gave %d", s, v)
		}
	})
}

// FuzzParseQuantity: any text gives a count of at least 0, or a unit kind
// and no count, without a panic.
func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"2 lusin", "1 kodi", "250gr", "Rp 5.000", "setengah lusin", "2 lusin 3", "lusin lusin"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, unit, ok := ParseQuantity(s)
		if n < 0 || (unit != "" && (ok || n != 0)) {
			t.Fatalf("ParseQuantity(%q) = %d, %q, %v", s, n, unit, ok)
		}
		_ = titleCase(s)
		for _, r := range titleCase(s) {
			if unicode.IsSpace(r) && r != ' ' {
				t.Fatalf("titleCase(%q) kept %q", s, r)
			}
		}
	})
}
