package web

import (
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/export"
)

// filter is the registrations search, from the query string.
type filter struct {
	Q         string // name, business, registration number, kecamatan, last digits of the phone
	Kecamatan string
	Sector    string
	Size      string
	Page      int
}

func readFilter(r *http.Request) filter {
	q := r.URL.Query()
	f := filter{
		Q:         strings.TrimSpace(q.Get("q")),
		Kecamatan: q.Get("kecamatan"),
		Sector:    q.Get("sector"),
		Size:      q.Get("size"),
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

// Query writes f as a query string, on page n (0: no page). Links take it
// as a template.URL: url.Values.Encode has already escaped it.
func (f filter) Query(n int) string {
	v := url.Values{}
	for k, s := range map[string]string{"q": f.Q, "kecamatan": f.Kecamatan, "sector": f.Sector, "size": f.Size} {
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

// match reports whether r passes the filter.
func (f filter) match(r *umkm.Registration) bool {
	if f.Kecamatan != "" && !strings.EqualFold(r.Kecamatan, f.Kecamatan) {
		return false
	}
	if f.Sector != "" && r.Sector != f.Sector {
		return false
	}
	if f.Size != "" && r.SizeClass != f.Size {
		return false
	}
	if f.Q == "" {
		return true
	}
	if d := digitsOnly(f.Q); len(d) >= 3 && strings.HasSuffix(r.Phone, d) {
		return true
	}
	q := strings.ToLower(f.Q)
	for _, field := range []string{r.OwnerName, r.BusinessName, r.ID, r.Kecamatan, r.Desa} {
		if strings.Contains(strings.ToLower(field), q) {
			return true
		}
	}
	return false
}

// matching returns the region's registrations that pass f, newest first.
func (s *Server) matching(r *http.Request, f filter) ([]*umkm.Registration, error) {
	var out []*umkm.Registration
	err := s.deps.Registrations.EachRegistration(r.Context(), s.cfg.Region.Code, func(reg *umkm.Registration) error {
		if f.match(reg) {
			out = append(out, reg)
		}
		return nil
	})
	slices.Reverse(out)
	return out, err
}

// row is one registration as a list shows it.
type row struct {
	ID, Owner, Business, Kecamatan, Sector, Size, Phone string
	At                                                  time.Time
}

type listView struct {
	Filter     filter
	Rows       []row
	Total      int
	Page       int
	Pages      int
	Prev, Next template.URL // query strings, "" when there is none
	Export     template.URL // query string of the export link
	Kecamatan  []string
	Sectors    []string
	Sizes      []string
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

func (s *Server) registrationList(w http.ResponseWriter, r *http.Request) {
	f := readFilter(r)
	all, err := s.matching(r, f)
	if err != nil {
		s.unavailable(w, r, "list registrations", err)
		return
	}
	full := officerOf(r).officer.Role.CanChange()
	v := listView{Filter: f, Total: len(all), Sectors: s.sectors, Sizes: umkm.SizeClasses, CanExport: full,
		Export: template.URL(f.Query(0))}
	for _, k := range s.cfg.Region.Kecamatan {
		v.Kecamatan = append(v.Kecamatan, k.Name)
	}
	size := s.cfg.PageSize
	v.Pages = max(1, (len(all)+size-1)/size)
	v.Page = min(f.Page, v.Pages)
	if v.Page > 1 {
		v.Prev = template.URL(f.Query(v.Page - 1))
		if v.Prev == "" {
			v.Prev = "page=1"
		}
	}
	if v.Page < v.Pages {
		v.Next = template.URL(f.Query(v.Page + 1))
	}
	for _, reg := range all[(v.Page-1)*size : min(len(all), v.Page*size)] {
		owner := reg.OwnerName
		if !full {
			owner = maskName(owner)
		}
		v.Rows = append(v.Rows, row{ID: reg.ID, Owner: owner, Business: reg.BusinessName, Kecamatan: reg.Kecamatan,
			Sector: reg.Sector, Size: reg.SizeClass, Phone: phone.Mask(reg.Phone), At: reg.RegisteredAt})
	}
	s.render(w, r, http.StatusOK, "registrations", "web.registrations.title", v)
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

// exportFormat reads the format of a download from its file name
// ("registrations.xlsx"): csv or xlsx, or "" for another name.
func exportFormat(r *http.Request, base string) string {
	switch r.PathValue("file") {
	case base + ".csv":
		return "csv"
	case base + ".xlsx":
		return "xlsx"
	}
	return ""
}

// writeTable sends a download of header and rows as CSV or, with format
// "xlsx", an Excel workbook (text cells, header frozen and filtered), both
// through package export, as the CLI's exports: every cell a spreadsheet
// could run as a formula gets a leading apostrophe. name has no extension.
func writeTable(w http.ResponseWriter, format, name string, header []string, rows func(row func([]string)), log *slog.Logger) {
	f := export.CSV
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	if format == "xlsx" {
		f = export.XLSX
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+"."+string(f)+`"`)
	t, err := export.New(w, f, header, export.Options{Sheet: "Data"})
	if err != nil {
		log.Warn("web: download cut off", "file", name, "err", err)
		return
	}
	rows(func(cells []string) {
		if err == nil {
			err = t.Row(cells)
		}
	})
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		log.Warn("web: download cut off", "file", name, "err", err)
	}
}

// registrationExport writes the filtered registrations as CSV, in the
// columns of `umkmbot export registrations` (phone masked, no full NIK),
// oldest first like the CLI.
func (s *Server) registrationExport(w http.ResponseWriter, r *http.Request) {
	format := exportFormat(r, "registrations")
	if format == "" {
		s.fail(w, r, http.StatusNotFound, "web.error.not_found")
		return
	}
	f := readFilter(r)
	all, err := s.matching(r, f)
	if err != nil {
		s.unavailable(w, r, "export registrations", err)
		return
	}
	slices.Reverse(all)
	name := "registrasi-umkm-" + s.cfg.Now().In(bot.Jakarta).Format("2006-01-02")
	writeTable(w, format, name, s.deps.Rows.Header(), func(row func([]string)) {
		for _, reg := range all {
			row(s.deps.Rows.Row(reg))
		}
	}, s.cfg.Log)
	s.audit(r, umkm.AuditExport, "registrations", fmt.Sprintf("%s, %d rows; kecamatan=%q sector=%q size=%q search=%v",
		format, len(all), f.Kecamatan, f.Sector, f.Size, f.Q != ""))
}
