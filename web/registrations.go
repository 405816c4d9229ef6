package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// RegistrationIndex answers the registrations pages from an index kept
// by the registration writes (*store.Store), so they stay fast with a
// province's 800,000 registrations: nothing reads them all.
type RegistrationIndex interface {
	FindRegistrations(ctx context.Context, q umkm.RegistrationQuery) (umkm.RegistrationPage, error)
	RegistrationStats(ctx context.Context, region string, kecamatan, sectors, sizes, statuses []string, weeks []time.Time) (umkm.RegistrationStats, error)
	// RegistrationsByNIK finds a NIK through its blind index.
	RegistrationsByNIK(ctx context.Context, region, nik string) ([]string, error)
}

// index returns the registrations' index; false (and a 503 sent) when
// the store has none.
func (s *Server) index(w http.ResponseWriter, r *http.Request) (RegistrationIndex, bool) {
	ix, ok := s.deps.Registrations.(RegistrationIndex)
	if !ok {
		s.unavailable(w, r, "registrations", errors.New("the registrations store has no index"))
	}
	return ix, ok
}

// filter is the registrations search, from the query string.
type filter struct {
	Q         string // name, business, desa, kecamatan, registration number, last digits of the phone, NIK
	KabKota   string // code of a served kabupaten/kota (deployments of several)
	Kecamatan string
	Sector    string
	Size      string
	Status    string // umkm.RegStatus…
	Page      int    // the page's number, as shown
	After     string // cursor: the page after this place
	Before    string // cursor: the page before this place
}

func readFilter(r *http.Request) filter {
	q := r.URL.Query()
	f := filter{
		Q:         strings.TrimSpace(q.Get("q")),
		KabKota:   q.Get("kabkota"),
		Kecamatan: q.Get("kecamatan"),
		Sector:    q.Get("sector"),
		Size:      q.Get("size"),
		Status:    q.Get("status"),
		After:     q.Get("after"),
		Before:    q.Get("before"),
	}
	if r := []rune(f.Q); len(r) > 100 {
		f.Q = strings.TrimSpace(string(r[:100]))
	}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	if f.Page < 1 {
		f.Page = 1
	}
	return f
}

// Query writes f's conditions as a query string, on page n (0: no page)
// reached through cursor after or before. Links take it as a
// template.URL: url.Values.Encode has already escaped it.
func (f filter) Query(n int) string { return f.at(n, "", "") }

func (f filter) at(n int, after, before string) string {
	v := url.Values{}
	for k, s := range map[string]string{"q": f.Q, "kabkota": f.KabKota, "kecamatan": f.Kecamatan, "sector": f.Sector,
		"size": f.Size, "status": f.Status, "after": after, "before": before} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	return v.Encode()
}

// digitsOnly returns s without spaces, dots and dashes if what is left
// is all digits, else "".
func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '+':
		default:
			return ""
		}
	}
	return b.String()
}

// match reports whether r passes the filter's conditions (not its
// search), for registrations found by number, NIK or phone.
func (f filter) match(r *umkm.Registration) bool {
	return (f.KabKota == "" || r.Region == f.KabKota) &&
		(f.Kecamatan == "" || strings.EqualFold(r.Kecamatan, f.Kecamatan)) &&
		(f.Sector == "" || r.Sector == f.Sector) &&
		(f.Size == "" || r.SizeClass == f.Size) &&
		(f.Status == "" || slices.Contains(r.Statuses(), f.Status))
}

// units returns the kabupaten/kota codes the filter searches.
func (s *Server) units(f filter) []string {
	var out []string
	for _, u := range s.cfg.Region.Served() {
		if f.KabKota == "" || f.KabKota == u.Code {
			out = append(out, u.Code)
		}
	}
	return out
}

// idPattern is a registration number as typed: "UMKM-3673-000123",
// "umkm 3673 123".
var idPattern = regexp.MustCompile(`(?i)^umkm[\s-]*(\d{4})[\s-]*(\d{1,6})$`)

// directMax bounds the registrations a search by number, NIK or phone
// lists (one page; they are few).
const directMax = 200

