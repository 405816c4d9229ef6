package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// progress is a broadcast as the list shows it.
type progress struct {
	B        *umkm.Broadcast
	Preview  string // the text's start
	Done     int64
	Left     int64
	Percent  int
	Rate     float64       // outcomes a second so far
	ETA      time.Duration // at that rate; 0 when unknown
	Controls []string      // actions the status allows
}

type broadcastView struct {
	Items   []progress
	Live    bool // something runs: the page refreshes itself
	Changed string
	Created string
	Error   string // message id
}

// controls lists what may be done to a broadcast in its status.
func controls(st umkm.BroadcastStatus) []string {
	switch st {
	case umkm.BroadcastRunning, umkm.BroadcastScheduled:
		return []string{umkm.BroadcastPause, umkm.BroadcastCancel}
	case umkm.BroadcastPaused:
		return []string{umkm.BroadcastResume, umkm.BroadcastCancel}
	case umkm.BroadcastDraft:
		return []string{umkm.BroadcastCancel}
	}
	return nil
}

func preview(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// progressOf computes the figures of `umkmbot broadcast status`.
func progressOf(b *umkm.Broadcast, now time.Time) progress {
	c := b.Counts
	p := progress{B: b, Preview: preview(b.Text, 160), Done: c.Done(), Left: c.Remaining(), Controls: controls(b.Status)}
	if c.Audience > 0 {
		p.Percent = int(100 * p.Done / c.Audience)
	}
	if !c.Started.IsZero() {
		end := now
		if !c.Finished.IsZero() {
			end = c.Finished
		}
		if secs := end.Sub(c.Started).Seconds(); secs > 0 && p.Done > 0 {
			p.Rate = float64(p.Done) / secs
			if p.Left > 0 && b.Status == umkm.BroadcastRunning {
				p.ETA = (time.Duration(float64(p.Left)/p.Rate) * time.Second).Round(time.Second)
			}
		}
	}
	return p
}

func (s *Server) broadcastList(w http.ResponseWriter, r *http.Request) {
	all, err := s.deps.Broadcasts.Broadcasts(r.Context())
	if err != nil {
		s.unavailable(w, r, "list broadcasts", err)
		return
	}
	now := s.cfg.Now()
	v := broadcastView{Changed: r.URL.Query().Get("changed"), Created: r.URL.Query().Get("created")}
	if r.URL.Query().Get("refused") != "" {
		v.Error = "web.broadcasts.refused"
	}
	for _, b := range all {
		if b.Region != "" && b.Region != s.cfg.Region.Code {
			continue
		}
		v.Items = append(v.Items, progressOf(b, now))
		if live(b.Status) {
			v.Live = true
		}
	}
	s.render(w, r, http.StatusOK, "broadcasts", "web.broadcasts.title", v)
}

// live reports whether a broadcast in st may still change by itself.
func live(st umkm.BroadcastStatus) bool {
	return st == umkm.BroadcastRunning || st == umkm.BroadcastScheduled || st == umkm.BroadcastPaused
}

// liveItem is one broadcast's progress for live.js, its texts rendered in
// the officer's language.
type liveItem struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Progress string `json:"progress,omitempty"`
	Counts   string `json:"counts,omitempty"`
	Rate     string `json:"rate,omitempty"`
	Done     int64  `json:"done"`
	Audience int64  `json:"audience"`
	Live     bool   `json:"live"`
}

// broadcastProgress answers live.js with the progress of every broadcast.
func (s *Server) broadcastProgress(w http.ResponseWriter, r *http.Request) {
	all, err := s.deps.Broadcasts.Broadcasts(r.Context())
	if err != nil {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	lang, now := s.lang(r), s.cfg.Now()
	t := func(id string, kv ...any) string { return s.cfg.Catalog.Render(lang, bot.T(id, kv...)) }
	items := []liveItem{}
	for _, b := range all {
		if b.Region != "" && b.Region != s.cfg.Region.Code {
			continue
		}
		p := progressOf(b, now)
		c := b.Counts
		it := liveItem{ID: b.ID, Status: t("web.broadcasts.status." + string(b.Status)), Done: p.Done, Audience: c.Audience, Live: live(b.Status)}
		if c.Audience > 0 {
			it.Progress = t("web.broadcasts.progress", "Done", p.Done, "Audience", c.Audience, "Percent", p.Percent)
			it.Counts = t("web.broadcasts.counts", "Sent", c.Sent, "Failed", c.Failed, "Skipped", c.Skipped, "Unknown", c.Unknown, "Left", p.Left)
		}
		if p.Rate > 0 {
			it.Rate = t("web.broadcasts.rate", "Rate", strconv.FormatFloat(p.Rate, 'f', 1, 64))
			if p.ETA > 0 {
				it.Rate += " · " + t("web.broadcasts.eta", "ETA", p.ETA.String())
			}
		}
		items = append(items, it)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(items)
}

// broadcastControl pauses, resumes or cancels a broadcast.
func (s *Server) broadcastControl(w http.ResponseWriter, r *http.Request) {
	id, action := r.PathValue("id"), r.PathValue("action")
	switch action {
	case umkm.BroadcastPause, umkm.BroadcastResume, umkm.BroadcastCancel:
	default:
		s.fail(w, r, http.StatusNotFound, "web.error.not_found")
		return
	}
	_, err := s.deps.Broadcasts.ControlBroadcast(r.Context(), id, action)
	switch {
	case errors.Is(err, bot.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "web.error.not_found")
		return
	case errors.Is(err, umkm.ErrBroadcastState):
		http.Redirect(w, r, "/broadcasts?refused="+url.QueryEscape(id)+"#b-"+url.QueryEscape(id), http.StatusSeeOther)
		return
	case err != nil:
		s.unavailable(w, r, "control broadcast", err, "broadcast", id)
		return
	}
	s.audit(r, "broadcast."+action, id, "")
	http.Redirect(w, r, "/broadcasts?changed="+url.QueryEscape(id)+"#b-"+url.QueryEscape(id), http.StatusSeeOther)
}
