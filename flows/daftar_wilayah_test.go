package flows

import (
	"context"
	"slices"
	"strconv"
	"strings"
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

// TestParseKabKotaFromPlace: at the kabupaten/kota question a kecamatan
// or desa typed names the kabupaten/kota that has it (with its number to
// confirm, nothing chosen yet); a shared location gets the explanation
// that the list has no coordinates; the options still answer directly.
func TestParseKabKotaFromPlace(t *testing.T) {
	region, err := LoadRegion("banten")
	if err != nil {
		t.Fatal(err)
	}
	d := Deps{Region: region}
	serang := bot.Option{Value: "36.73"}
	for _, tc := range []struct {
		in       bot.In
		value    string
		problem  string
		contains []string
	}{
		{in: bot.In{Text: "7", Choice: &serang}, value: "36.73"},
		{in: bot.In{Text: "cipocok jaya"}, problem: "daftar.kabkota.found", contains: []string{"7. Kota Serang (Kecamatan Cipocok Jaya)"}},
		{in: bot.In{Text: "Kec. Rangkasbitung"}, problem: "daftar.kabkota.found", contains: []string{"2. Kabupaten Lebak (Kecamatan Rangkasbitung)"}},
		{in: bot.In{Text: "banjar agung"}, problem: "daftar.kabkota.found", contains: []string{"7. Kota Serang (Banjar Agung, Kecamatan Cipocok Jaya)"}},
		{in: bot.In{Text: "curug"}, problem: "daftar.kabkota.found", contains: []string{"3. Kabupaten Tangerang (Kecamatan Curug)", "7. Kota Serang (Kecamatan Curug)"}},
		{in: bot.In{Text: "", Msg: &bot.Message{Kind: bot.KindLocation, Location: &bot.Location{Lat: -6.12, Lon: 106.15}}}, problem: "daftar.kabkota.location"},
		// A place picked on the map brings its address: the kabupaten/kota
		// it names, else its kecamatan, offered for the owner to confirm.
		{in: bot.In{Msg: &bot.Message{Kind: bot.KindLocation, Location: &bot.Location{Lat: -6.13, Lon: 106.18,
			Name: "Warung Bu Siti", Address: "Jl. Raya Petir, Kec. Cipocok Jaya, Kota Serang, Banten 42121"}}},
			problem: "daftar.kabkota.found", contains: []string{"7. Kota Serang (Kota Serang)"}},
		{in: bot.In{Msg: &bot.Message{Kind: bot.KindLocation, Location: &bot.Location{Lat: -6.35, Lon: 106.25,
			Address: "Jl. Multatuli No. 3, Rangkasbitung"}}},
			problem: "daftar.kabkota.found", contains: []string{"2. Kabupaten Lebak (Kecamatan Rangkasbitung)"}},
		{in: bot.In{Msg: &bot.Message{Kind: bot.KindLocation, Location: &bot.Location{Lat: -6.2, Lon: 106.8,
			Name: "Monas", Address: "Gambir, Jakarta Pusat"}}}, problem: "daftar.kabkota.location"},
		{in: bot.In{Text: "zzzzqx"}, problem: "core.choice.invalid"},
	} {
		tc.in.Norm = bot.Normalize(tc.in.Text)
		turn := &bot.Turn{State: &bot.State{Answers: map[string]string{}}}
		value, problem := d.parseKabKota(context.Background(), turn, tc.in)
		if value != tc.value || problem.ID != tc.problem {
			t.Errorf("%q: %q, %q; want %q, %q", tc.in.Text, value, problem.ID, tc.value, tc.problem)
			continue
		}
		list, _ := problem.Data["List"].(string)
		for _, want := range tc.contains {
			if !strings.Contains(list, want) {
				t.Errorf("%q: list %q lacks %q", tc.in.Text, list, want)
			}
		}
		if turn.Get("kabkota") != "" {
			t.Errorf("%q: a kabupaten/kota was chosen without the owner confirming", tc.in.Text)
		}
	}
}

// FuzzParseKabKota: whatever is typed at the kabupaten/kota question, the
// answer is one of the deployment's kabupaten/kota or a problem, and a
// list offered names only kabupaten/kota of the deployment.
func FuzzParseKabKota(f *testing.F) {
	for _, s := range []string{"curug", "cipocok jya", "kec serang", "desa banjarsari", "", "🙏", "kota", "7", "serang"} {
		f.Add(s)
	}
	region, err := LoadRegion("banten")
	if err != nil {
		f.Fatal(err)
	}
	d := Deps{Region: region}
	f.Fuzz(func(t *testing.T, s string) {
		turn := &bot.Turn{State: &bot.State{Answers: map[string]string{}}}
		value, problem := d.parseKabKota(context.Background(), turn, bot.In{Text: s, Norm: bot.Normalize(s)})
		if value != "" {
			t.Fatalf("%q: chose %q without an option", s, value)
		}
		if problem.IsZero() {
			t.Fatalf("%q: neither a value nor a problem", s)
		}
		list, _ := problem.Data["List"].(string)
		for _, line := range strings.Split(list, "\n") {
			if line == "" {
				continue
			}
			num, _, _ := strings.Cut(line, ". ")
			i, err := strconv.Atoi(num)
			if err != nil || i < 1 || i > len(region.Units) || !strings.Contains(line, region.Units[i-1].Name) {
				t.Fatalf("%q: line %q is not a kabupaten/kota of the list", s, line)
			}
		}
	})
}
