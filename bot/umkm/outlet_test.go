package umkm

import (
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

func TestOutletOpenAt(t *testing.T) {
	o := Outlet{ID: "g", Name: "Galeri", Hours: map[string]string{
		"senin": "08.00-16.00", "selasa": "08.00-16.00", "rabu": "08.00-16.00", "kamis": "08.00-16.00",
		"jumat": "08.00-11.00", "sabtu": "08:00 - 14:00", "minggu": "tutup",
	}}
	wib := func(day, hh, mm int) time.Time { return time.Date(2026, 11, day, hh, mm, 0, 0, bot.Jakarta) } // 23 Nov 2026 is a Monday
	tests := []struct {
		name  string
		at    time.Time
		state OpenState
		close string
		opens string
	}{
		{"monday morning", wib(23, 9, 0), OpenNow, "16.00", ""},
		{"at opening", wib(23, 8, 0), OpenNow, "16.00", ""},
		{"before opening", wib(23, 7, 59), ClosedNow, "", "08.00"},
		{"31 min before closing", wib(23, 15, 29), OpenNow, "16.00", ""},
		{"30 min before closing", wib(23, 15, 30), ClosingSoon, "16.00", ""},
		{"one minute before closing", wib(23, 15, 59), ClosingSoon, "16.00", ""},
		{"at closing", wib(23, 16, 0), ClosedNow, "", ""},
		{"late evening", wib(23, 22, 0), ClosedNow, "", ""},
		{"friday short day", wib(27, 10, 45), ClosingSoon, "11.00", ""},
		{"friday afternoon", wib(27, 13, 0), ClosedNow, "", ""},
		{"saturday colon format", wib(28, 12, 0), OpenNow, "14.00", ""},
		{"sunday closed day", wib(29, 10, 0), ClosedToday, "", ""},
		// 02:30 UTC on Monday is 09:30 WIB: the zone of t does not matter.
		{"utc input", time.Date(2026, 11, 23, 2, 30, 0, 0, time.UTC), OpenNow, "16.00", ""},
		// 20:00 UTC on Sunday is 03:00 WIB on Monday.
		{"utc evening is next day in WIB", time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC), ClosedNow, "", "08.00"},
	}
	for _, tt := range tests {
		got := o.OpenAt(tt.at)
		if got.State != tt.state || got.Close != tt.close || got.Opens != tt.opens {
			t.Errorf("%s: OpenAt(%v) = %+v; want state %d close %q opens %q", tt.name, tt.at, got, tt.state, tt.close, tt.opens)
		}
	}
	if st := (Outlet{}).OpenAt(wib(23, 9, 0)); st.State != HoursUnknown {
		t.Errorf("no hours: %+v, want HoursUnknown", st)
	}
	partial := Outlet{Hours: map[string]string{"senin": "08.00-16.00"}}
	if st := partial.OpenAt(wib(24, 9, 0)); st.State != HoursUnknown {
		t.Errorf("a day missing from the hours: %+v, want HoursUnknown", st)
	}
}

func TestValidateOutlet(t *testing.T) {
	ok := Outlet{ID: "g", Name: "G", Lat: -6.55, Lon: 107.44, Hours: map[string]string{"senin": "08.00-16.00", "minggu": "tutup"}}
	if err := ValidateOutlet(ok); err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]Outlet{
		"no id":        {Name: "G", Lat: -6.5, Lon: 107.4},
		"no position":  {ID: "g", Name: "G"},
		"bad latitude": {ID: "g", Name: "G", Lat: -96, Lon: 107.4},
		"bad weekday":  {ID: "g", Name: "G", Lat: -6.5, Lon: 107.4, Hours: map[string]string{"monday": "08.00-16.00"}},
		"bad hours":    {ID: "g", Name: "G", Lat: -6.5, Lon: 107.4, Hours: map[string]string{"senin": "pagi"}},
		"backwards":    {ID: "g", Name: "G", Lat: -6.5, Lon: 107.4, Hours: map[string]string{"senin": "16.00-08.00"}},
		"bad minutes":  {ID: "g", Name: "G", Lat: -6.5, Lon: 107.4, Hours: map[string]string{"senin": "08.75-16.00"}},
	} {
		if err := ValidateOutlet(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCheckTransition(t *testing.T) {
	allowed := map[[2]ApplicationStatus]bool{
		{StatusSubmitted, StatusReviewing}: true, {StatusSubmitted, StatusAccepted}: true, {StatusSubmitted, StatusRejected}: true,
		{StatusReviewing, StatusAccepted}: true, {StatusReviewing, StatusRejected}: true,
	}
	all := []ApplicationStatus{StatusSubmitted, StatusReviewing, StatusAccepted, StatusRejected}
	for _, from := range all {
		for _, to := range all {
			err := CheckTransition(from, to)
			if (err == nil) != allowed[[2]ApplicationStatus{from, to}] {
				t.Errorf("%s → %s: err = %v", from, to, err)
			}
		}
	}
}
