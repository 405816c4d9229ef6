package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

type curationListView struct {
	Status   string // filter: "" (open: diajukan and ditinjau) or a status
	Statuses []umkm.ApplicationStatus
	Apps     []umkm.Application
}

var allStatuses = []umkm.ApplicationStatus{umkm.StatusSubmitted, umkm.StatusReviewing, umkm.StatusAccepted, umkm.StatusRejected}

// curationList is the review queue: open applications oldest first, or
// those with one status.
func (s *Server) curationList(w http.ResponseWriter, r *http.Request) {
	v := curationListView{Statuses: allStatuses}
	filter := umkm.ApplicationStatus("")
	if st, ok := umkm.ParseStatus(r.URL.Query().Get("status")); ok {
		filter, v.Status = st, string(st)
	}
	apps, err := s.deps.Applications.Applications(r.Context(), s.cfg.Region.Code, filter)
	if err != nil {
		s.unavailable(w, r, "list applications", err)
		return
	}
	for _, a := range apps {
		if filter == "" && a.Status.Final() {
			continue
		}
		v.Apps = append(v.Apps, a)
	}
	s.render(w, r, http.StatusOK, "curation", "web.curation.title", v)
}

type curationView struct {
	App      *umkm.Application
	Products []appProduct             // the products named, with their photos
	Next     []umkm.ApplicationStatus // statuses it may move to
	Error    string                   // message id
	Note     string                   // as typed, when refused
	Changed  bool
}

// nextStatuses lists where an application may go from its status.
func nextStatuses(from umkm.ApplicationStatus) []umkm.ApplicationStatus {
	var out []umkm.ApplicationStatus
	for _, to := range allStatuses {
		if umkm.CheckTransition(from, to) == nil {
			out = append(out, to)
		}
	}
	return out
}

func (s *Server) loadApplication(w http.ResponseWriter, r *http.Request) (*umkm.Application, bool) {
	a, err := s.deps.Applications.Application(r.Context(), r.PathValue("id"))
	if errors.Is(err, bot.ErrNotFound) || (err == nil && a.Region != s.cfg.Region.Code) {
		s.fail(w, r, http.StatusNotFound, "web.error.not_found")
		return nil, false
	}
	if err != nil {
		s.unavailable(w, r, "load application", err)
		return nil, false
	}
	return a, true
}

func (s *Server) curationDetail(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadApplication(w, r)
	if !ok {
		return
	}
	v := curationView{App: a, Next: nextStatuses(a.Status), Changed: r.URL.Query().Get("changed") != ""}
	v.Products = s.productsOf(r.Context(), a)
	s.render(w, r, http.StatusOK, "application", "web.curation.application", v)
}

// productsOf lists an application's products with their photos; names
// only when the owner's products cannot be read (the review goes on).
func (s *Server) productsOf(ctx context.Context, a *umkm.Application) []appProduct {
	ps, _, err := s.applicationPhotos(ctx, a)
	if err != nil {
		s.cfg.Log.Warn("web: load products of application", "app", a.ID, "err", err)
	}
	return ps
}

// maxNote is the longest note sent to an owner.
const maxNote = 500

// curationDecide moves an application on, with a note for the owner, as
// `umkmbot curation set-status` does; the owner is told by serve.
func (s *Server) curationDecide(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadApplication(w, r)
	if !ok {
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	v := curationView{App: a, Products: s.productsOf(r.Context(), a), Next: nextStatuses(a.Status), Note: note}
	// The form carries the status it was shown with: a change made by
	// someone else since then is told, not silently built on.
	if from := r.PostFormValue("from"); from != "" && from != string(a.Status) {
		v.Error = "web.curation.error.changed"
		s.render(w, r, http.StatusConflict, "application", "web.curation.application", v)
		return
	}
	to, ok := umkm.ParseStatus(r.PostFormValue("status"))
	switch {
	case !ok || umkm.CheckTransition(a.Status, to) != nil:
		v.Error = "web.curation.error.status"
	case to == umkm.StatusRejected && note == "":
		v.Error = "web.curation.error.note_needed"
	case utf8.RuneCountInString(note) > maxNote:
		v.Error = "web.curation.error.note_long"
	}
	if v.Error != "" {
		s.render(w, r, http.StatusUnprocessableEntity, "application", "web.curation.application", v)
		return
	}
	_, err := s.deps.Applications.SetApplicationStatus(r.Context(), a.ID, to, note, s.cfg.Now())
	if errors.Is(err, umkm.ErrBadTransition) {
		// Someone else decided first: show the application as it is now.
		v.Error = "web.curation.error.changed"
		if now, err := s.deps.Applications.Application(r.Context(), a.ID); err == nil {
			v.App, v.Next = now, nextStatuses(now.Status)
		}
		s.render(w, r, http.StatusConflict, "application", "web.curation.application", v)
		return
	}
	if err != nil {
		s.unavailable(w, r, "set application status", err, "app", a.ID)
		return
	}
	s.audit(r, umkm.AuditStatusChange, a.ID, string(a.Status)+" → "+string(to))
	http.Redirect(w, r, "/curation/"+url.PathEscape(a.ID)+"?changed=1", http.StatusSeeOther)
}
