package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzLocalPath: whatever "next" or "back" says, the redirect stays on
// this site: a path that no browser reads as another host.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/", "/registrations?q=a", "//evil.example", "/\\evil", "https://x", "", "/a\r\nSet-Cookie: x", "/%2F%2Fevil", "\\\\evil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := localPath(next)
		if got != "/" && got != next {
			t.Fatalf("localPath(%q) = %q: neither the path nor /", next, got)
		}
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") || strings.ContainsAny(got, "\r\n") {
			t.Fatalf("localPath(%q) = %q leaves the site", next, got)
		}
	})
}

// FuzzFilter: any query string gives a filter whose own query string
// reads back to the same filter, and the search never panics.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{"q=siti&kecamatan=Plered&page=2", "q=0812+3456", "page=-1", "q=%ff%fe", "size=mikro&sector=kuliner&q=" + strings.Repeat("a", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/registrations", nil)
		r.URL.RawQuery = query
		fl := readFilter(r)
		if fl.Page < 1 || utf8.RuneCountInString(fl.Q) > 100 {
			t.Fatalf("filter %+v out of bounds", fl)
		}
		back := httptest.NewRequest("GET", "/registrations", nil)
		back.URL.RawQuery = fl.Query(fl.Page)
		if again := readFilter(back); again != fl && utf8.ValidString(fl.Q) {
			t.Fatalf("filter %+v reads back as %+v", fl, again)
		}
		_ = digitsOnly(fl.Q)
		_, _ = nibDigits(fl.Q)
	})
}
