package web

// The console's pages and actions, and who may use each.

import (
	"io/fs"
	"net/http"

	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Who may use a route.
type access int

const (
	public    access = iota // anyone (sign-in page, health, static files)
	signedIn                // any signed-in officer
	mayChange               // admin and petugas: changes and unmasked data
	adminOnly               // admin: the audit log
)

// route is one page or action of the console.
type route struct {
	method, pattern string
	access          access
	handle          http.HandlerFunc
}

// routeTable lists every page and action; the security tests walk it.
func (s *Server) routeTable() []route {
	health := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	}
	return []route{
		{"GET", "/healthz", public, health},
		{"GET", "/lang", public, s.setLang},
		{"GET", "/login", public, s.loginPage},
		{"POST", "/login", public, s.login},
		{"POST", "/logout", signedIn, s.logout},

		{"GET", "/{$}", signedIn, s.dashboard},
		{"GET", "/registrations", signedIn, s.registrationList},
		{"GET", "/registrations/{id}", signedIn, s.registrationDetail},
		{"POST", "/registrations/{id}/nik", mayChange, s.registrationRevealNIK},
		{"GET", "/registrations/{id}/edit", mayChange, s.registrationForm},
		{"POST", "/registrations/{id}", mayChange, s.registrationCorrect},
		{"GET", "/export/{file}", mayChange, s.registrationExport},

		{"GET", "/trainings", signedIn, s.trainingList},
		{"GET", "/trainings/new", mayChange, s.trainingForm},
		{"POST", "/trainings", mayChange, s.trainingCreate},
		{"GET", "/trainings/{id}", signedIn, s.trainingDetail},
		{"POST", "/trainings/{id}/checkin", mayChange, s.trainingCheckIn},
		{"GET", "/export/trainings/{id}/{file}", mayChange, s.participantExport},
		{"GET", "/trainings/{id}/edit", mayChange, s.trainingForm},
		{"POST", "/trainings/{id}", mayChange, s.trainingUpdate},
		{"POST", "/trainings/{id}/open", mayChange, s.trainingSetStatus(umkm.TrainingOpen)},
		{"POST", "/trainings/{id}/close", mayChange, s.trainingSetStatus(umkm.TrainingClosed)},

		{"GET", "/curation", signedIn, s.curationList},
		{"GET", "/curation/{id}", signedIn, s.curationDetail},
		{"POST", "/curation/{id}", mayChange, s.curationDecide},
		{"GET", "/curation/{id}/photos/{n}", signedIn, s.curationPhoto},

		{"GET", "/broadcasts", signedIn, s.broadcastList},
		{"GET", "/broadcasts/progress.json", signedIn, s.broadcastProgress},
		{"GET", "/broadcasts/new", mayChange, s.broadcastCompose},
		{"POST", "/broadcasts/preview", mayChange, s.broadcastPreview},
		{"POST", "/broadcasts", mayChange, s.broadcastCreate},
		{"POST", "/broadcasts/{id}/{action}", mayChange, s.broadcastControl},
		{"GET", "/broadcasts/images/{ref}", signedIn, s.broadcastImage},

		{"GET", "/whatsapp", adminOnly, s.whatsAppPage},
		{"POST", "/whatsapp/pair", adminOnly, s.whatsAppPair},
		{"POST", "/whatsapp/logout", adminOnly, s.whatsAppLogout},

		{"GET", "/tickets", signedIn, s.ticketList},
		{"GET", "/tickets/{id}", signedIn, s.ticketDetail},
		{"POST", "/tickets/{id}/claim", mayChange, s.ticketClaim},
		{"POST", "/tickets/{id}/reply", mayChange, s.ticketReply},
		{"POST", "/tickets/{id}/close", mayChange, s.ticketClose},
		{"POST", "/tickets/{id}/transfer", mayChange, s.ticketTransfer},
		{"GET", "/tickets/{id}/files/{ref}", signedIn, s.ticketFile},

		{"GET", "/audit", adminOnly, s.auditPage},
		{"GET", "/accounts", adminOnly, s.accountList},
		{"GET", "/accounts/new", adminOnly, s.accountForm},
		{"POST", "/accounts", adminOnly, s.accountCreate},
		{"GET", "/accounts/{name}", adminOnly, s.accountForm},
		{"POST", "/accounts/{name}", adminOnly, s.accountUpdate},
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	for _, rt := range s.routeTable() {
		h := rt.handle
		switch rt.access {
		case signedIn:
			h = s.signedIn(h)
		case mayChange:
			h = s.mayChange(h)
		case adminOnly:
			h = s.adminOnly(h)
		}
		mux.HandleFunc(rt.method+" "+rt.pattern, h)
	}

	// Cross-site requests that change anything are refused (Sec-Fetch-Site
	// and Origin checked against Host), login included; SameSite cookies
	// are the second line.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.cfg.Log.Warn("web: cross-origin request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		s.fail(w, r, http.StatusForbidden, "web.error.cross_origin")
	}))
	return securityHeaders(cop.Handler(mux))
}