// direct answers a search that names registrations rather than words:
// a registration number (whole, or its sequence in each kabupaten/kota
// served), a NIK (16 digits, through the blind index only; not for
// pengamat, who see NIKs masked) or the phone's last digits (4 or more,
// through the index of the last 4). ok is false for a search by words.
func (s *Server) direct(r *http.Request, ix RegistrationIndex, f filter) (regs []*umkm.Registration, ok bool, err error) {
	ctx := r.Context()
	var ids []string
	digits := digitsOnly(f.Q)
	if m := idPattern.FindStringSubmatch(strings.TrimSpace(f.Q)); m != nil {
		digits = ""
		ids = append(ids, fmt.Sprintf("UMKM-%s-%06s", m[1], m[2]))
	}
	switch {
	case ids != nil:
	case digits == "":
		return nil, false, nil
	case len(digits) == 16:
		if !officerOf(r).officer.Role.CanChange() {
			return nil, true, nil
		}
		for _, u := range s.units(f) {
			found, err := ix.RegistrationsByNIK(ctx, u, digits)
			if err != nil {
				return nil, true, err
			}
			ids = append(ids, found...)
		}
	default:
		if n, err := strconv.Atoi(digits); err == nil && len(digits) <= 6 && n > 0 {
			for _, u := range s.cfg.Region.Served() {
				ids = append(ids, fmt.Sprintf("UMKM-%s-%06d", u.CodeDigits(), n))
			}
		}
		if len(digits) >= 4 {
			p, err := ix.FindRegistrations(ctx, umkm.RegistrationQuery{Regions: s.units(f), Kecamatan: f.Kecamatan, Sector: f.Sector,
				Size: f.Size, Status: f.Status, PhoneTail: digits[len(digits)-4:], Limit: directMax})
			if err != nil {
				return nil, true, err
			}
			for _, reg := range p.Registrations {
				if strings.HasSuffix(reg.Phone, digits) {
					regs = append(regs, reg)
				}
			}
		}
	}
	served := s.units(f)
	for _, id := range ids {
		if slices.ContainsFunc(regs, func(x *umkm.Registration) bool { return x.ID == id }) {
			continue
		}
		reg, err := s.deps.Registrations.Registration(ctx, id)
		if errors.Is(err, bot.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, true, err
		}
		if slices.Contains(served, reg.Region) {
			regs = append(regs, reg)
		}
	}
	regs = slices.DeleteFunc(regs, func(x *umkm.Registration) bool { return !f.match(x) })
	slices.SortFunc(regs, func(a, b *umkm.Registration) int {
		return cmp.Or(b.RegisteredAt.Compare(a.RegisteredAt), strings.Compare(b.ID, a.ID))
	})
	return regs[:min(len(regs), directMax)], true, nil
}

// query is the index query of f's conditions and words.
func (s *Server) query(f filter) umkm.RegistrationQuery {
	return umkm.RegistrationQuery{Regions: s.units(f), Kecamatan: f.Kecamatan, Sector: f.Sector, Size: f.Size, Status: f.Status,
		Words: umkm.SearchWords(f.Q, 8)}
}

// row is one registration as a list shows it.
type row struct {
	ID, Owner, Business, KabKota, Kecamatan, Sector, Size, Phone string
	At                                                           time.Time
}

type listView struct {
	Filter     filter
	Rows       []row
	Total      int
	Page       int
	Pages      int
	Prev, Next template.URL // query strings, "" when there is none
	Export     template.URL // query string of the export link
	KabKota    []umkm.Region
	Kecamatan  []string
	Sectors    []string
	Sizes      []string
	Statuses   []string
	CanExport  bool
}

// maskName keeps each word's first letter: "Siti Aminah" → "S*** A***".
func maskName(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		r := []rune(w)
		words[i] = string(r[0]) + "***"
	}
	return strings.Join(words, " ")
}

// kecamatanOf lists the kecamatan a filter offers: those of the chosen
// kabupaten/kota, or of every one served (each name once).
func (s *Server) kecamatanOf(f filter) []string {
	var out []string
	for _, u := range s.cfg.Region.Served() {
		if f.KabKota != "" && u.Code != f.KabKota {
			continue
		}
		for _, k := range u.Kecamatan {
			if !slices.Contains(out, k.Name) {
				out = append(out, k.Name)
			}
		}
	}
	return out
}

