package bot

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

		{"empty", "", "", PhoneEmpty},
		{"spaces", "   ", "", PhoneEmpty},
		{"separators only", "- ( ) .", "", PhoneEmpty},
		{"plus only", "+", "", PhoneEmpty},

		{"letters", "0812abc", "", PhoneNotDigits},
		{"word", "belum punya", "", PhoneNotDigits},
		{"inner plus", "0812+3456789", "", PhoneNotDigits},
		{"two plus", "++628123456789", "", PhoneNotDigits},
		{"slash", "0812/3456/789", "", PhoneNotDigits},
		{"trailing word", "08123456789 wa", "", PhoneNotDigits},

		{"Jakarta landline", "021-5551234", "", PhoneLandline},
		{"Purwakarta landline", "(0264) 200123", "", PhoneLandline},
		{"landline +62", "+62 21 5551234", "", PhoneLandline},
		{"two with slash", "08123456789 / 08134567890", "", PhoneTwo},
		{"two with atau", "0812 3456 789 atau 0813 4567 890", "", PhoneTwo},
		{"two with comma", "08123456789,08134567890", "", PhoneTwo},
		{"US", "+1 415 555 2671", "", PhoneNotMobile},
		{"Malaysia 00", "0060123456789", "", PhoneNotMobile},
		{"Malaysia +60", "+60123456789", "", PhoneNotMobile},
		{"80 prefix", "0801234567", "", PhoneNotMobile},
		{"84 prefix", "08412345678", "", PhoneNotMobile},
		{"starts with 1", "12345", "", PhoneNotMobile},
		{"single 6", "6", "", PhoneNotMobile},

		{"too short", "081234567", "", PhoneLength},
		{"too long", "08123456789012", "", PhoneLength},
		{"far too long", strings.Repeat("8", 40), "", PhoneLength},
		{"just 62", "62", "", PhoneLength},
		{"just +62", "+62", "", PhoneLength},
		{"just 0", "0", "", PhoneLength},
		{"just 8", "8", "", PhoneLength},
		{"08", "08", "", PhoneLength},
		{"two numbers", "08123456789 08123456780", "", PhoneTwo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePhone(tt.in)
			if tt.reason == "" {
				if err != nil || got != tt.want {
					t.Fatalf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			var pe *PhoneError
			if !errors.As(err, &pe) {
				t.Fatalf("NormalizePhone(%q) = %q, %v; want PhoneError %q", tt.in, got, err, tt.reason)
			}
			if pe.Reason != tt.reason {
				t.Fatalf("NormalizePhone(%q) reason %q, want %q", tt.in, pe.Reason, tt.reason)
			}
		})
	}
}

func TestPhoneErrorMessage(t *testing.T) {
	if got, want := (&PhoneError{Reason: PhoneNotMobile}).Error(), "invalid phone number: not_mobile"; got != want {
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
		if got := MaskPhone(tt.in); got != tt.want {
			t.Fatalf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPhoneDigits(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+628123456789", "628123456789"},
		{"0812-3456-789", "628123456789"},
		{"021 5551234", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := PhoneDigits(tt.in); got != tt.want {
			t.Fatalf("PhoneDigits(%q) = %q, want %q", tt.in, got, tt.want)
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
		{"", "", PhoneEmpty},
		{"62812a456789", "", PhoneNotDigits},
		{"+628123456789", "", PhoneNotDigits},
		{"123456789012345@lid", "", PhoneNotMobile},
		{"120363025246125486@g.us", "", PhoneNotMobile},
		{"14155552671", "", PhoneNotMobile},
		{"819012345678", "", PhoneNotMobile}, // Japan, not a bare Indonesian 8…
		{"6221555123", "", PhoneLandline},
		{"62812", "", PhoneLength},
	}
	for _, tt := range tests {
		got, err := PhoneFromDigits(tt.in)
		if tt.reason == "" {
			if err != nil || got != tt.want {
				t.Fatalf("PhoneFromDigits(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		var pe *PhoneError
		if !errors.As(err, &pe) || pe.Reason != tt.reason {
			t.Fatalf("PhoneFromDigits(%q) = %q, %v; want reason %q", tt.in, got, err, tt.reason)
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
		m := MaskPhone(s)
		p, err := NormalizePhone(s)
		if err != nil {
			var pe *PhoneError
			if !errors.As(err, &pe) {
				t.Fatalf("NormalizePhone(%q) error %v is no *PhoneError", s, err)
			}
			switch pe.Reason {
			case PhoneEmpty, PhoneNotDigits, PhoneNotMobile, PhoneLength, PhoneLandline, PhoneTwo:
			default:
				t.Fatalf("NormalizePhone(%q) unknown reason %q", s, pe.Reason)
			}
			if countDigits(m) > 2 {
				t.Fatalf("MaskPhone(%q) = %q leaks", s, m)
			}
			if PhoneDigits(s) != "" {
				t.Fatalf("PhoneDigits(%q) = %q for an invalid number", s, PhoneDigits(s))
			}
			return
		}
		if !e164Mobile.MatchString(p) {
			t.Fatalf("NormalizePhone(%q) = %q, not an Indonesian mobile E.164", s, p)
		}
		if again, err := NormalizePhone(p); err != nil || again != p {
			t.Fatalf("NormalizePhone(%q) = %q, %v; not idempotent", p, again, err)
		}
		if back, err := PhoneFromDigits(PhoneDigits(p)); err != nil || back != p {
			t.Fatalf("PhoneFromDigits(PhoneDigits(%q)) = %q, %v", p, back, err)
		}
		// The country code is shown; of the national number at most 7 digits.
		if !strings.HasPrefix(m, "+62") || countDigits(m[3:]) > 7 || m != MaskPhone(p) {
			t.Fatalf("MaskPhone(%q) = %q", s, m)
		}
	})
}
