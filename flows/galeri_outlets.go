package flows

import (
	"context"
	"strconv"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The galeri's answers about outlets: the list, opening hours, the nearest,
// how to apply.

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