// kabKotaName returns the name of served kabupaten/kota code.
func (s *Server) kabKotaName(code string) string {
	if u, ok := s.cfg.Region.Unit(code); ok {
		return u.Name
	}
	return code
}

func (s *Server) registrationList(w http.ResponseWriter, r *http.Request) {
	ix, ok := s.index(w, r)
	if !ok {
		return
	}
	f := readFilter(r)
	full := officerOf(r).officer.Role.CanChange()
	v := listView{Filter: f, Sectors: s.sectors, Sizes: umkm.SizeClasses, Statuses: umkm.RegStatuses, CanExport: full,
		Export: template.URL(f.Query(0)), Kecamatan: s.kecamatanOf(f)}
	if s.cfg.Region.Multi() {
		v.KabKota = s.cfg.Region.Units
	}
	size := s.cfg.PageSize
	regs, isDirect, err := s.direct(r, ix, f)
	if err != nil {
		s.unavailable(w, r, "list registrations", err)
		return
	}
	if isDirect {
		v.Total, v.Page, v.Pages = len(regs), 1, 1
	} else {
		var p umkm.RegistrationPage
		if p, v.Page, err = s.pageOf(r, ix, f, size); err != nil {
			s.unavailable(w, r, "list registrations", err)
			return
		}
		regs, v.Total = p.Registrations, p.Total
		v.Pages = max(1, (p.Total+size-1)/size)
		v.Page = min(v.Page, v.Pages)
		if p.Prev != "" && v.Page > 1 {
			v.Prev = template.URL(f.at(v.Page-1, "", p.Prev))
			if v.Page == 2 {
				v.Prev = template.URL(f.Query(0)) // the first page has its plain address
				if v.Prev == "" {
					v.Prev = "page=1"
				}
			}
		}
		if p.Next != "" {
			v.Next = template.URL(f.at(v.Page+1, p.Next, ""))
		}
	}
	for _, reg := range regs {
		owner := reg.OwnerName
		if !full {
			owner = maskName(owner)
		}
		v.Rows = append(v.Rows, row{ID: reg.ID, Owner: owner, Business: reg.BusinessName, KabKota: s.kabKotaName(reg.Region),
			Kecamatan: reg.Kecamatan, Sector: reg.Sector, Size: reg.SizeClass, Phone: phone.Mask(reg.Phone), At: reg.RegisteredAt})
	}
	s.render(w, r, http.StatusOK, "registrations", "web.registrations.title", v)
}

// pageOf returns the page f asks for and its number: through its cursor,
// or, for an address with a page number only (a bookmark), by paging
// from the first (a page past the end shows the last).
func (s *Server) pageOf(r *http.Request, ix RegistrationIndex, f filter, size int) (umkm.RegistrationPage, int, error) {
	q := s.query(f)
	q.Limit = size
	if f.After != "" || f.Before != "" {
		q.After, q.Before = f.After, f.Before
		p, err := ix.FindRegistrations(r.Context(), q)
		return p, f.Page, err
	}
	p, err := ix.FindRegistrations(r.Context(), q)
	page := min(f.Page, max(1, (p.Total+size-1)/size))
	if err != nil || page == 1 {
		return p, 1, err
	}
	q.After = ""
	for skip := (page - 1) * size; skip > 0; { // the pages before, up to 1,000 registrations at a time
		q.Limit, q.NoRecords = min(skip, 1000), true
		p, err := ix.FindRegistrations(r.Context(), q)
		if err != nil {
			return p, page, err
		}
		skip -= q.Limit
		if q.After = p.Next; q.After == "" {
			break
		}
	}
	q.Limit, q.NoRecords = size, false
	p, err = ix.FindRegistrations(r.Context(), q)
	return p, page, err
}

