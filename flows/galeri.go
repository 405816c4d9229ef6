package flows

import (
	"context"
	"strconv"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

func init() { register("galeri", newGaleri) }

// Galeri actions, the values of the galeri menu and of free-text intents.
const (
	gaAll      = "semua"
	gaDistrict = "kecamatan"
	gaNearest  = "terdekat"
	gaOpen     = "buka"
	gaApply    = "syarat"
	gaCurate   = "kurasi"
	gaStatus   = "status"
)

var galeriActions = []struct {
	value string
	alias []string
}{
	{gaAll, []string{"semua", "daftar galeri", "alamat", "semua galeri", "list"}},
	{gaDistrict, []string{"kecamatan", "per kecamatan"}},
	{gaNearest, []string{"terdekat", "lokasi", "dekat"}},
	{gaOpen, []string{"buka", "buka sekarang", "jam buka", "jam"}},
	{gaApply, []string{"syarat", "titip", "cara titip", "syarat titip", "cara masuk"}},
	{gaCurate, []string{"kurasi", "ajukan", "ajukan kurasi", "daftar kurasi"}},
	{gaStatus, []string{"status", "status pengajuan", "status kurasi"}},
}

func galeriOptions(context.Context, *bot.Turn) ([]bot.Option, error) {
	opts := make([]bot.Option, len(galeriActions))
	for i, a := range galeriActions {
		opts[i] = bot.Option{Key: strconv.Itoa(i + 1), Value: a.value, Label: bot.T("galeri.menu." + a.value), Alias: a.alias}
	}
	return opts, nil
}

// newGaleri builds "galeri": the Dinas's galeri outlets (list, by
// kecamatan, nearest to a shared location, open now, how to get a product
// in) and curation applications with their status.
func newGaleri(d Deps) *bot.Flow {
	steps := []*bot.Step{galeriMenu(d), galeriLagi(d), galeriKecamatan(d), galeriLokasi(d), galeriKurasi(d), galeriKurasiProduk(d), galeriKurasiYakin(d)}
	return &bot.Flow{
		ID:       "galeri",
		Version:  1, // one list encoding (bot.ListValue), no "none" or "-"
		Migrate:  migrateGaleri,
		Title:    "galeri.title",
		Triggers: []string{"galeri", "outlet", "galeri menong", "galeri umkm"},
		Menu:     40,
		Intent:   galeriIntent,
		Entries:  []bot.StepID{"kecamatan", "kurasi", "lagi", "lokasi"},
		Begin:    galeriBegin(d),
		Calls:    []string{"daftar"},
		Steps:    steps,
	}
}

// galeriMenu is the galeri menu: outlets by kecamatan, the nearest, open
// now, how to apply, curation.
func galeriMenu(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "menu",
		Prompt: "galeri.menu",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			return map[string]any{"Region": d.Region.Name}, nil
		},
		Options: galeriOptions,
		Targets: []bot.StepID{"kecamatan", "kurasi", "lagi", "lokasi"},
		Calls:   []string{"daftar"}, // registration first, for curation
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if in.Choice == nil {
				return bot.Retry(bot.T("core.choice.invalid")), nil
			}
			return galeriAction(ctx, d, t, in.Choice.Value)
		},
	}
}

// galeriLagi offers another galeri question after an answer; other flows'
// words pass (Yield).
func galeriLagi(d Deps) *bot.Step {
	return &bot.Step{
		ID:      "lagi",
		Prompt:  "galeri.lagi",
		Yield:   true,
		Targets: []bot.StepID{"kecamatan", "kurasi", "lagi", "lokasi"},
		Calls:   []string{"daftar"}, // registration first, for curation
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			opts, err := galeriOptions(ctx, t)
			if err != nil {
				return bot.Result{}, err
			}
			if o, ok := bot.MatchOption(in.Text, opts); ok {
				return galeriAction(ctx, d, t, o.Value)
			}
			if a, ok := galeriIntent(in.Norm); ok && a != "" {
				return galeriAction(ctx, d, t, a)
			}
			if yes, ok := bot.YesNo(in.Text); (ok && !yes) || photoDoneWords[in.Norm] {
				return bot.Finish(), nil
			}
			return bot.Retry(bot.T("galeri.lagi.unclear")), nil
		},
	}
}

// galeriKecamatan asks the kecamatan whose outlets to list.
func galeriKecamatan(d Deps) *bot.Step {
	kecamatan := kecamatanOptions(d.Region) // built once
	return &bot.Step{
		ID:     "kecamatan",
		Prompt: "galeri.kecamatan",
		Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) {
			if d.Region.Multi() {
				outlets, err := d.outlets(ctx, t)
				if err != nil {
					return nil, err
				}
				return outletKecamatanOptions(d.Region, outlets), nil
			}
			return kecamatan, nil
		},
		Targets: []bot.StepID{"lagi"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if in.Choice == nil {
				return bot.Retry(bot.T("core.choice.invalid")), nil
			}
			var found []umkm.Outlet
			outlets, err := d.outlets(ctx, t)
			if err != nil {
				return bot.Result{}, err
			}
			for _, o := range outlets {
				if strings.EqualFold(o.Kecamatan, in.Choice.Value) || strings.EqualFold(o.KabKota+"|"+o.Kecamatan, in.Choice.Value) {
					found = append(found, o)
				}
			}
			if len(found) == 0 {
				return bot.Goto("lagi", bot.Say(bot.T("galeri.kecamatan.none", "Kecamatan", in.Choice.Value))), nil
			}
			return bot.Goto("lagi", outletList(found)), nil
		},
	}
}

