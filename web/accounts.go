package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

var roles = []umkm.Role{umkm.RoleAdmin, umkm.RolePetugas, umkm.RolePengamat}

func (s *Server) accountList(w http.ResponseWriter, r *http.Request) {
	all, err := s.deps.Accounts.Officers(r.Context())
	if err != nil {
		s.unavailable(w, r, "list accounts", err)
		return
	}
	s.render(w, r, http.StatusOK, "accounts", "web.accounts.title", struct {
		Accounts []*umkm.Officer
		Saved    string
	}{all, r.URL.Query().Get("saved")})
}

// accountForm is an account being made or changed. Passwords are never
// put back into the page.
type accountForm struct {
	New      bool
	Self     bool // the admin's own account: no disabling or demoting
	Name     string
	FullName string
	Role     string
	Disabled bool
	Roles    []umkm.Role
	Errors   map[string]string
}

// Error returns the message id of field's error, or "".
func (f *accountForm) Error(field string) string { return f.Errors[field] }

func (s *Server) accountForm(w http.ResponseWriter, r *http.Request) {
	f := &accountForm{New: true, Role: string(umkm.RolePetugas), Roles: roles}
	title := "web.accounts.new"
	if name := r.PathValue("name"); name != "" {
		o, ok := s.loadAccount(w, r, name)
		if !ok {
			return
		}
		f = &accountForm{Name: o.Name, FullName: o.FullName, Role: string(o.Role), Disabled: o.Disabled, Roles: roles,
			Self: o.Name == officerOf(r).officer.Name}
		title = "web.accounts.edit"
	}
	s.render(w, r, http.StatusOK, "account", title, f)
}

func (s *Server) loadAccount(w http.ResponseWriter, r *http.Request, name string) (*umkm.Officer, bool) {
	o, err := s.deps.Officers.Officer(r.Context(), umkm.OfficerName(name))
	if errors.Is(err, bot.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "web.error.not_found")
		return nil, false
	}
	if err != nil {
		s.unavailable(w, r, "load account", err)
		return nil, false
	}
	return o, true
}

// readAccount checks the posted fields; it returns the new password's
// hash ("" when none was typed).
func (s *Server) readAccount(r *http.Request, f *accountForm) (hash string) {
	f.FullName = strings.TrimSpace(r.PostFormValue("full_name"))
	f.Role = r.PostFormValue("role")
	f.Errors = map[string]string{}
	if utf8.RuneCountInString(f.FullName) > 100 {
		f.Errors["full_name"] = "web.correct.error.text"
	}
	if _, ok := umkm.ParseRole(f.Role); !ok {
		f.Errors["role"] = "web.correct.error.choose"
	}
	pw, again := r.PostFormValue("password"), r.PostFormValue("password_again")
	switch {
	case pw == "" && !f.New:
	case pw != again:
		f.Errors["password"] = "web.accounts.error.mismatch"
	default:
		h, err := HashPassword(pw)
		if err != nil {
			f.Errors["password"] = "web.accounts.error.weak"
		}
		hash = h
	}
	return hash
}

func (s *Server) accountCreate(w http.ResponseWriter, r *http.Request) {
	f := &accountForm{New: true, Roles: roles, Name: umkm.OfficerName(r.PostFormValue("name"))}
	hash := s.readAccount(r, f)
	if !umkm.ValidOfficerName(f.Name) {
		f.Errors["name"] = "web.accounts.error.name"
	}
	if len(f.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "account", "web.accounts.new", f)
		return
	}
	now := s.cfg.Now()
	o := &umkm.Officer{Name: f.Name, FullName: f.FullName, Role: umkm.Role(f.Role), PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	err := s.deps.Accounts.CreateOfficer(r.Context(), o)
	if errors.Is(err, umkm.ErrOfficerExists) {
		f.Errors["name"] = "web.accounts.error.taken"
		s.render(w, r, http.StatusConflict, "account", "web.accounts.new", f)
		return
	}
	if err != nil {
		s.unavailable(w, r, "create account", err)
		return
	}
	s.audit(r, "account.create", o.Name, "role="+string(o.Role))
	http.Redirect(w, r, "/accounts?saved="+url.QueryEscape(o.Name), http.StatusSeeOther)
}

// accountUpdate changes the role, name, state or password; any change
// but the full name ends the account's open sessions.
func (s *Server) accountUpdate(w http.ResponseWriter, r *http.Request) {
	o, ok := s.loadAccount(w, r, r.PathValue("name"))
	if !ok {
		return
	}
	f := &accountForm{Name: o.Name, Roles: roles, Self: o.Name == officerOf(r).officer.Name}
	hash := s.readAccount(r, f)
	f.Disabled = r.PostFormValue("disabled") == "on"
	if f.Self && (f.Disabled || f.Role != string(umkm.RoleAdmin)) {
		f.Errors["role"] = "web.accounts.error.self"
	}
	if len(f.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "account", "web.accounts.edit", f)
		return
	}
	var changed []string
	if o.Role != umkm.Role(f.Role) {
		changed = append(changed, "role="+f.Role)
	}
	if o.Disabled != f.Disabled {
		changed = append(changed, map[bool]string{true: "disabled", false: "enabled"}[f.Disabled])
	}
	if hash != "" {
		changed = append(changed, "password")
	}
	endSessions := len(changed) > 0
	if o.FullName != f.FullName {
		changed = append(changed, "full_name")
	}
	o.Role, o.Disabled, o.FullName, o.UpdatedAt = umkm.Role(f.Role), f.Disabled, f.FullName, s.cfg.Now()
	if hash != "" {
		o.PasswordHash = hash
	}
	if len(changed) > 0 {
		if err := s.deps.Accounts.SaveOfficer(r.Context(), o); err != nil {
			s.unavailable(w, r, "save account", err)
			return
		}
		if endSessions {
			if err := s.deps.EndSessions.DeleteOfficerSessions(r.Context(), o.Name); err != nil {
				s.unavailable(w, r, "end sessions", err)
				return
			}
			if hash != "" {
				s.deps.Logins.ClearLoginAttempts(r.Context(), "u:"+o.Name)
			}
		}
		s.audit(r, "account.change", o.Name, strings.Join(changed, ","))
	}
	http.Redirect(w, r, "/accounts?saved="+url.QueryEscape(o.Name), http.StatusSeeOther)
}