type detailView struct {
	Reg       *umkm.Registration
	Owner     string
	NIK       string
	Phone     string
	Address   string
	Masked    bool
	Channel   string
	Capital   string
	Sales     string
	Markets   []string
	CanReveal bool   // the officer may reveal the full NIK
	Revealed  bool   // the NIK shown is the full one
	Corrected string // fields just corrected, for the notice
}

func (s *Server) registrationDetail(w http.ResponseWriter, r *http.Request) {
	s.showRegistration(w, r, false)
}

// registrationRevealNIK shows the detail with the full NIK: a deliberate
// click (a POST, so it is never a link, a bookmark or a cached page),
// written to the audit log before the NIK is shown.
func (s *Server) registrationRevealNIK(w http.ResponseWriter, r *http.Request) {
	s.showRegistration(w, r, true)
}

func (s *Server) showRegistration(w http.ResponseWriter, r *http.Request, reveal bool) {
	reg, ok := s.loadRegistration(w, r)
	if !ok {
		return
	}
	full := officerOf(r).officer.Role.CanChange()
	v := detailView{Corrected: r.URL.Query().Get("corrected"), Reg: reg, Owner: reg.OwnerName, NIK: umkm.MaskNIK(reg.NIK), Phone: reg.Phone, Address: reg.Address,
		Channel: string(reg.Conv.Channel), Markets: reg.Marketplaces, CanReveal: full}
	if !full {
		v.Masked = true
		v.Owner = maskName(reg.OwnerName)
		v.Phone = phone.Mask(reg.Phone)
		v.Address = ""
	}
	if reveal {
		// No audit entry, no NIK.
		if err := s.audit(r, umkm.AuditRevealNIK, reg.ID, ""); err != nil {
			s.fail(w, r, http.StatusServiceUnavailable, "web.error.unavailable")
			return
		}
		v.NIK, v.Revealed, v.CanReveal = reg.NIK, true, false
	}
	s.render(w, r, http.StatusOK, "registration", "web.registration.title", v)
}

// registrationExport writes the filtered registrations as CSV or XLSX,
// in the columns of `umkmbot export registrations` (phone masked, no full
// NIK), oldest first like the CLI, page by page from the index (it
// streams: a province's export does not sit in memory).
func (s *Server) registrationExport(w http.ResponseWriter, r *http.Request) {
	format := exportFormat(r, "registrations")
	if format == "" {
		s.fail(w, r, http.StatusNotFound, "web.error.not_found")
		return
	}
	ix, ok := s.index(w, r)
	if !ok {
		return
	}
	f := readFilter(r)
	regs, isDirect, err := s.direct(r, ix, f)
	if err != nil {
		s.unavailable(w, r, "export registrations", err)
		return
	}
	q := s.query(f)
	q.Oldest, q.Limit = true, 500
	var first umkm.RegistrationPage
	if !isDirect { // the first page before the headers, so a Redis error is still a 503
		if first, err = ix.FindRegistrations(r.Context(), q); err != nil {
			s.unavailable(w, r, "export registrations", err)
			return
		}
	}
	slices.Reverse(regs)
	n := 0
	name := "registrasi-umkm-" + s.cfg.Now().In(bot.Jakarta).Format("2006-01-02")
	writeTable(w, format, name, s.deps.Rows.Header(), func(row func([]string)) {
		for _, reg := range regs {
			row(s.deps.Rows.Row(reg))
			n++
		}
		for p := first; !isDirect; {
			for _, reg := range p.Registrations {
				row(s.deps.Rows.Row(reg))
				n++
			}
			if p.Next == "" {
				return
			}
			q.After = p.Next
			if p, err = ix.FindRegistrations(r.Context(), q); err != nil {
				// The file is half sent: break the connection so the
				// browser shows a failed download, not a short file.
				s.cfg.Log.Warn("web: registrations export cut off", "rows", n, "err", err)
				panic(http.ErrAbortHandler)
			}
		}
	}, s.cfg.Log)
	s.audit(r, umkm.AuditExport, "registrations", fmt.Sprintf("%s, %d rows; kabkota=%q kecamatan=%q sector=%q size=%q status=%q search=%v",
		format, n, f.KabKota, f.Kecamatan, f.Sector, f.Size, f.Status, f.Q != ""))
}