// galeriLokasi asks for a location (or a place name) and lists the nearest outlets.
func galeriLokasi(d Deps) *bot.Step {
	return &bot.Step{
		ID:      "lokasi",
		Prompt:  "galeri.lokasi",
		Ask:     bot.AskLocation,
		Accept:  []bot.Kind{bot.KindLocation, bot.KindText, bot.KindPhoto},
		Targets: []bot.StepID{"lagi"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if in.Msg.Kind != bot.KindLocation || in.Msg.Location == nil {
				return bot.Retry(bot.T("galeri.lokasi.unclear")), nil
			}
			near, err := d.Outlets.NearestOutlets(ctx, d.Region.Code, *in.Msg.Location, 3)
			if err != nil {
				return bot.Result{}, err
			}
			return bot.Goto("lagi", nearestOut(near)), nil
		},
	}
}

// galeriBegin starts the flow, with the deep-link or command argument.
func galeriBegin(d Deps) func(context.Context, *bot.Turn, string) (bot.Result, error) {
	return func(ctx context.Context, t *bot.Turn, arg string) (bot.Result, error) {
		// arg is an action from Intent, or what followed a trigger
		// ("galeri buka").
		for _, a := range galeriActions {
			if arg == a.value {
				return galeriAction(ctx, d, t, a.value)
			}
		}
		if a, ok := galeriIntent(bot.Normalize(arg)); ok && a != "" {
			return galeriAction(ctx, d, t, a)
		}
		return bot.Goto("menu"), nil
	}
}

// galeriPunct turns the punctuation galeriIntent ignores into spaces.
var galeriPunct = strings.NewReplacer("?", " ", ",", " ", ".", " ")

// galeriIntent maps free text to a galeri action: "jam buka galeri
// menong?" → buka, "alamatnya dimana" → semua, "syarat titip produk" →
// syarat. Text that names the galeri without a question opens the menu.
func galeriIntent(norm string) (string, bool) {
	words := strings.Fields(galeriPunct.Replace(norm))
	has := func(ws ...string) bool {
		for _, w := range words {
			for _, x := range ws {
				if w == x {
					return true
				}
			}
		}
		return false
	}
	sub := func(ss ...string) bool {
		for _, s := range ss {
			if strings.Contains(norm, s) {
				return true
			}
		}
		return false
	}
	galeri := sub("galeri", "galery", "gallery", "outlet", "menong")
	// Without the galeri named, "jam buka?" or "alamatnya dimana" count only
	// when nothing else is asked about ("jam pelatihan?" is not ours).
	plain := true
	for _, w := range words {
		plain = plain && questionWords[w]
	}
	switch {
	case sub("kurasi", "pengajuan") && has("status", "hasil", "gimana", "bagaimana"):
		return gaStatus, true
	case sub("kurasi"):
		return gaCurate, true
	case sub("syarat", "titip", "konsinyasi") || (galeri && sub("cara masuk", "masukin", "masuk galeri", "ikut jual")):
		return gaApply, true
	case sub("terdekat", "paling dekat"):
		return gaNearest, true
	case has("jam", "buka", "bukanya", "tutup", "libur") && (galeri || plain):
		return gaOpen, true
	case (sub("alamat") || has("dimana", "dmn", "lokasinya", "letaknya") || sub("di mana")) && (galeri || plain):
		return gaAll, true
	case galeri:
		return "", true
	}
	return "", false
}

// questionWords are the words of a galeri question that names nothing else.
var questionWords = map[string]bool{"jam": true, "buka": true, "bukanya": true, "tutup": true, "libur": true, "sekarang": true,
	"masih": true, "hari": true, "ini": true, "besok": true, "gak": true, "ga": true, "nggak": true, "tidak": true, "apa": true,
	"apakah": true, "kah": true, "berapa": true, "brp": true, "alamat": true, "alamatnya": true, "dimana": true, "di": true,
	"mana": true, "dmn": true, "lokasinya": true, "letaknya": true, "ya": true, "kak": true, "min": true, "pak": true, "bu": true,
	"sih": true, "nya": true, "udah": true, "sudah": true}

// galeriAction answers one galeri question.
func galeriAction(ctx context.Context, d Deps, t *bot.Turn, action string) (bot.Result, error) {
	switch action {
	case gaCurate:
		reg, err := d.registration(ctx, t)
		if err != nil {
			return bot.Result{}, err
		}
		if reg == nil {
			return bot.Result{Say: []bot.Out{bot.Say(bot.T("galeri.kurasi.register_first"))}, Call: "daftar", Next: "kurasi"}, nil
		}
		return bot.Goto("kurasi"), nil
	case gaStatus:
		status, err := curationStatus(ctx, d, t)
		if err != nil {
			return bot.Result{}, err
		}
		return bot.Goto("lagi", status), nil
	}
	outlets, err := d.outlets(ctx, t)
	if err != nil {
		return bot.Result{}, err
	}
	if len(outlets) == 0 {
		return bot.Goto("lagi", bot.Say(bot.T("galeri.none", "Region", d.Region.Name, "Office", d.Region.Office, "Contact", d.contact(ctx, t)))), nil
	}
	switch action {
	case gaDistrict:
		return bot.Goto("kecamatan"), nil
	case gaNearest:
		return bot.Goto("lokasi"), nil
	case gaOpen:
		return bot.Goto("lagi", openNowOut(outlets, t)), nil
	case gaApply:
		return bot.Goto("lagi", howToApplyOut(outlets, d.Region.Office)), nil
	}
	return bot.Goto("lagi", outletList(outlets)), nil
}
