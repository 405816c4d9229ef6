package flows

import (
	"context"
	"errors"
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
			return kecamatanOptions(d.Region), nil
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

// galeriKurasi asks which outlet or event a product curation application is for.
func galeriKurasi(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "kurasi",
		Prompt: "galeri.kurasi",
		Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) {
			return curationTargets(ctx, d, t)
		},
		Targets: []bot.StepID{"kurasi_produk"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if in.Choice == nil {
				return bot.Retry(bot.T("core.choice.invalid")), nil
			}
			t.Set("ktarget", in.Choice.Value)
			t.Set("ktname", in.Choice.Alias[0])
			ps, err := d.products(ctx, t)
			if err != nil {
				return bot.Result{}, err
			}
			if len(ps) == 0 {
				return bot.Finish(bot.Say(bot.T("galeri.kurasi.no_products"))), nil
			}
			return bot.Goto("kurasi_produk"), nil
		},
	}
}

// galeriKurasiProduk asks which saved products to submit (several).
func galeriKurasiProduk(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "kurasi_produk",
		Prompt: "galeri.kurasi.produk",
		Multi:  true,
		Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) {
			ps, err := d.products(ctx, t)
			if err != nil {
				return nil, err
			}
			return productOptions(ps), nil
		},
		Targets: []bot.StepID{"kurasi_yakin"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if len(in.Choices) == 0 {
				return bot.Retry(bot.T("galeri.kurasi.produk.invalid")), nil
			}
			names := make([]string, len(in.Choices))
			for i, c := range in.Choices {
				names[i] = c.Alias[0]
			}
			t.SetList("kprod", names)
			return bot.Goto("kurasi_yakin"), nil
		},
	}
}

