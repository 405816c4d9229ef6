package umkm

import (
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

func TestParseAttendanceCode(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"K7M3QX", "K7M3QX", true},
		{"k7m3qx", "K7M3QX", true},
		{" k7m 3qx ", "K7M3QX", true},
		{"K7M-3QX", "K7M3QX", true},
		{"kode: K7M3QX", "K7M3QX", true},
		{"#K7M3QX", "K7M3QX", true},
		{"K7M3Q", "", false},   // too short
		{"K7M3QXA", "", false}, // too long
		{"K0M3QX", "", false},  // 0 is not in the alphabet
		{"KIM3QX", "", false},  // I neither
		{"K7M3Q😀", "", false},  // not a letter
		{"", "", false},
		{"12", "", false},
		{"hadir K7M3QX", "", false}, // the flow gets the argument only
	} {
		got, ok := ParseAttendanceCode(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseAttendanceCode(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzParseAttendanceCode: whatever is typed, an accepted code is six
// characters of the alphabet and reads back as itself.
func FuzzParseAttendanceCode(f *testing.F) {
	for _, s := range []string{"K7M3QX", "k7m 3qx", "kode: K7M-3QX", "", "0000000", "hadir"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, ok := ParseAttendanceCode(s)
		if !ok {
			if code != "" {
				t.Fatalf("rejected %q but returned %q", s, code)
			}
			return
		}
		if len(code) != AttendanceCodeLen {
			t.Fatalf("%q → %q: wrong length", s, code)
		}
		for _, r := range code {
			if !strings.ContainsRune(AttendanceAlphabet, r) {
				t.Fatalf("%q → %q: %q not in the alphabet", s, code, r)
			}
		}
		if again, ok := ParseAttendanceCode(code); !ok || again != code {
			t.Fatalf("%q does not read back as itself: %q, %v", code, again, ok)
		}
	})
}

func TestTrainingClosed(t *testing.T) {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, bot.Jakarta)
	tr := Training{Status: TrainingOpen, Start: start, Deadline: start.Add(-48 * time.Hour)}
	for _, tc := range []struct {
		name   string
		status TrainingStatus
		now    time.Time
		want   string
	}{
		{"open", TrainingOpen, start.Add(-72 * time.Hour), ClosedNotClosed},
		{"at the deadline", TrainingOpen, start.Add(-48 * time.Hour), ClosedDeadline},
		{"after the deadline", TrainingOpen, start.Add(-time.Hour), ClosedDeadline},
		{"started", TrainingOpen, start, ClosedStarted},
		{"closed by the Dinas", TrainingClosed, start.Add(-72 * time.Hour), ClosedByDinas},
	} {
		tr.Status = tc.status
		if got := tr.Closed(tc.now); got != tc.want {
			t.Errorf("%s: Closed = %q, want %q", tc.name, got, tc.want)
		}
	}
	noDeadline := Training{Status: TrainingOpen, Start: start}
	if got := noDeadline.Closed(start.Add(-time.Minute)); got != ClosedNotClosed {
		t.Errorf("no deadline, a minute before the start: %q", got)
	}
}

func TestTrainingIneligible(t *testing.T) {
	r := &Registration{Kecamatan: "Babakancikao", Sector: "kuliner", SizeClass: "mikro"}
	for _, tc := range []struct {
		name string
		tr   Training
		want string
	}{
		{"open to all", Training{}, ""},
		{"kecamatan, spelled with a space", Training{Kecamatan: []string{"Babakan Cikao"}}, ""},
		{"other kecamatan", Training{Kecamatan: []string{"Campaka", "Plered"}}, IneligibleKecamatan},
		{"sector", Training{Sectors: []string{"fesyen"}}, IneligibleSector},
		{"sector ok", Training{Sectors: []string{"fesyen", "kuliner"}}, ""},
		{"size", Training{SizeClasses: []string{"kecil", "menengah"}}, IneligibleSize},
		{"kecamatan first", Training{Kecamatan: []string{"Campaka"}, SizeClasses: []string{"kecil"}}, IneligibleKecamatan},
	} {
		if got := tc.tr.Ineligible(r); got != tc.want {
			t.Errorf("%s: Ineligible = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestTrainingValidate(t *testing.T) {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, bot.Jakarta)
	good := Training{Title: "Kemasan", Topic: "kemasan", Start: start, End: start.Add(3 * time.Hour), Capacity: 75, Place: "Aula"}
	if err := good.Validate(); err != nil {
		t.Fatalf("good training: %v", err)
	}
	for name, edit := range map[string]func(*Training){
		"no title":          func(t *Training) { t.Title = " " },
		"unknown topic":     func(t *Training) { t.Topic = "memasak" },
		"end before start":  func(t *Training) { t.End = t.Start.Add(-time.Hour) },
		"no seats":          func(t *Training) { t.Capacity = 0 },
		"online no link":    func(t *Training) { t.Online, t.Place = true, "" },
		"no place":          func(t *Training) { t.Place = "" },
		"deadline too late": func(t *Training) { t.Deadline = t.Start.Add(time.Hour) },
		"unknown size":      func(t *Training) { t.SizeClasses = []string{"besar"} },
	} {
		tr := good
		edit(&tr)
		if err := tr.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestIneligibleAndMatchByKabKota(t *testing.T) {
	serang := &Registration{Region: "36.73", Kecamatan: "Taktakan", Sector: "kuliner", SizeClass: "mikro"}
	tr := &Training{KabKota: []string{"36.04"}, Kecamatan: []string{"Taktakan"}}
	if got := tr.Ineligible(serang); got != IneligibleKabKota {
		t.Errorf("training for 36.04, owner in 36.73: %q, want %q", got, IneligibleKabKota)
	}
	tr.KabKota = []string{"36.04", "36.73"}
	if got := tr.Ineligible(serang); got != "" {
		t.Errorf("training for 36.04 and 36.73, owner in 36.73: %q, want eligible", got)
	}
	if (Audience{KabKota: []string{"36.04"}}).Match(serang) || !(Audience{KabKota: []string{"36.73"}}).Match(serang) {
		t.Error("Audience.Match ignores the kabupaten/kota")
	}
	if (Audience{KabKota: []string{"36.73"}}).IsZero() {
		t.Error("an audience of one kabupaten/kota is not everyone")
	}
}
