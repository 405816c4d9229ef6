package umkm

import (
	"slices"
	"strings"
	"unicode"
)

// Registration statuses an officer filters by (RegistrationQuery.Status):
// whether the business has an NIB, and whether its desa was typed as a
// place the Kemendagri list lacks ("lainnya", to be checked).
const (
	RegStatusNIB          = "nib"
	RegStatusNoNIB        = "no_nib"
	RegStatusDesaUnlisted = "desa_lainnya"
)

// RegStatuses are the statuses in the order a filter offers them.
var RegStatuses = []string{RegStatusNIB, RegStatusNoNIB, RegStatusDesaUnlisted}

// Statuses returns the statuses r has.
func (r *Registration) Statuses() []string {
	st := []string{RegStatusNoNIB}
	if strings.TrimSpace(r.NIB) != "" {
		st[0] = RegStatusNIB
	}
	if r.DesaUnlisted {
		st = append(st, RegStatusDesaUnlisted)
	}
	return st
}

// RegistrationQuery is a page of a registrations search, newest first:
// every condition given must hold. An indexed store answers it without
// reading every registration (the web console at province scale).
type RegistrationQuery struct {
	Regions   []string // kabupaten/kota codes searched ("36.73")
	Kecamatan string   // name, as in registrations
	Sector    string
	Size      string
	Status    string // RegStatus…
	// Words must each begin a word of the owner's name, the business
	// name, the desa or the kecamatan (SearchWords of what was typed).
	Words []string
	// PhoneTail is the last 4 digits of the phone.
	PhoneTail string
	// After continues past a page (its Next), Before goes back (its Prev);
	// both empty: the first page. Oldest starts from the oldest instead.
	After, Before string
	Oldest        bool
	Limit         int
	// NoRecords leaves the page's registrations out (its count and
	// cursors only: paging to a page by its number).
	NoRecords bool
}

// RegistrationPage is one page of a RegistrationQuery.
type RegistrationPage struct {
	Registrations []*Registration
	Total         int    // registrations matching the query, all pages
	Next, Prev    string // cursors of the neighbouring pages; "" when there is none
}

// RegistrationStats are the counts of one kabupaten/kota's registrations
// a dashboard shows, read from an index.
type RegistrationStats struct {
	Total     int
	Kecamatan []int // per name asked, in that order
	Sectors   []int
	Sizes     []int
	Statuses  []int
	// Weeks[i] counts the registrations from the i-th start asked to the
	// next (the last to now).
	Weeks []int
}

// SearchWords splits text into the lower-case words a search matches:
// letters and digits, an apostrophe dropped (Ma'ruf → maruf), at least 2
// characters, each once, at most max of them (0: no limit).
func SearchWords(text string, max int) []string {
	text = strings.Map(func(r rune) rune {
		if r == '\'' || r == '’' || r == '`' {
			return -1
		}
		return unicode.ToLower(r)
	}, text)
	var out []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if r := []rune(w); len(r) > 30 {
			w = string(r[:30])
		}
		if len([]rune(w)) < 2 || slices.Contains(out, w) {
			continue
		}
		out = append(out, w)
		if max > 0 && len(out) == max {
			break
		}
	}
	return out
}
