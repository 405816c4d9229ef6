package phone

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name, in, want, reason string
	}{
		{"08", "08123456789", "+628123456789", ""},
		{"+62", "+628123456789", "+628123456789", ""},
		{"62", "628123456789", "+628123456789", ""},
		{"0062", "00628123456789", "+628123456789", ""},
		{"bare 8", "8123456789", "+628123456789", ""},
		{"+62 0 mistake", "+62 0812-3456-789", "+628123456789", ""},
		{"620 mistake", "6208123456789", "+628123456789", ""},
		{"0062 0 mistake", "0062 08123456789", "+628123456789", ""},
		{"+62 (0) mistake", "+62 (0)812 3456 789", "+628123456789", ""},
		{"stray plus", "+08123456789", "+628123456789", ""},
		{"spaces", "0812 3456 7890", "+6281234567890", ""},
		{"dashes", "0812-3456-7890", "+6281234567890", ""},
		{"dots", "0812.3456.7890", "+6281234567890", ""},
		{"parentheses", "(0812) 3456-7890", "+6281234567890", ""},
		{"+62 spaced", "+62 812 3456 7890", "+6281234567890", ""},
		{"no-break spaces", "0812\u00a03456\u00a07890", "+6281234567890", ""},
		{"full-width", "０８１２３４５６７８９", "+628123456789", ""},
		{"surrounding space", "  08123456789\n", "+628123456789", ""},
		{"HP: prefix", "HP: 0812-3456-789", "+628123456789", ""},
		{"no WA prefix", "no WA 08123456789", "+628123456789", ""},
		{"Telp. prefix", "Telp. 0812 3456 789", "+628123456789", ""},
		{"shortest: 81 + 7 digits", "0812345678", "+62812345678", ""},
		{"longest: 81 + 10 digits", "081234567890", "+6281234567890", ""},
		{"longest: 12 national digits", "0812345678901", "+62812345678901", ""},
		{"prefix 85", "085712345678", "+6285712345678", ""},
		{"prefix 89", "089612345678", "+6289612345678", ""},
		{"prefix 83", "083812345678", "+6283812345678", ""},
		{"already E.164", "+6289612345678", "+6289612345678", ""},

		{"empty", "", "", Empty},
		{"spaces", "   ", "", Empty},
		{"separators only", "- ( ) .", "", Empty},
		{"plus only", "+", "", Empty},

		{"letters", "0812abc", "", NotDigits},
		{"word", "belum punya", "", NotDigits},
		{"inner plus", "0812+3456789", "", NotDigits},
		{"two plus", "++628123456789", "", NotDigits},
		{"slash", "0812/3456/789", "", NotDigits},
		{"trailing word", "08123456789 wa", "", NotDigits},

		{"Jakarta landline", "021-5551234", "", Landline},
		{"Purwakarta landline", "(0264) 200123", "", Landline},
		{"landline +62", "+62 21 5551234", "", Landline},
		{"two with slash", "08123456789 / 08134567890", "", Two},
		{"two with atau", "0812 3456 789 atau 0813 4567 890", "", Two},
		{"two with comma", "08123456789,08134567890", "", Two},
		{"US", "+1 415 555 2671", "", NotMobile},
		{"Malaysia 00", "0060123456789", "", NotMobile},
		{"Malaysia +60", "+60123456789", "", NotMobile},
		{"80 prefix", "0801234567", "", NotMobile},
		{"84 prefix", "08412345678", "", NotMobile},
		{"starts with 1", "12345", "", NotMobile},
		{"single 6", "6", "", NotMobile},

		{"too short", "081234567", "", Length},
		{"too long", "08123456789012", "", Length},
		{"far too long", strings.Repeat("8", 40), "", Length},
		{"just 62", "62", "", Length},
		{"just +62", "+62", "", Length},
		{"just 0", "0", "", Length},
		{"just 8", "8", "", Length},
		{"08", "08", "", Length},
		{"two numbers", "08123456789 08123456780", "", Two},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if tt.reason == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Normalize(%q) = %q, %v; want Error %q", tt.in, got, err, tt.reason)
			}
			if pe.Reason != tt.reason {
				t.Fatalf("Normalize(%q) reason %q, want %q", tt.in, pe.Reason, tt.reason)
			}
		})
	}
}

func TestPhoneErrorMessage(t *testing.T) {
	if got, want := (&Error{Reason: NotMobile}).Error(), "invalid phone number: not_mobile"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+628123457890", "+62812****7890"},
		{"+6281234567890", "+62812****7890"},
		{"+62812345678", "+62812****5678"},
		{"08123457890", "+62812****7890"}, // normalized first
		{"12345", "***45"},
		{"not a number", "**********er"},
		{"1234", "****"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Fatalf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPhoneFromDigits(t *testing.T) {
	tests := []struct{ in, want, reason string }{
		{"628123456789", "+628123456789", ""},
		{"628123456789@s.whatsapp.net", "+628123456789", ""},
		{"628123456789:12@s.whatsapp.net", "+628123456789", ""},
		{"628123456789@c.us", "+628123456789", ""},
		{"6281234567890", "+6281234567890", ""},
		{"", "", Empty},
		{"62812a456789", "", NotDigits},
		{"+628123456789", "", NotDigits},
		{"123456789012345@lid", "", NotMobile},
		{"120363025246125486@g.us", "", NotMobile},
		{"14155552671", "", NotMobile},
		{"819012345678", "", NotMobile}, // Japan, not a bare Indonesian 8…
		{"6221555123", "", Landline},
		{"62812", "", Length},
	}
	for _, tt := range tests {
		got, err := FromDigits(tt.in)
		if tt.reason == "" {
			if err != nil || got != tt.want {
				t.Fatalf("FromDigits(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) || pe.Reason != tt.reason {
			t.Fatalf("FromDigits(%q) = %q, %v; want reason %q", tt.in, got, err, tt.reason)
		}
	}
}

var e164Mobile = regexp.MustCompile(`^\+628[1-35-9][0-9]{7,10}$`)

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"08123456789", "+62 0812-3456-789", "0062 812 3456 789", "(0812) 3456.7890", "021-5551234",
		"+1 415 555 2671", "", "+", "0812abc", "081234567",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := Mask(s)
		p, err := Normalize(s)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Normalize(%q) error %v is no *Error", s, err)
			}
			switch pe.Reason {
			case Empty, NotDigits, NotMobile, Length, Landline, Two:
			default:
				t.Fatalf("Normalize(%q) unknown reason %q", s, pe.Reason)
			}
			if countDigits(m) > 2 {
				t.Fatalf("Mask(%q) = %q leaks", s, m)
			}
			return
		}
		if !e164Mobile.MatchString(p) {
			t.Fatalf("Normalize(%q) = %q, not an Indonesian mobile E.164", s, p)
		}
		if again, err := Normalize(p); err != nil || again != p {
			t.Fatalf("Normalize(%q) = %q, %v; not idempotent", p, again, err)
		}
		if back, err := FromDigits(p[1:]); err != nil || back != p {
			t.Fatalf("FromDigits(%q[1:]) = %q, %v", p, back, err)
		}
		// The country code is shown; of the national number at most 7 digits.
		if !strings.HasPrefix(m, "+62") || countDigits(m[3:]) > 7 || m != Mask(p) {
			t.Fatalf("Mask(%q) = %q", s, m)
		}
	})
}

// countDigits counts ASCII and full-width digits.
func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
			n++
		}
	}
	return n
}
