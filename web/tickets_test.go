package web

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzAttachmentName: whatever name a browser sends with an uploaded PDF,
// the owner's document gets a short, one-element, printable name ending in
// .pdf.
func FuzzAttachmentName(f *testing.F) {
	for _, s := range []string{"formulir.pdf", `C:\Users\rina\Dokumen\surat izin.PDF`, "../../etc/passwd", "", ".", "a\u202egpj.pdf",
		"\x00\x01.pdf", strings.Repeat("nama panjang ", 20), "laporan\"2026\".pdf", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := attachmentName(in)
		if !utf8.ValidString(got) && utf8.ValidString(in) {
			t.Fatalf("%q → invalid UTF-8 %q", in, got)
		}
		if !strings.HasSuffix(strings.ToLower(got), ".pdf") || strings.ContainsAny(got, `/\"`) || utf8.RuneCountInString(got) > 84 {
			t.Fatalf("%q → %q", in, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) {
				t.Fatalf("%q → %q has control or bidi character %U", in, got, r)
			}
		}
	})
}

func TestAttachmentName(t *testing.T) {
	for in, want := range map[string]string{
		"formulir.pdf":                         "formulir.pdf",
		`C:\Users\rina\Dokumen\surat izin.PDF`: "surat izin.PDF",
		"../../etc/passwd":                     "passwd.pdf",
		"":                                     "dokumen.pdf",
		"laporan\"2026\".pdf":                  "laporan2026.pdf",
	} {
		if got := attachmentName(in); got != want {
			t.Errorf("attachmentName(%q) = %q, want %q", in, got, want)
		}
	}
}
