package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The session cookie. Behind TLS it carries the __Host- prefix, which
// browsers accept only with Secure, Path=/ and no Domain.
const (
	cookieName       = "umkm_console"
	secureCookieName = "__Host-umkm_console"
)

// secure reports whether r came over HTTPS (as far as the console can tell).
func (s *Server) secure(r *http.Request) bool {
	if s.cfg.SecureCookies || r.TLS != nil {
		return true
	}
	return s.cfg.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (s *Server) cookieName(r *http.Request) string {
	if s.secure(r) {
		return secureCookieName
	}
	return cookieName
}

// clientAddr is the address sign-in attempts are counted against: the
// peer, or behind a trusted proxy the last address it appended.
func (s *Server) clientAddr(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if a := strings.TrimSpace(parts[len(parts)-1]); a != "" {
				return a
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// sessionID is what the store keeps for a cookie token: its hash.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// who is the signed-in officer of a request.
type who struct {
	officer *umkm.Officer
	session string // session id
}

type ctxKey struct{}

func officerOf(r *http.Request) *who {
	w, _ := r.Context().Value(ctxKey{}).(*who)
	return w
}

// authenticate returns the officer of r's session cookie, or nil.
func (s *Server) authenticate(r *http.Request) (*who, error) {
	c, err := r.Cookie(s.cookieName(r))
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil, nil
	}
	id := sessionID(c.Value)
	sess, err := s.deps.Sessions.Session(r.Context(), id, s.cfg.SessionIdle)
	if errors.Is(err, bot.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if s.cfg.Now().Sub(sess.CreatedAt) > s.cfg.SessionMax {
		s.deps.Sessions.DeleteSession(r.Context(), id)
		return nil, nil
	}
	o, err := s.deps.Officers.Officer(r.Context(), sess.Officer)
	if errors.Is(err, bot.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if o.Disabled {
		s.deps.Sessions.DeleteSession(r.Context(), id)
		return nil, nil
	}
	return &who{officer: o, session: id}, nil
}

// signedIn lets only signed-in officers through: a page request without a
// session is sent to the sign-in page, anything else gets 401.
func (s *Server) signedIn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.authenticate(r)
		if err != nil {
			s.unavailable(w, r, "check session", err)
			return
		}
		if u == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.fail(w, r, http.StatusUnauthorized, "web.error.signed_out")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, u)))
	}
}

// mayChange lets through officers whose role may change data (and see it
// unmasked): admin and petugas. A pengamat gets 403.
func (s *Server) mayChange(h http.HandlerFunc) http.HandlerFunc {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request) {
		if !officerOf(r).officer.Role.CanChange() {
			s.fail(w, r, http.StatusForbidden, "web.error.read_only")
			return
		}
		h(w, r)
	})
}

// adminOnly lets through admins only; others get 403.
func (s *Server) adminOnly(h http.HandlerFunc) http.HandlerFunc {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request) {
		if officerOf(r).officer.Role != umkm.RoleAdmin {
			s.fail(w, r, http.StatusForbidden, "web.error.admin_only")
			return
		}
		h(w, r)
	})
}

// localPath keeps a "next" target on this site: a path, never a
// scheme-relative or absolute URL.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

type loginView struct {
	Name  string
	Next  string
	Error string // message id
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if u, _ := s.authenticate(r); u != nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", "web.login.title", loginView{Next: localPath(r.URL.Query().Get("next"))})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := umkm.OfficerName(r.PostFormValue("name"))
	password := r.PostFormValue("password")
	view := loginView{Name: name, Next: localPath(r.PostFormValue("next"))}
	if name == "" || password == "" || len(name) > 64 || len(password) > 1024 {
		view.Error = "web.login.missing"
		s.render(w, r, http.StatusBadRequest, "login", "web.login.title", view)
		return
	}
	addr := s.clientAddr(r)
	counts, err := s.deps.Logins.LoginAttempt(ctx, s.cfg.LoginWindow, "u:"+name, "a:"+addr)
	if err != nil {
		s.unavailable(w, r, "count sign-in attempt", err)
		return
	}
	if counts[0] > int64(s.cfg.LoginPerAccount) || counts[1] > int64(s.cfg.LoginPerAddress) {
		s.cfg.Log.Warn("web: sign-in refused, too many attempts", "account", name, "addr", addr)
		w.Header().Set("Retry-After", strconv.Itoa(int(s.cfg.LoginWindow.Seconds())))
		view.Error = "web.login.too_many"
		s.render(w, r, http.StatusTooManyRequests, "login", "web.login.title", view)
		return
	}
	o, err := s.deps.Officers.Officer(ctx, name)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		s.unavailable(w, r, "load account", err)
		return
	}
	hash := dummyHash
	if o != nil {
		hash = o.PasswordHash
	}
	ok, err := CheckPassword(hash, password)
	if err != nil {
		s.cfg.Log.Error("web: check password", "account", name, "err", err)
	}
	if o == nil || !ok || o.Disabled {
		s.cfg.Log.Info("web: sign-in failed", "account", name, "addr", addr)
		view.Error = "web.login.wrong"
		s.render(w, r, http.StatusUnauthorized, "login", "web.login.title", view)
		return
	}
	if err := s.deps.Logins.ClearLoginAttempts(ctx, "u:"+name); err != nil {
		s.cfg.Log.Warn("web: clear sign-in attempts", "err", err)
	}
	// A session this browser had before ends: a fresh one is made for
	// every sign-in (no fixation, no forgotten sessions).
	if old, _ := s.authenticate(r); old != nil {
		s.deps.Sessions.DeleteSession(ctx, old.session)
	}
	token := make([]byte, 32)
	rand.Read(token)
	tok := base64.RawURLEncoding.EncodeToString(token)
	if err := s.deps.Sessions.CreateSession(ctx, sessionID(tok), umkm.OfficerSession{Officer: o.Name, CreatedAt: s.cfg.Now()}, s.cfg.SessionIdle); err != nil {
		s.unavailable(w, r, "create session", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r), Value: tok, Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode, MaxAge: int(s.cfg.SessionMax.Seconds())})
	s.auditAs(ctx, o.Name, "signin", "", "from "+addr)
	http.Redirect(w, r, view.Next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	u := officerOf(r)
	if err := s.deps.Sessions.DeleteSession(r.Context(), u.session); err != nil {
		s.cfg.Log.Error("web: end session", "err", err)
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r), Value: "", Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode, MaxAge: -1})
	s.audit(r, "signout", "", "")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// setLang remembers the language chosen with the links in the header.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	lang := s.cfg.Catalog.Supported(r.URL.Query().Get("to"))
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: lang, Path: "/", HttpOnly: true, Secure: s.secure(r),
		SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	http.Redirect(w, r, localPath(r.URL.Query().Get("back")), http.StatusSeeOther)
}

// lang is the language of r: the chosen one, else the browser's, else the default.
func (s *Server) lang(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil {
		return s.cfg.Catalog.Supported(c.Value)
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if base == "id" || base == "in" {
			return "id"
		}
		if base == "en" {
			return s.cfg.Catalog.Supported("en")
		}
	}
	return s.cfg.Catalog.Supported(s.cfg.DefaultLang)
}
