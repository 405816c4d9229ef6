package bot

import (
	"strings"
	"testing"
	"time"
	"unicode"
)

func TestMaskNumbers(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"NIK saya 3214015503900001", "NIK saya **************01"},
		{"hp 0812-3456-7890 ya", "hp ****-****-**90 ya"},
		{"+62 812 3456 7890", "+** *** **** **90"},
		{"harga 15000, Jl. Bantu No. 5, 12-12-2026", "harga 15000, Jl. Bantu No. 5, 12-12-2026"},
		{"1234567", "1234567"},
		{"12345678", "12345678"},
		{"123456789", "*******89"},
		{"", ""},
	} {
		if got := MaskNumbers(c.in); got != c.want {
			t.Errorf("MaskNumbers(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzMaskNumbers: no run of 8 digits survives, and only digits change.
func FuzzMaskNumbers(f *testing.F) {
	for _, s := range []string{"3214015503900001", "0812 3456 7890", "Rp 1.500.000", "a1b2c3d4e5f6g7h8", "٣٢١٤٠١٥٥٠٣٩٠٠٠٠١"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := MaskNumbers(s)
		run := 0
		for _, r := range got {
			if unicode.IsDigit(r) {
				if run++; run >= maskRun {
					t.Fatalf("MaskNumbers(%q) = %q keeps a long number", s, got)
				}
			} else {
				run = 0
			}
		}
		in, out := []rune(s), []rune(got)
		if len(in) != len(out) {
			t.Fatalf("length changed: %q → %q", s, got)
		}
		for i := range in {
			if in[i] != out[i] && (!unicode.IsDigit(in[i]) || out[i] != '*') {
				t.Fatalf("MaskNumbers(%q) changed %q at %d", s, in[i], i)
			}
		}
	})
}

func TestOfficeHours(t *testing.T) {
	h := OfficeHours{Days: []int{1, 2, 3, 4, 5}, Open: "08:00", Close: "16:00", Holidays: []string{"2026-12-25"}}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, Jakarta)
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
