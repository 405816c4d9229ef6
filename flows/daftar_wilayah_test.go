package flows

import (
	"context"
	"slices"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// FuzzParseDesa: whatever is typed, the desa answer is a desa of the chosen
// kecamatan (with its code), "lainnya", or a problem to show; never a place
// of another kecamatan, never a panic.
func FuzzParseDesa(f *testing.F) {
	for _, s := range []string{"Desa Anjun", "anjn", "1", "2", "lainnya", "ga tau", "-", "kel. citeko", "Plered", "sindang", "", "🙏", "desa"} {
		f.Add(s, "")
		f.Add(s, bot.ListValue([]string{"32.14.04.2009", "32.14.04.2016"}))
	}
	region, err := LoadRegion("purwakarta")
	if err != nil {
		f.Fatal(err)
	}
	d := Deps{Region: region}
	plered, _ := region.FindKecamatan("Plered")
	f.Fuzz(func(t *testing.T, s, suggested string) {
		turn := &bot.Turn{State: &bot.State{Answers: map[string]string{"kecamatan": "Plered", "desa_suggest": suggested}}}
		value, problem, err := d.parseDesa(context.Background(), turn, bot.In{Text: s, Norm: bot.Normalize(s)})
		if err != nil {
			t.Fatal(err)
		}
		code := turn.Get("desa_code")
		switch {
		case !problem.IsZero():
			if value != "" {
				t.Fatalf("%q: value %q with a problem", s, value)
			}
		case code == desaOther:
			if value != "" {
				t.Fatalf("%q: lainnya with value %q", s, value)
			}
		default:
			if !slices.Contains(plered.Desa, umkm.Desa{Code: code, Name: value}) {
				t.Fatalf("%q: desa %q (%s) is not a desa of Plered", s, value, code)
			}
		}
	})
}
