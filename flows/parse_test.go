package flows

import (
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
)

func TestParsePrice(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		reason string
	}{
		{"15rb", 15_000, ""},
		{"15 ribu", 15_000, ""},
		{"15 RIBU", 15_000, ""},
		{"Rp 15.000", 15_000, ""},
		{"Rp15.000", 15_000, ""},
		{"Rp. 15.000,-", 15_000, ""},
		{"rp 15.000,00", 15_000, ""},
		{"15000", 15_000, ""},
		{"15.000,00", 15_000, ""},
		{"15,000", 15_000, ""},
		{"1,5jt", 1_500_000, ""},
		{"1.5 juta", 1_500_000, ""},
		{"1.500.000", 1_500_000, ""},
		{"2 jt", 2_000_000, ""},
		{"12,5 rb", 12_500, ""},
		{"15k", 15_000, ""},
		{"IDR 15000", 15_000, ""},
		{"15rb/pcs", 15_000, ""},
		{"15 ribu per bungkus", 15_000, ""},
		{"harga 20rb", 20_000, ""},
		{"500", 500, ""},
		{"1.000.000.000", 1_000_000_000, ""},
		{"0", 0, priceZero},
		{"Rp 0", 0, priceZero},
		{"0 rb", 0, priceZero},
		{"15000,50", 0, priceFrac},
		{"1,0005 rb", 0, priceFrac},
		{"2.000.000.000", 0, priceTooBig},
		{"5000 jt", 0, priceTooBig},
		{"5 milyar", 0, priceTooBig},
		{"1 miliar", 1_000_000_000, ""},
		{"", 0, priceInvalid},
		{"gratis", 0, priceInvalid},
		{"lima belas ribu", 0, priceInvalid},
		{"15-20rb", 0, priceInvalid},
		{"15 atau 20", 0, priceInvalid},
		{"-15000", 0, priceInvalid},
		{"1.50.000", 0, priceInvalid},
		{"1.000,000,00", 0, priceInvalid},
		{"15 dolar", 0, priceInvalid},
		{"99999999999999999999", 0, priceInvalid},
	}
	for _, tt := range tests {
		got, reason := ParsePrice(tt.in)
		if got != tt.want || reason != tt.reason {
			t.Errorf("ParsePrice(%q) = %d, %q; want %d, %q", tt.in, got, reason, tt.want, tt.reason)
		}
	}
}

func TestParseWeight(t *testing.T) {
	tests := []struct {
		in     string
		want   int
		reason string
	}{
		{"250 gr", 250, ""},
		{"250g", 250, ""},
		{"250 gram", 250, ""},
		{"250GR", 250, ""},
		{"0,25 kg", 250, ""},
		{"0.25kg", 250, ""},
		{"1 kilo", 1000, ""},
		{"1 kg", 1000, ""},
		{"1,5 kg", 1500, ""},
		{"1.250 kg", 1250, ""},
		{"1.000 gr", 1000, ""},
		{"2 ons", 200, ""},
		{"1/4 kg", 250, ""},
		{"1/2 kilo", 500, ""},
		{"setengah kilo", 500, ""},
		{"3/4 kg", 750, ""},
		{"250", 250, ""},
		{"berat 300 gr", 300, ""},
		{"0,0005 kg", 1, ""},
		{"12,4 gr", 12, ""},
		{"100 kg", 100_000, ""},
		{"1", 0, weightUnit},
		{"2,5", 0, weightUnit},
		{"600 ml", 0, weightVolume},
		{"1 liter", 0, weightVolume},
		{"0 gr", 0, weightZero},
		{"0,0001 kg", 0, weightZero},
		{"101 kg", 0, weightTooBig},
		{"999999999999 kg", 0, weightTooBig},
		{"", 0, weightInvalid},
		{"ringan", 0, weightInvalid},
		{"250 pcs", 0, weightInvalid},
		{"1/4 gr", 0, weightInvalid},
		{"-250 gr", 0, weightInvalid},
	}
	for _, tt := range tests {
		got, reason := ParseWeight(tt.in)
		if got != tt.want || reason != tt.reason {
			t.Errorf("ParseWeight(%q) = %d, %q; want %d, %q", tt.in, got, reason, tt.want, tt.reason)
		}
	}
}

