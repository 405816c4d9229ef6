package flows

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The Dinas contact block (issue 10): every reply that sends an owner to
// the Dinas carries it, from the region file's [dinas] table and [hours].
// Facts the file declares unknown are not guessed: the owner is told to
// ask through the petugas menu instead.

// dinasOf returns the Dinas that serves the person: their kabupaten/kota's
// when they are registered in a deployment of several, else the region's.
func (d Deps) dinasOf(ctx context.Context, t *bot.Turn) umkm.Region {
	if d.Region.Multi() && t != nil {
		r, err := d.registration(ctx, t)
		if err != nil {
			// The deployment's own Dinas is a right answer too, only less
			// precise: a contact block is not worth failing the turn.
			d.logger().Warn("dinas of the registration", "err", err)
		}
		if r != nil {
			if u, ok := d.Region.Unit(r.Region); ok {
				return u
			}
		}
	}
	return d.Region
}

// contact renders the Dinas's contact block for the person (nested text,
// several lines).
func (d Deps) contact(ctx context.Context, t *bot.Turn) bot.Text {
	return ContactText(d.dinasOf(ctx, t))
}

// ContactText is the contact block of a region's Dinas: office, each known
// fact, the hours (marked when not confirmed), the facts not known with
// "hubungi lewat menu petugas", and whether the Dinas confirmed the facts.
func ContactText(r umkm.Region) bot.Text { return contactBlock(r, false) }

// contactBlock is ContactText; inPetugas leaves out the pointer to the
// petugas menu (the owner is there already).
func contactBlock(r umkm.Region, inPetugas bool) bot.Text {
	c := umkm.DinasContact{Unknown: umkm.DinasFacts}
	if r.Dinas != nil {
		c = *r.Dinas
	}
	office := c.Office
	if office == "" {
		office = r.Office
	}
	if office == "" {
		office = "Dinas Koperasi dan UMKM " + r.Name
	}
	hours := umkm.DefaultOfficeHours()
	if r.Hours != nil {
		hours = *r.Hours
	}
	data := []any{"Office", office, "Hours", officeHoursText(hours), "HoursUnconfirmed", hours.Default,
		"Unconfirmed", r.Dinas != nil && !c.Confirmed && len(c.Unknown) < len(umkm.DinasFacts), "Other", r.Contact, "Here", inPetugas}
	var missing []bot.Text
	for _, f := range umkm.DinasFacts {
		v := strings.TrimSpace(c.Fact(f))
		data = append(data, strings.ToUpper(f[:1])+f[1:], v)
		if v == "" {
			missing = append(missing, bot.T("dinas.fact."+f))
		}
	}
	if len(missing) > 0 && (r.Dinas != nil || r.Contact == "") { // an older free-text contact stands for them
		data = append(data, "Missing", missing)
	}
	return bot.T("dinas.contact", data...)
}

// officeHoursText renders office hours: "Senin–Jumat 08.00–16.00 WIB".
func officeHoursText(h umkm.OfficeHours) bot.Text {
	days := slices.Clone(h.Days)
	slices.Sort(days)
	day := func(n int) bot.Text { return bot.T("time.weekday." + strconv.Itoa(n%7)) }
	var which bot.Text
	contiguous := len(days) > 2 && days[len(days)-1]-days[0] == len(days)-1
	switch {
	case len(days) == 0:
		which = bot.T("dinas.days.none")
	case contiguous:
		which = bot.T("dinas.days.range", "From", day(days[0]), "To", day(days[len(days)-1]))
	default:
		var each []bot.Text
		for _, n := range days {
			each = append(each, day(n))
		}
		which = bot.T("dinas.days.list", "Days", each)
	}
	return bot.T("dinas.hours", "Days", which, "Open", strings.ReplaceAll(h.Open, ":", "."), "Close", strings.ReplaceAll(h.Close, ":", "."))
}

// dinasKnown reports whether anything of the Dinas's contact is known
// beyond its name and hours.
func dinasKnown(r umkm.Region) bool {
	if r.Contact != "" {
		return true
	}
	if r.Dinas == nil {
		return false
	}
	return slices.ContainsFunc(umkm.DinasFacts, func(f string) bool { return strings.TrimSpace(r.Dinas.Fact(f)) != "" })
}
