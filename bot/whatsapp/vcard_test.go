package whatsapp

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestParseVCard(t *testing.T) {
	tests := []struct {
		name, in string
		want     VCard
	}{
		{"whatsapp card with waid", "BEGIN:VCARD\nVERSION:3.0\nN:;Asep;;;\nFN:Asep Sunandar\nitem1.TEL;waid=6285712345678:+62 857-1234-5678\nitem1.X-ABLabel:Ponsel\nEND:VCARD",
			VCard{Name: "Asep Sunandar", Phones: []string{"+6285712345678"}}},
		{"crlf, no waid, two numbers", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Toko Siti\r\nTEL;TYPE=CELL:0812-3456-7890\r\nTEL;TYPE=WORK:(0264) 200 100\r\nEND:VCARD",
			VCard{Name: "Toko Siti", Phones: []string{"0812-3456-7890", "(0264) 200 100"}}},
		{"vcard 4 tel uri", "BEGIN:VCARD\nVERSION:4.0\nFN:Budi\nTEL;VALUE=uri;TYPE=cell:tel:+62-812-1111-2222\nEND:VCARD",
			VCard{Name: "Budi", Phones: []string{"+62-812-1111-2222"}}},
		{"folded line and escapes", "BEGIN:VCARD\nFN:Ibu Sri\\, pemilik\n TOKO\nTEL;waid=\"6281311112222\":0813 1111 2222\nEND:VCARD",
			VCard{Name: "Ibu Sri, pemilikTOKO", Phones: []string{"+6281311112222"}}},
		{"bad waid falls back to the value", "FN:X\ntel;WAID=abc:0812 9999 8888",
			VCard{Name: "X", Phones: []string{"0812 9999 8888"}}},
		{"empty", "", VCard{}},
		{"garbage", "halo apa kabar\n:::\n;;;", VCard{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ParseVCard(tt.in)); diff != "" {
				t.Errorf("ParseVCard (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseVCard: any input parses without panicking; every number is
// non-empty, on one line, valid UTF-8 when the input was, and either a
// waid ("+" and digits) or text taken from a TEL line.
func FuzzParseVCard(f *testing.F) {
	f.Add("BEGIN:VCARD\nFN:Asep\nitem1.TEL;waid=6285712345678:+62 857-1234-5678\nEND:VCARD")
	f.Add("TEL;TYPE=CELL:0812-3456-7890\r\n FN:x")
	f.Add("TEL;waid=:\nTEL;waid==1:")
	f.Fuzz(func(t *testing.T, s string) {
		v := ParseVCard(s)
		joined := strings.Join(unfold(s), "\n")
		for _, p := range v.Phones {
			switch {
			case p == "", strings.ContainsAny(p, "\r\n"):
				t.Fatalf("phone %q from %q", p, s)
			case utf8.ValidString(s) && !utf8.ValidString(p):
				t.Fatalf("invalid UTF-8 phone %q from %q", p, s)
			case strings.HasPrefix(p, "+") && isDigits(p[1:]):
			case !strings.Contains(joined, p):
				t.Fatalf("phone %q is neither a waid nor in the card %q", p, s)
			}
		}
	})
}
