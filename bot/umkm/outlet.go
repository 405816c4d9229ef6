package umkm

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// Outlet is a galeri or shop where the Dinas sells its owners' products
// (Galeri Menong in Purwakarta), loaded from the region data file. Facts the
// Dinas has not confirmed stay empty or are flagged, and the bot says so
// instead of guessing.
type Outlet struct {
	ID        string  `toml:"id" json:"id"`
	Name      string  `toml:"name" json:"name"`
	Address   string  `toml:"address" json:"address"`
	Kecamatan string  `toml:"kecamatan" json:"kecamatan"`
	Lat       float64 `toml:"lat" json:"lat"`
	Lon       float64 `toml:"lon" json:"lon"`
	// LocationConfirmed is false while Lat/Lon are placeholders: distances
	// are then shown as approximate.
	LocationConfirmed bool `toml:"location_confirmed" json:"location_confirmed"`
	// Hours maps an Indonesian weekday ("senin" … "minggu") to "08.00-16.00"
	// or "tutup". A missing day is unknown; no hours at all means the
	// opening hours are not confirmed.
	Hours       map[string]string `toml:"hours" json:"hours,omitempty"`
	Contact     string            `toml:"contact" json:"contact,omitempty"`
	Categories  []string          `toml:"categories" json:"categories,omitempty"`
	Consignment string            `toml:"consignment" json:"consignment,omitempty"` // titip jual terms; "" = unconfirmed
	// Requirements and HowToApply are what the Dinas asks of a product and
	// the steps to get it in; empty = unconfirmed.
	Requirements []string `toml:"requirements" json:"requirements,omitempty"`
	HowToApply   []string `toml:"how_to_apply" json:"how_to_apply,omitempty"`
	Note         string   `toml:"note" json:"note,omitempty"`
	// KabKota is the Kemendagri code of its kabupaten/kota in a deployment
	// of several (set from the [[kabupaten_kota]] table it is listed in).
	KabKota string `toml:"kabupaten_kota" json:"kabupaten_kota,omitempty"`
}

// OutletDistance is an outlet found near a point.
type OutletDistance struct {
	Outlet Outlet
	KM     float64
}

// OutletStore answers questions about a region's outlets.
type OutletStore interface {
	// Outlets returns the region's outlets in data-file order.
	Outlets(ctx context.Context, region string) ([]Outlet, error)
	// NearestOutlets returns up to n outlets nearest to at, nearest first.
	NearestOutlets(ctx context.Context, region string, at bot.Location, n int) ([]OutletDistance, error)
}

// Weekdays in Indonesian, indexed by time.Weekday, as the data files key
// opening hours.
var Weekdays = [7]string{"minggu", "senin", "selasa", "rabu", "kamis", "jumat", "sabtu"}

// OpenState says whether an outlet is open at some moment.
type OpenState int

// Open states.
const (
	HoursUnknown OpenState = iota // no confirmed hours for that day
	OpenNow
	ClosingSoon // open, closes within ClosingSoonWindow
	ClosedToday // the day is a closed day
	ClosedNow   // outside today's hours
)

// ClosingSoonWindow is how long before closing an outlet counts as closing soon.
const ClosingSoonWindow = 30 * time.Minute

// OpenStatus is the answer to "buka sekarang?".
type OpenStatus struct {
	State OpenState
	Today string // today's hours as in the data ("08.00-16.00"), "" if unknown
	Opens string // when it opens today, for ClosedNow before opening ("08.00"), else ""
	Close string // closing time today when open ("16.00")
}

// OpenAt says whether o is open at t, read in Asia/Jakarta time.
func (o Outlet) OpenAt(t time.Time) OpenStatus {
	t = t.In(bot.Jakarta)
	h, ok := o.Hours[Weekdays[t.Weekday()]]
	h = strings.TrimSpace(strings.ToLower(h))
	if !ok || h == "" {
		return OpenStatus{State: HoursUnknown}
	}
	if h == "tutup" || h == "libur" {
		return OpenStatus{State: ClosedToday, Today: h}
	}
	from, to, err := ParseHours(h)
	if err != nil {
		return OpenStatus{State: HoursUnknown}
	}
	mins := t.Hour()*60 + t.Minute()
	st := OpenStatus{Today: h}
	switch {
	case mins < from:
		st.State, st.Opens = ClosedNow, clock(from)
	case mins >= to:
		st.State = ClosedNow
	case time.Duration(to-mins)*time.Minute <= ClosingSoonWindow:
		st.State, st.Close = ClosingSoon, clock(to)
	default:
		st.State, st.Close = OpenNow, clock(to)
	}
	return st
}

// ParseHours reads "08.00-16.00" (or "08:00 - 16:00") as minutes since
// midnight. Closing must be after opening, at most 24.00.
func ParseHours(s string) (from, to int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("hours %q: want HH.MM-HH.MM", s)
	}
	if from, err = parseClock(a); err != nil {
		return 0, 0, err
	}
	if to, err = parseClock(b); err != nil {
		return 0, 0, err
	}
	if to <= from {
		return 0, 0, fmt.Errorf("hours %q: closes before it opens", s)
	}
	return from, to, nil
}

func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	hh, mm, ok := strings.Cut(strings.ReplaceAll(s, ":", "."), ".")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || len(mm) != 2 || h < 0 || m < 0 || m > 59 || h*60+m > 24*60 {
		return 0, fmt.Errorf("time %q: want HH.MM", s)
	}
	return h*60 + m, nil
}

func clock(mins int) string { return fmt.Sprintf("%02d.%02d", mins/60, mins%60) }

// ValidateOutlet checks an outlet from a data file.
func ValidateOutlet(o Outlet) error {
	if o.ID == "" || o.Name == "" {
		return fmt.Errorf("outlet %q: id and name are required", o.Name)
	}
	if o.Lat < -90 || o.Lat > 90 || o.Lon < -180 || o.Lon > 180 || (o.Lat == 0 && o.Lon == 0) {
		return fmt.Errorf("outlet %s: latitude/longitude missing or out of range", o.ID)
	}
	for day, h := range o.Hours {
		known := false
		for _, w := range Weekdays {
			known = known || w == day
		}
		if !known {
			return fmt.Errorf("outlet %s: unknown weekday %q (use senin … minggu)", o.ID, day)
		}
		if h = strings.ToLower(strings.TrimSpace(h)); h == "tutup" || h == "libur" {
			continue
		}
		if _, _, err := ParseHours(h); err != nil {
			return fmt.Errorf("outlet %s %s: %w", o.ID, day, err)
		}
	}
	return nil
}
