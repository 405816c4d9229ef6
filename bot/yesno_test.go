package bot

import (
	"testing"
)

func TestYesNo(t *testing.T) {
	yes := []string{
		"y", "Y", "ya", "Ya.", "yaa", "yaaa", "iya", "iy", "iyaa", "Iyaaa!!", "yes", "Yes please", "ok", "OK",
		"oke", "okay", "okey", "okee", "sip", "sipp", "siap", "siaaap", "setuju", "boleh", "betul", "benar",
		"lanjut", "muhun", "sumuhun", "enya", "engghi", "nggih", "injih", "gas", "gass", "ya kak", "iya bu",
		"ok pak", "siap min", "ya, kak", "oke deh", "iya kak 🙏", "ya betul", "iya benar kak", "ok 👍", "👍",
		"👍🏻", "✅", "kak iya", "ya, terima kasih", "sudah", "udh", "ok siap", "“ya”", "ＯＫ",
	}
	no := []string{
		"n", "N", "t", "tidak", "Tidak.", "tdk", "gak", "gakk", "gk", "ga", "nggak", "ngga", "enggak", "engga",
		"no", "nope", "jangan", "bhunten", "mboten", "henteu", "moal", "tidak setuju", "blm", "belum",
		"belum kak", "gak usah", "ga usah kak", "tidak terima kasih", "tidak, terima kasih", "no thanks",
		"ngga jadi", "belum ada", "gak mau", "tidak bisa", "salah", "bukan", "👎", "❌", "tidak kak 🙏",
	}
	neither := []string{
		"", " ", "?", "halo", "gmn", "mungkin", "ya tidak", "iya gak", "gak iya", "ya ga tau", "tidak tahu",
		"gak tau", "terima kasih", "kak", "1", "2", "ya kuliner", "👍👎", "🙏", "okta", "yakin?", "tidakk yakin",
		"gak apa apa",
	}
	for _, s := range yes {
		if y, ok := YesNo(s); !ok || !y {
			t.Fatalf("YesNo(%q) = %v, %v; want yes", s, y, ok)
		}
	}
	for _, s := range no {
		if y, ok := YesNo(s); !ok || y {
			t.Fatalf("YesNo(%q) = %v, %v; want no", s, y, ok)
		}
	}
	for _, s := range neither {
		if y, ok := YesNo(s); ok || y {
			t.Fatalf("YesNo(%q) = %v, %v; want neither", s, y, ok)
		}
	}
}

func FuzzYesNo(f *testing.F) {
	for _, s := range []string{"ya", "iya kak", "gak usah", "tidak terima kasih", "👍", "ya tidak", "", "siaaap"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		y, ok := YesNo(s)
		if !ok && y {
			t.Fatalf("YesNo(%q) = yes without ok", s)
		}
		if y2, ok2 := YesNo(Normalize(s)); y2 != y || ok2 != ok {
			t.Fatalf("YesNo(%q) = %v, %v but YesNo(Normalize) = %v, %v", s, y, ok, y2, ok2)
		}
	})
}
