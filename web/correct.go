package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// regForm is the correction form of a registration: the fields an owner
// gave in the chat that an officer may put right (not the NIK, the
// brackets or the consent, which the owner gives). Values are kept as
// typed, so a refused form comes back as the officer left it.
type regForm struct {
	ID, Business                                string
	Owner, Phone, BusinessName, Sector          string
	Kecamatan, Desa, Address, Products, Workers string
	NIB                                         string
	Version                                     string // the record's UpdatedAt when the form was shown
	Errors                                      map[string]string
	AllSectors, AllKecamatan                    []string
}

// Error returns the message id of field's error, or "".
func (f *regForm) Error(field string) string { return f.Errors[field] }

// version identifies the record's last change (optimistic locking).
func version(r *umkm.Registration) string { return r.UpdatedAt.UTC().Format(time.RFC3339Nano) }

func (s *Server) regFormOf(r *umkm.Registration) *regForm {
	f := &regForm{ID: r.ID, Business: r.BusinessName, Owner: r.OwnerName, Phone: r.Phone, BusinessName: r.BusinessName,
		Sector: r.Sector, Kecamatan: r.Kecamatan, Desa: r.Desa, Address: r.Address, Products: r.MainProducts,
		Workers: strconv.Itoa(r.Workers), NIB: r.NIB, Version: version(r), AllSectors: s.sectors}
	for _, k := range s.cfg.Region.Kecamatan {
		f.AllKecamatan = append(f.AllKecamatan, k.Name)
	}
	return f
}

// loadRegistration loads the registration of the path's id in this region.
func (s *Server) loadRegistration(w http.ResponseWriter, r *http.Request) (*umkm.Registration, bool) {
	reg, err := s.deps.Registrations.Registration(r.Context(), r.PathValue("id"))
	if errors.Is(err, bot.ErrNotFound) || (err == nil && reg.Region != s.cfg.Region.Code) {
		s.fail(w, r, http.StatusNotFound, "web.error.not_found")
		return nil, false
	}
	if err != nil {
		s.unavailable(w, r, "load registration", err)
		return nil, false
	}
	return reg, true
}

func (s *Server) registrationForm(w http.ResponseWriter, r *http.Request) {
	reg, ok := s.loadRegistration(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "registration_form", "web.correct.title", s.regFormOf(reg))
}

// nibDigits returns a NIB's 13 digits (spaces, dots, dashes dropped), "" for
// none, or ok false.
func nibDigits(s string) (string, bool) {
	d := digitsOnly(s)
	if strings.TrimSpace(s) == "" || strings.TrimSpace(s) == "-" {
		return "", true
	}
	return d, len(d) == 13 && !strings.Contains(s, "+")
}

// registrationCorrect saves the corrected fields. Only the fields that
// changed are named in the audit log, never their values.
func (s *Server) registrationCorrect(w http.ResponseWriter, r *http.Request) {
	reg, ok := s.loadRegistration(w, r)
	if !ok {
		return
	}
	r.ParseForm()
	get := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	f := s.regFormOf(reg)
	f.Owner, f.Phone, f.BusinessName, f.Sector = get("owner"), get("phone"), get("business"), get("sector")
	f.Kecamatan, f.Desa, f.Address, f.Products = get("kecamatan"), get("desa"), get("address"), get("products")
	f.Workers, f.NIB, f.Errors = get("workers"), get("nib"), map[string]string{}
	if get("version") != version(reg) {
		f.Version = version(reg)
		f.Errors["form"] = "web.correct.changed"
		s.render(w, r, http.StatusConflict, "registration_form", "web.correct.title", f)
		return
	}
	text := func(field, v string, max int) {
		if n := utf8.RuneCountInString(v); n == 0 || n > max {
			f.Errors[field] = "web.correct.error.text"
		}
	}
	text("owner", f.Owner, 100)
	text("business", f.BusinessName, 100)
	text("desa", f.Desa, 100)
	text("address", f.Address, 300)
	text("products", f.Products, 300)
	phone, err := phone.Normalize(f.Phone)
	if err != nil {
		f.Errors["phone"] = "web.correct.error.phone"
	}
	if !slices.Contains(f.AllSectors, f.Sector) {
		f.Errors["sector"] = "web.correct.error.choose"
	}
	if !slices.Contains(f.AllKecamatan, f.Kecamatan) {
		f.Errors["kecamatan"] = "web.correct.error.choose"
	}
	workers, err := strconv.Atoi(f.Workers)
	if err != nil || workers < 0 || workers > 1_000_000 {
		f.Errors["workers"] = "web.correct.error.workers"
	}
	nib, ok := nibDigits(f.NIB)
	if !ok {
		f.Errors["nib"] = "web.correct.error.nib"
	}
	if len(f.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "registration_form", "web.correct.title", f)
		return
	}
	next := *reg
	next.OwnerName, next.Phone, next.BusinessName, next.Sector = f.Owner, phone, f.BusinessName, f.Sector
	next.Kecamatan, next.Desa, next.Address, next.MainProducts = f.Kecamatan, f.Desa, f.Address, f.Products
	next.Workers, next.NIB, next.UpdatedAt = workers, nib, s.cfg.Now()
	var changed []string
	for _, c := range []struct {
		name     string
		was, now string
	}{
		{"owner_name", reg.OwnerName, next.OwnerName}, {"phone", reg.Phone, next.Phone},
		{"business_name", reg.BusinessName, next.BusinessName}, {"sector", reg.Sector, next.Sector},
		{"kecamatan", reg.Kecamatan, next.Kecamatan}, {"desa", reg.Desa, next.Desa}, {"address", reg.Address, next.Address},
		{"main_products", reg.MainProducts, next.MainProducts}, {"workers", strconv.Itoa(reg.Workers), strconv.Itoa(next.Workers)},
		{"nib", reg.NIB, next.NIB},
	} {
		if c.was != c.now {
			changed = append(changed, c.name)
		}
	}
	back := "/registrations/" + url.PathEscape(reg.ID)
	if len(changed) == 0 {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	if err := s.deps.Registrations.UpdateRegistration(r.Context(), &next); err != nil {
		s.unavailable(w, r, "correct registration", err, "registration", reg.ID)
		return
	}
	s.audit(r, "registration.correct", reg.ID, strings.Join(changed, ","))
	http.Redirect(w, r, back+"?corrected="+url.QueryEscape(strings.Join(changed, ",")), http.StatusSeeOther)
}
