package web

import (
	"context"
	"net/http"

	"github.com/umkmbot/umkmbot/bot/umkm"
)

// audit writes what the signed-in officer did to the audit log and the
// process log. Detail must not hold a NIK or a phone number.
func (s *Server) audit(r *http.Request, action, target, detail string) error {
	return s.auditAs(r.Context(), officerOf(r).officer.Name, action, target, detail)
}

// auditAs writes an entry for the officer named who.
func (s *Server) auditAs(ctx context.Context, who, action, target, detail string) error {
	s.cfg.Log.Info("web: "+action, "account", who, "target", target, "detail", detail)
	err := s.deps.Audit.Audit(ctx, umkm.AuditEntry{At: s.cfg.Now(), Actor: "web:" + who, Action: action, Subject: target, Count: 1, Detail: detail})
	if err != nil {
		s.cfg.Log.Error("web: write audit log", "action", action, "err", err)
	}
	return err
}

// auditShown is how many entries the audit page shows.
const auditShown = 200

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	entries, err := s.deps.Audit.Recent(r.Context(), auditShown)
	if err != nil {
		s.unavailable(w, r, "read audit log", err)
		return
	}
	s.render(w, r, http.StatusOK, "audit", "web.audit.title", entries)
}
