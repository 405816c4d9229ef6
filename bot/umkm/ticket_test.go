package umkm

import (
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

func TestOfficeHours(t *testing.T) {
	h := OfficeHours{Days: []int{1, 2, 3, 4, 5}, Open: "08:00", Close: "16:00", Holidays: []string{"2026-12-25"}}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, bot.Jakarta)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		now      string
		open     bool
		holiday  bool
		nextOpen string
	}{
		{"2026-11-25 09:00", true, false, "2026-11-25 09:00"},  // Wednesday morning
		{"2026-11-25 07:59", false, false, "2026-11-25 08:00"}, // before opening
		{"2026-11-25 16:00", false, false, "2026-11-26 08:00"}, // closing time
		{"2026-11-27 20:00", false, false, "2026-11-30 08:00"}, // Friday evening → Monday
		{"2026-11-28 10:00", false, false, "2026-11-30 08:00"}, // Saturday
		{"2026-12-25 10:00", false, true, "2026-12-28 08:00"},  // Christmas, a Friday
		{"2026-12-24 17:00", false, false, "2026-12-28 08:00"}, // the evening before
	} {
		now := at(c.now)
		if got := h.IsOpen(now); got != c.open {
			t.Errorf("%s: open = %v", c.now, got)
		}
		if got := h.Holiday(now); got != c.holiday {
			t.Errorf("%s: holiday = %v", c.now, got)
		}
		if got := h.NextOpen(now); !got.Equal(at(c.nextOpen)) {
			t.Errorf("%s: next open %s, want %s", c.now, got, c.nextOpen)
		}
	}
	// The same instant given in UTC is judged in WIB.
	if !h.IsOpen(at("2026-11-25 09:00").UTC()) {
		t.Error("UTC time not judged in WIB")
	}
	for _, bad := range []OfficeHours{
		{Days: []int{1}, Open: "8", Close: "16:00"},
		{Days: []int{1}, Open: "16:00", Close: "08:00"},
		{Days: []int{0}, Open: "08:00", Close: "16:00"},
		{Days: []int{1}, Open: "08:00", Close: "16:00", Holidays: []string{"25-12-2026"}},
	} {
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "office hours") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
