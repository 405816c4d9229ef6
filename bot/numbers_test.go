package bot

import (
	"strconv"
	"testing"
)

func TestParseCount(t *testing.T) {
	tests := []struct {
		in   string
		want int // -1: not a count
	}{
		{"0", 0},
		{"5", 5},
		{"05", 5},
		// English number words where Indonesian ones work.
		{"three", 3},
		{"twenty five", 25},
		{"one hundred and five", 105},
		{"ten people", 10},
		{"two thousand", 2000},
		{"and", -1},
		{" 12 ", 12},
		{"5 orang", 5},
		{"5orang", 5},
		{"5 orang karyawan", 5},
		{"± 5", 5},
		{"±5", 5},
		{"+- 5", 5},
		{"+/- 5 orang", 5},
		{"~5", 5},
		{"sekitar 5", 5},
		{"kira-kira 5", 5},
		{"kira kira 5", 5},
		{"kira2 5", 5},
		{"kurang lebih 5", 5},
		{"ada 3", 3},
		{"ada 3 orang kak", 3},
		{"10an", 10},
		{"lima", 5},
		{"Lima orang", 5},
		{"sepuluh", 10},
		{"sebelas", 11},
		{"dua belas", 12},
		{"dua puluh", 20},
		{"dua puluh lima", 25},
		{"seratus", 100},
		{"seratus dua puluh tiga", 123},
		{"tiga ratus", 300},
		{"seribu", 1000},
		{"dua ribu lima ratus", 2500},
		{"satu juta dua ratus ribu", 1200000},
		{"nol", 0},
		{"kosong", 0},
		{"1.200", 1200},
		{"1.000.000", 1000000},
		{"2 ribu", 2000},
		{"2rb", 2000},
		{"5k", 5000},
		{"3 juta", 3000000},
		{"1.000.000.000", 1000000000},
		{"tidak ada", 0},
		{"Tidak ada.", 0},
		{"gak ada", 0},
		{"ga ada kak", 0},
		{"belum ada", 0},
		{"blm ada karyawan", 0},
		{"belum punya", 0},
		{"５", 5},

		{"", -1},
		{"-5", -1},
		{"- 5", -1},
		{"minus 5", -1},
		{"1,5", -1},
		{"1.5", -1},
		{"1.20", -1},
		{"1..200", -1},
		{"setengah", -1},
		{"5-10", -1},
		{"5 - 10", -1},
		{"5 sampai 10", -1},
		{"5 s/d 10", -1},
		{"5 atau 6", -1},
		{"5/6", -1},
		{"5 lebih", -1},
		{"lebih dari 5", -1},
		{"kurang dari 5", -1},
		{"5x", -1},
		{"5 5", -1},
		{"lima dua", -1},
		{"dua tiga", -1},
		{"puluh", -1},
		{"ribu", -1},
		{"dua puluh dua puluh", -1},
		{"tidak", -1},
		{"belum", -1},
		{"ada", -1},
		{"banyak", -1},
		{"puluhan", -1},
		{"entah", -1},
		{"5 orang tapi nanti nambah", -1},
		{"2.000.000.000", -1},
		{"99999999999", -1},
		{"1000000 juta", -1},
		{"tidak ada 5", -1},
	}
	for _, tt := range tests {
		got, ok := ParseCount(tt.in)
		if tt.want < 0 {
			if ok {
				t.Fatalf("ParseCount(%q) = %d, want no count", tt.in, got)
			}
			continue
		}
		if !ok || got != tt.want {
			t.Fatalf("ParseCount(%q) = %d, %v; want %d", tt.in, got, ok, tt.want)
		}
	}
}

func FuzzParseCount(f *testing.F) {
	for _, s := range []string{"5", "± 5 orang", "sekitar 5", "lima", "dua puluh lima", "1.200", "tidak ada", "-5", "1,5", "5-10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := ParseCount(s)
		if !ok {
			if n != 0 {
				t.Fatalf("ParseCount(%q) = %d without ok", s, n)
			}
			return
		}
		if n < 0 || n > maxCount {
			t.Fatalf("ParseCount(%q) = %d, out of range", s, n)
		}
		if again, ok := ParseCount(strconv.Itoa(n)); !ok || again != n {
			t.Fatalf("ParseCount(%q) = %d but ParseCount(%d) = %d, %v", s, n, n, again, ok)
		}
		if again, ok := ParseCount(Normalize(s)); !ok || again != n {
			t.Fatalf("ParseCount(%q) = %d but ParseCount(Normalize) = %d, %v", s, n, again, ok)
		}
	})
}
