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

func galeriOptions(context.Context, *bot.Turn) []bot.Option {
	opts := make([]bot.Option, len(galeriActions))
	for i, a := range galeriActions {
		opts[i] = bot.Option{Key: strconv.Itoa(i + 1), Value: a.value, Label: bot.T("galeri.menu." + a.value), Alias: a.alias}
	}
	return opts
}

// newGaleri builds "galeri": the Dinas's galeri outlets (list, by
// kecamatan, nearest to a shared location, open now, how to get a product
// in) and curation applications with their status.
func newGaleri(d Deps) *bot.Flow {
	steps := []*bot.Step{{
		ID:      "menu",
		Prompt:  "galeri.menu",
		Data:    func(ctx context.Context, t *bot.Turn) map[string]any { return map[string]any{"Region": d.Region.Name} },
		Options: galeriOptions,
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) bot.Result {
			if in.Choice == nil {
				return bot.Retry(bot.T("core.choice.invalid"))
			}
			return galeriAction(ctx, d, t, in.Choice.Value)
		},
	}, {
		ID:     "lagi",
		Prompt: "galeri.lagi",
		Yield:  true,
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) bot.Result {
			if o, ok := bot.MatchOption(in.Text, galeriOptions(ctx, t)); ok {
				return galeriAction(ctx, d, t, o.Value)
			}
			if a, ok := galeriIntent(in.Norm); ok && a != "" {
				return galeriAction(ctx, d, t, a)
			}
			if yes, ok := bot.YesNo(in.Text); (ok && !yes) || photoDoneWords[in.Norm] {
				return bot.Finish()
			}
			return bot.Retry(bot.T("galeri.lagi.unclear"))
		},
	}, {
		ID:     "kecamatan",
		Prompt: "galeri.kecamatan",
		Options: func(ctx context.Context, t *bot.Turn) []bot.Option {
			if d.Region.Multi() {
				return outletKecamatanOptions(d.Region, d.outlets(ctx, t))
			}
			return kecamatanOptions(d.Region)
		},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) bot.Result {
			if in.Choice == nil {
				return bot.Retry(bot.T("core.choice.invalid"))
			}
			var found []umkm.Outlet
			for _, o := range d.outlets(ctx, t) {
				if strings.EqualFold(o.Kecamatan, in.Choice.Value) || strings.EqualFold(o.KabKota+"|"+o.Kecamatan, in.Choice.Value) {
					found = append(found, o)
				}
			}
			if len(found) == 0 {
				return bot.Goto("lagi", bot.Say(bot.T("galeri.kecamatan.none", "Kecamatan", in.Choice.Value)))
			}
			return bot.Goto("lagi", outletList(found))
		},
	}, {
		ID:     "lokasi",
		Prompt: "galeri.lokasi",
		Ask:    bot.AskLocation,
		Accept: []bot.Kind{bot.KindLocation, bot.KindText, bot.KindPhoto},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) bot.Result {
			if in.Msg.Kind != bot.KindLocation || in.Msg.Location == nil {
				return bot.Retry(bot.T("galeri.lokasi.unclear"))
			}
			near, err := d.Outlets.NearestOutlets(ctx, d.Region.Code, *in.Msg.Location, 3)
			if err != nil {
				t.Fail(err)
				return bot.Result{}
			}
			return bot.Goto("lagi", nearestOut(near))
		},
	}, {
		ID:     "kurasi",
		Prompt: "galeri.kurasi",
		Options: func(ctx context.Context, t *bot.Turn) []bot.Option {
			return curationTargets(ctx, d, t)
		},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) bot.Result {
			if in.Choice == nil {
				return bot.Retry(bot.T("core.choice.invalid"))
			}
			t.Set("ktarget", in.Choice.Value)
			t.Set("ktname", in.Choice.Alias[0])
			if len(d.products(ctx, t)) == 0 {
				return bot.Finish(bot.Say(bot.T("galeri.kurasi.no_products")))
			}
			return bot.Goto("kurasi_produk")
		},
	}, {
		ID:     "kurasi_produk",
		Prompt: "galeri.kurasi.produk",
		Multi:  true,
		Options: func(ctx context.Context, t *bot.Turn) []bot.Option {
			return productOptions(d.products(ctx, t))
		},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) bot.Result {
			if len(in.Choices) == 0 {
				return bot.Retry(bot.T("galeri.kurasi.produk.invalid"))
			}
			names := make([]string, len(in.Choices))
			for i, c := range in.Choices {
				names[i] = c.Alias[0]
			}
			t.Set("kprod", strings.Join(names, "\n"))
			return bot.Goto("kurasi_yakin")
		},
	}, {
		ID:     "kurasi_yakin",
		Prompt: "galeri.kurasi.yakin",
		Data: func(ctx context.Context, t *bot.Turn) map[string]any {
			return map[string]any{"Target": t.Get("ktname"), "Products": strings.Split(t.Get("kprod"), "\n")}
		},
		Options: yesNoOptions("galeri.kurasi.yes", "galeri.kurasi.no"),
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) bot.Result {
			yes, ok := answerYes(in)
			if !ok {
				return bot.Retry(bot.T("galeri.kurasi.unclear"))
			}
			if !yes {
				return bot.Finish(bot.Say(bot.T("galeri.kurasi.cancelled")))
			}
			return submitCuration(ctx, d, t)
		},
	}}
	return &bot.Flow{
		ID:       "galeri",
		Title:    "galeri.title",
		Triggers: []string{"galeri", "outlet", "galeri menong", "galeri umkm"},
		Menu:     40,
		Intent:   galeriIntent,
		Begin: func(ctx context.Context, t *bot.Turn, arg string) bot.Result {
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
			return bot.Goto("menu")
		},
		Steps: steps,
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
func galeriAction(ctx context.Context, d Deps, t *bot.Turn, action string) bot.Result {
	switch action {
	case gaCurate:
		if d.registration(ctx, t) == nil {
			return bot.Result{Say: []bot.Out{bot.Say(bot.T("galeri.kurasi.register_first"))}, Call: "daftar", Next: "kurasi"}
		}
		return bot.Goto("kurasi")
	case gaStatus:
		return bot.Goto("lagi", curationStatus(ctx, d, t))
	}
	outlets := d.outlets(ctx, t)
	if len(outlets) == 0 {
		return bot.Goto("lagi", bot.Say(bot.T("galeri.none", "Region", d.Region.Name, "Office", d.Region.Office, "Contact", d.contact(ctx, t))))
	}
	switch action {
	case gaDistrict:
		return bot.Goto("kecamatan")
	case gaNearest:
		return bot.Goto("lokasi")
	case gaOpen:
		return bot.Goto("lagi", openNowOut(outlets, t))
	case gaApply:
		return bot.Goto("lagi", howToApplyOut(outlets, d.Region.Office))
	}
	return bot.Goto("lagi", outletList(outlets))
}

// outlets returns the region's outlets; a store error fails the turn.
func (d Deps) outlets(ctx context.Context, t *bot.Turn) []umkm.Outlet {
	if d.Outlets == nil {
		return nil
	}
	os, err := d.Outlets.Outlets(ctx, d.Region.Code)
	if err != nil {
		t.Fail(err)
		return nil
	}
	return os
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

func curationTargets(ctx context.Context, d Deps, t *bot.Turn) []bot.Option {
	var opts []bot.Option
	for _, o := range d.outlets(ctx, t) {
		opts = append(opts, bot.Option{Key: strconv.Itoa(len(opts) + 1), Value: o.ID, Label: bot.Raw(o.Name), Alias: []string{o.Name}})
	}
	name := retailTarget
	if tg := d.market().target(retailTarget); tg != nil {
		name = tg.Name
	}
	return append(opts, bot.Option{Key: strconv.Itoa(len(opts) + 1), Value: retailTarget, Label: bot.Raw(name),
		Alias: []string{name, "ritel", "indomaret", "alfamart"}})
}

func submitCuration(ctx context.Context, d Deps, t *bot.Turn) bot.Result {
	reg := d.registration(ctx, t)
	if reg == nil {
		return bot.Result{Call: "daftar", Next: "kurasi_yakin"}
	}
	if d.Curation == nil {
		t.Fail(errors.New("no curation store"))
		return bot.Result{}
	}
	a := &umkm.Application{Region: d.Region.Code, Conv: t.Conv, RegistrationID: reg.ID, Business: reg.BusinessName,
		Target: t.Get("ktarget"), TargetName: t.Get("ktname"), Products: strings.Split(t.Get("kprod"), "\n"), CreatedAt: d.now()}
	err := d.Curation.SubmitApplication(ctx, a)
	var dup *umkm.AlreadyAppliedError
	if errors.As(err, &dup) {
		return bot.Finish(bot.Say(bot.T("galeri.kurasi.already", "ID", dup.ID, "Target", a.TargetName)))
	}
	if err != nil {
		t.Fail(err)
		return bot.Result{}
	}
	return bot.Finish(bot.Say(bot.T("galeri.kurasi.sent", "ID", a.ID, "Target", a.TargetName)))
}

func curationStatus(ctx context.Context, d Deps, t *bot.Turn) bot.Out {
	if d.Curation == nil {
		return bot.Say(bot.T("galeri.status.none"))
	}
	apps, err := d.Curation.ApplicationsFor(ctx, d.Region.Code, t.Conv)
	if err != nil {
		t.Fail(err)
		return bot.Out{}
	}
	if len(apps) == 0 {
		return bot.Say(bot.T("galeri.status.none"))
	}
	texts := []bot.Text{bot.N("galeri.status.head", len(apps))}
	for _, a := range apps {
		texts = append(texts, bot.T("galeri.status.item", "ID", a.ID, "Target", a.TargetName,
			"Status", bot.T("galeri.status."+string(a.Status)), "Date", day(a.UpdatedAt), "Note", a.Note, "HasNote", a.Note != ""))
	}
	return bot.Say(texts...)
}

// CurationNotice is the message that tells an owner their curation
// application changed status (sent by serve from the notice queue).
func CurationNotice(appID, target, status, note string) bot.Out {
	return bot.Say(bot.T("galeri.notice", "ID", appID, "Target", target,
		"Status", bot.T("galeri.status."+status), "Note", note, "HasNote", note != ""),
		bot.T("galeri.notice.next."+status))
}
