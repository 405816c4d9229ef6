package web

import (
	"bytes"
	"net/http"
	"net/url"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// page is what every template gets: the view of the page in Data, and
// helpers to translate (T) and format in the request's language.
type page struct {
	s       *Server
	Lang    string
	Title   string // message id
	Nav     string // which menu entry is current
	Path    string // the request's path and query, for the language links
	Officer *umkm.Officer
	Data    any
}

// T renders message id with key/value template data in the page's language.
func (p *page) T(id string, kv ...any) string {
	return p.s.cfg.Catalog.Render(p.Lang, bot.T(id, kv...))
}

// N renders a plural message.
func (p *page) N(id string, count int, kv ...any) string {
	return p.s.cfg.Catalog.Render(p.Lang, bot.N(id, count, kv...))
}

// Date renders a date in WIB ("Senin, 17 Februari 2026").
func (p *page) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return p.s.cfg.Catalog.Date(p.Lang, t)
}

// Time renders a date and time in WIB.
func (p *page) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return p.s.cfg.Catalog.Time(p.Lang, t)
}

// CanChange reports whether the officer may change data.
func (p *page) CanChange() bool { return p.Officer != nil && p.Officer.Role.CanChange() }

// LangLink is the link that switches to lang and comes back here.
func (p *page) LangLink(lang string) string {
	return "/lang?to=" + url.QueryEscape(lang) + "&back=" + url.QueryEscape(p.Path)
}

// render writes a page with the layout.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	p := &page{s: s, Lang: s.lang(r), Title: title, Nav: name, Path: r.URL.RequestURI(), Data: data}
	if u := officerOf(r); u != nil {
		p.Officer = u.officer
	}
	t, ok := s.pages[name]
	if !ok {
		s.cfg.Log.Error("web: no template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.cfg.Log.Error("web: render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type errorView struct {
	Message string // message id
	Status  int
}

// fail writes an error page with a message id.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", "web.error.title", errorView{Message: msg, Status: status})
}

// unavailable logs why a page could not be made (Redis down, mostly) and
// tells the officer to try again.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request, what string, err error, attrs ...any) {
	s.cfg.Log.Error("web: "+what, append(attrs, "err", err)...)
	s.fail(w, r, http.StatusServiceUnavailable, "web.error.unavailable")
}