// galeriKurasiYakin confirms the curation application before it is submitted.
func galeriKurasiYakin(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "kurasi_yakin",
		Prompt: "galeri.kurasi.yakin",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			return map[string]any{"Target": t.Get("ktname"), "Products": t.List("kprod")}, nil
		},
		Options: yesNoOptions("galeri.kurasi.yes", "galeri.kurasi.no"),
		Targets: []bot.StepID{"kurasi_yakin"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			yes, ok := answerYes(in)
			if !ok {
				return bot.Retry(bot.T("galeri.kurasi.unclear")), nil
			}
			if !yes {
				return bot.Finish(bot.Say(bot.T("galeri.kurasi.cancelled"))), nil
			}
			return submitCuration(ctx, d, t)
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

// galeriIntent maps free text to a galeri action: "jam buka galeri
// menong?" → buka, "alamatnya dimana" → semua, "syarat titip produk" →
// syarat. Text that names the galeri without a question opens the menu.
func galeriIntent(norm string) (string, bool) {
	words := strings.Fields(strings.NewReplacer("?", " ", ",", " ", ".", " ").Replace(norm))
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
		return bot.Goto("lagi", bot.Say(bot.T("galeri.none", "Region", d.Region.Name, "Office", d.Region.Office))), nil
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

// outlets returns the region's outlets (none without an outlet store).
func (d Deps) outlets(ctx context.Context, t *bot.Turn) ([]umkm.Outlet, error) {
	if d.Outlets == nil {
		return nil, nil
	}
	return d.Outlets.Outlets(ctx, d.Region.Code)
}

// outletKecamatanOptions are, in a deployment of several kabupaten/kota,
// the kecamatan that have an outlet, labelled with their kabupaten/kota
// (all of a province's kecamatan would be too long a list for a phone).
func outletKecamatanOptions(r umkm.Region, outlets []umkm.Outlet) []bot.Option {
	var opts []bot.Option
	seen := map[string]bool{}
	for _, o := range outlets {
		v := o.KabKota + "|" + o.Kecamatan
		if seen[v] {
			continue
		}
		seen[v] = true
		label := o.Kecamatan
		if u, ok := r.Unit(o.KabKota); ok {
			label += " (" + u.Name + ")"
		}
		opts = append(opts, bot.Option{Key: strconv.Itoa(len(opts) + 1), Value: v, Label: bot.Raw(label), Alias: []string{o.Kecamatan}})
	}
	return opts
}

// unknown is what the bot says for a fact the Dinas has not confirmed.
func unknown() bot.Text { return bot.T("galeri.unknown") }

func orUnknown(s string) bot.Text {
	if strings.TrimSpace(s) == "" {
		return unknown()
	}
	return bot.Raw(s)
}

func hoursText(o umkm.Outlet) bot.Text {
	if len(o.Hours) == 0 {
		return unknown()
	}
	var days []bot.Text
	for i := 1; i <= 7; i++ { // Senin first
		wd := i % 7
		h, ok := o.Hours[umkm.Weekdays[wd]]
		if !ok {
			h = ""
		}
		days = append(days, bot.T("galeri.hours.day", "Day", bot.T("time.weekday."+strconv.Itoa(wd)), "Hours", orUnknown(h)))
	}
	return bot.T("galeri.hours.list", "Days", days)
}

func outletList(outlets []umkm.Outlet) bot.Out {
	texts := []bot.Text{bot.N("galeri.list", len(outlets))}
	for _, o := range outlets {
		cats := make([]bot.Text, len(o.Categories))
		for i, c := range o.Categories {
			cats[i] = bot.Raw(c)
		}
		var catsText any = cats
		if len(cats) == 0 {
			catsText = unknown()
		}
		texts = append(texts, bot.T("galeri.outlet", "Name", o.Name, "Address", orUnknown(o.Address),
			"Kecamatan", orUnknown(o.Kecamatan), "Hours", hoursText(o), "Contact", orUnknown(o.Contact),
			"Categories", catsText, "Note", o.Note, "HasNote", o.Note != ""))
	}
	return bot.Say(texts...)
}

func openNowOut(outlets []umkm.Outlet, t *bot.Turn) bot.Out {
	texts := []bot.Text{bot.T("galeri.open.head", "Now", when(t.Now))}
	for _, o := range outlets {
		st := o.OpenAt(t.Now)
		id := map[umkm.OpenState]string{umkm.HoursUnknown: "unknown", umkm.OpenNow: "open", umkm.ClosingSoon: "closing",
			umkm.ClosedToday: "closed_day", umkm.ClosedNow: "closed"}[st.State]
		if st.State == umkm.ClosedNow && st.Opens != "" {
			id = "not_yet"
		}
		texts = append(texts, bot.T("galeri.open."+id, "Name", o.Name, "Close", st.Close, "Opens", st.Opens, "Today", st.Today))
	}
	return bot.Say(texts...)
}

func howToApplyOut(outlets []umkm.Outlet, office string) bot.Out {
	texts := []bot.Text{bot.T("galeri.syarat.head")}
	for _, o := range outlets {
		texts = append(texts, bot.T("galeri.syarat", "Name", o.Name,
			"Requirements", listOrUnknown(o.Requirements), "Steps", listOrUnknown(o.HowToApply),
			"Consignment", orUnknown(o.Consignment)))
	}
	texts = append(texts, bot.T("galeri.syarat.apply", "Office", office))
	return bot.Say(texts...)
}

func listOrUnknown(items []string) any {
	if len(items) == 0 {
		return unknown()
	}
	out := make([]bot.Text, len(items))
	for i, s := range items {
		out[i] = bot.Raw(s)
	}
	return out
}

func nearestOut(near []umkm.OutletDistance) bot.Out {
	if len(near) == 0 {
		return bot.Say(bot.T("galeri.nearest.none"))
	}
	texts := []bot.Text{bot.N("galeri.nearest.head", len(near))}
	approx := false
	for i, n := range near {
		km := strings.ReplaceAll(strconv.FormatFloat(n.KM, 'f', 1, 64), ".", ",")
		texts = append(texts, bot.T("galeri.nearest.item", "No", i+1, "Name", n.Outlet.Name, "KM", km,
			"Address", orUnknown(n.Outlet.Address), "Approx", !n.Outlet.LocationConfirmed))
		approx = approx || !n.Outlet.LocationConfirmed
	}
	if approx {
		texts = append(texts, bot.T("galeri.nearest.approx"))
	}
	return bot.Say(texts...)
}

// retailTarget is the curation target for modern-retail programmes.
const retailTarget = "ritel"

func curationTargets(ctx context.Context, d Deps, t *bot.Turn) ([]bot.Option, error) {
	var opts []bot.Option
	outlets, err := d.outlets(ctx, t)
	if err != nil {
		return nil, err
	}
	for _, o := range outlets {
		opts = append(opts, bot.Option{Key: strconv.Itoa(len(opts) + 1), Value: o.ID, Label: bot.Raw(o.Name), Alias: []string{o.Name}})
	}
	name := retailTarget
	if tg := d.market().target(retailTarget); tg != nil {
		name = tg.Name
	}
	return append(opts, bot.Option{Key: strconv.Itoa(len(opts) + 1), Value: retailTarget, Label: bot.Raw(name),
		Alias: []string{name, "ritel", "indomaret", "alfamart"}}), nil
}

func submitCuration(ctx context.Context, d Deps, t *bot.Turn) (bot.Result, error) {
	reg, err := d.registration(ctx, t)
	if err != nil {
		return bot.Result{}, err
	}
	if reg == nil {
		return bot.Result{Call: "daftar", Next: "kurasi_yakin"}, nil
	}
	if d.Curation == nil {
		return bot.Result{}, errors.New("no curation store")
	}
	a := &umkm.Application{Region: d.Region.Code, Conv: t.Conv, RegistrationID: reg.ID, Business: reg.BusinessName,
		Target: t.Get("ktarget"), TargetName: t.Get("ktname"), Products: t.List("kprod"), CreatedAt: d.now()}
	err = d.Curation.SubmitApplication(ctx, a)
	var dup *umkm.AlreadyAppliedError
	if errors.As(err, &dup) {
		return bot.Finish(bot.Say(bot.T("galeri.kurasi.already", "ID", dup.ID, "Target", a.TargetName))), nil
	}
	if err != nil {
		return bot.Result{}, err
	}
	return bot.Finish(bot.Say(bot.T("galeri.kurasi.sent", "ID", a.ID, "Target", a.TargetName))), nil
}

func curationStatus(ctx context.Context, d Deps, t *bot.Turn) (bot.Out, error) {
	if d.Curation == nil {
		return bot.Say(bot.T("galeri.status.none")), nil
	}
	apps, err := d.Curation.ApplicationsFor(ctx, d.Region.Code, t.Conv)
	if err != nil {
		return bot.Out{}, err
	}
	if len(apps) == 0 {
		return bot.Say(bot.T("galeri.status.none")), nil
	}
	texts := []bot.Text{bot.N("galeri.status.head", len(apps))}
	for _, a := range apps {
		texts = append(texts, bot.T("galeri.status.item", "ID", a.ID, "Target", a.TargetName,
			"Status", bot.T("galeri.status."+string(a.Status)), "Date", day(a.UpdatedAt), "Note", a.Note, "HasNote", a.Note != ""))
	}
	return bot.Say(texts...), nil
}

// CurationNotice is the message that tells an owner their curation
// application changed status (sent by serve from the notice queue).
func CurationNotice(appID, target, status, note string) bot.Out {
	return bot.Say(bot.T("galeri.notice", "ID", appID, "Target", target,
		"Status", bot.T("galeri.status."+status), "Note", note, "HasNote", note != ""),
		bot.T("galeri.notice.next."+status))
}