// FuzzParsePrice checks that any input gives either a price in range or a
// reason, never both, never a panic, and that the formatted result reads
// back the same.
func FuzzParsePrice(f *testing.F) {
	for _, s := range []string{"15rb", "Rp 15.000", "15.000,00", "1,5jt", "0", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		v, reason := ParsePrice(s)
		if (reason == "") != (v > 0) || v > MaxPrice || v < 0 {
			t.Fatalf("ParsePrice(%q) = %d, %q", s, v, reason)
		}
		if reason == "" {
			back, r2 := ParsePrice(bot.Rupiah(v))
			if back != v || r2 != "" {
				t.Fatalf("ParsePrice(%q) = %d but its rupiah form reads back as %d, %q", s, v, back, r2)
			}
		}
	})
}

// FuzzParseWeight checks the same for weights.
func FuzzParseWeight(f *testing.F) {
	for _, s := range []string{"250 gr", "0,25 kg", "1/4 kg", "1 kilo", "600 ml", "1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		g, reason := ParseWeight(s)
		if (reason == "") != (g > 0) || g > MaxWeight || g < 0 {
			t.Fatalf("ParseWeight(%q) = %d, %q", s, g, reason)
		}
		if reason == "" {
			back, r2 := ParseWeight(strconv.Itoa(g) + " gr")
			if back != g || r2 != "" {
				t.Fatalf("ParseWeight(%q) = %d but %d gr reads back as %d, %q", s, g, g, back, r2)
			}
		}
	})
}

func BenchmarkParsePrice(b *testing.B) {
	in := []string{"15rb", "Rp 15.000", "15.000,00", "1,5jt", "gratis"}
	for i := 0; b.Loop(); i++ {
		ParsePrice(in[i%len(in)])
	}
}

func BenchmarkParseWeight(b *testing.B) {
	in := []string{"250 gr", "0,25 kg", "1/4 kg", "1 kilo", "600 ml"}
	for i := 0; b.Loop(); i++ {
		ParseWeight(in[i%len(in)])
	}
}

func TestGaleriIntent(t *testing.T) {
	tests := []struct {
		in, arg string
		ok      bool
	}{
		{"jam buka galeri menong", gaOpen, true},
		{"buka sekarang", gaOpen, true},
		{"masih buka gak", gaOpen, true},
		{"alamatnya dimana", gaAll, true},
		{"alamat galeri", gaAll, true},
		{"syarat titip produk", gaApply, true},
		{"gimana cara masuk galeri menong", gaApply, true},
		{"galeri terdekat", gaNearest, true},
		{"ajukan kurasi", gaCurate, true},
		{"status kurasi", gaStatus, true},
		{"galeri", "", true},
		{"jam berapa pelatihan besok", "", false},
		{"alamat kantor dinas dimana", "", false},
		{"halo kak", "", false},
	}
	for _, tt := range tests {
		arg, ok := galeriIntent(tt.in)
		if arg != tt.arg || ok != tt.ok {
			t.Errorf("galeriIntent(%q) = %q, %v; want %q, %v", tt.in, arg, ok, tt.arg, tt.ok)
		}
	}
}

func TestJualanIntent(t *testing.T) {
	for in, want := range map[string]string{"cara jualan di tokopedia": "tokopedia", "daftar shopee gmn": "shopee",
		"mau jualan online": "", "tiktok shop": "tiktok", "kurasi ritel modern": "ritel"} {
		if got, ok := jualanIntent(embeddedMarket, in); !ok || got != want {
			t.Errorf("jualanIntent(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := jualanIntent(embeddedMarket, "jam buka galeri"); ok {
		t.Error("a galeri question went to jualan")
	}
}
