package web

import (
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// bar is one labelled count of a chart; the template draws it as a
// <meter> (no script, no inline style: the CSP forbids both).
type bar struct {
	Label string // raw text
	ID    string // message id for the label when Label is empty
	N     int
	Max   int
	Link  template.URL // query string of the registrations list it opens
}

type dashboardView struct {
	Total       int
	Weeks       []bar
	KabKota     []bar // deployments of several kabupaten/kota
	Kecamatan   []bar
	Sectors     []bar
	Sizes       []bar
	Trainings   []*umkm.Training
	Open        []umkm.Application
	Running     []progress // broadcasts running, paused or scheduled
	WhatsApp    *WhatsAppState
	MovedToYou  int // open tickets moved to the signed-in officer, not answered yet
	Submitted   int
	Reviewing   int
	WeeksShown  int
	GeneratedAt time.Time
}

// weeksShown is how many weeks the registrations chart covers.
const weeksShown = 12

// kecamatanShown is how many kecamatan the chart of a province shows.
const kecamatanShown = 20

// weekStart returns the Monday 00:00 WIB of t's week.
func weekStart(t time.Time) time.Time {
	t = t.In(bot.Jakarta)
	d := (int(t.Weekday()) + 6) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-d, 0, 0, 0, 0, bot.Jakarta)
}

// withMax sets every bar's Max to the largest count (at least 1).
func withMax(bars []bar) []bar {
	m := 1
	for _, b := range bars {
		m = max(m, b.N)
	}
	for i := range bars {
		bars[i].Max = m
	}
	return bars
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.cfg.Now()
	v := dashboardView{WeeksShown: weeksShown, GeneratedAt: now}
	first := weekStart(now).AddDate(0, 0, -7*(weeksShown-1))
	starts := make([]time.Time, weeksShown)
	for i := range starts {
		starts[i] = first.AddDate(0, 0, 7*i)
	}
	ix, ok := s.index(w, r)
	if !ok {
		return
	}
	// Counts from the index, per kabupaten/kota served: set sizes and
	// ranges of the registrations by time, never the registrations.
	weeks := make([]int, weeksShown)
	bySector := make([]int, len(s.sectors))
	bySize := make([]int, len(umkm.SizeClasses))
	multi := s.cfg.Region.Multi()
	for _, u := range s.cfg.Region.Served() {
		names := make([]string, len(u.Kecamatan))
		for i, k := range u.Kecamatan {
			names[i] = k.Name
		}
		st, err := ix.RegistrationStats(ctx, u.Code, names, s.sectors, umkm.SizeClasses, nil, starts)
		if err != nil {
			s.unavailable(w, r, "dashboard registrations", err)
			return
		}
		v.Total += st.Total
		for i, n := range st.Weeks {
			weeks[i] += n
		}
		for i, n := range st.Sectors {
			bySector[i] += n
		}
		for i, n := range st.Sizes {
			bySize[i] += n
		}
		for i, name := range names {
			b := bar{Label: name, N: st.Kecamatan[i], Link: template.URL(filter{Kecamatan: name}.Query(0))}
			if multi {
				b.Label = name + " (" + u.Name + ")"
				b.Link = template.URL(filter{KabKota: u.Code, Kecamatan: name}.Query(0))
			}
			v.Kecamatan = append(v.Kecamatan, b)
		}
		if multi {
			v.KabKota = append(v.KabKota, bar{Label: u.Name, N: st.Total, Link: template.URL(filter{KabKota: u.Code}.Query(0))})
		}
	}
	for i, n := range weeks {
		v.Weeks = append(v.Weeks, bar{Label: starts[i].Format("02/01"), N: n})
	}
	v.Weeks = withMax(v.Weeks)
	slices.SortStableFunc(v.Kecamatan, func(a, b bar) int { return b.N - a.N })
	if multi && len(v.Kecamatan) > kecamatanShown {
		v.Kecamatan = v.Kecamatan[:kecamatanShown] // a province has hundreds: the busiest
	}
	v.Kecamatan = withMax(v.Kecamatan)
	v.KabKota = withMax(v.KabKota)
	for i, code := range s.sectors {
		v.Sectors = append(v.Sectors, bar{ID: "sector." + code, N: bySector[i], Link: template.URL(filter{Sector: code}.Query(0))})
	}
	v.Sectors = withMax(v.Sectors)
	for i, c := range umkm.SizeClasses {
		v.Sizes = append(v.Sizes, bar{ID: "class." + c, N: bySize[i], Link: template.URL(filter{Size: c}.Query(0))})
	}
	v.Sizes = withMax(v.Sizes)

	trainings, err := s.deps.Trainings.AllTrainings(ctx)
	if err != nil {
		s.unavailable(w, r, "dashboard trainings", err)
		return
	}
	for _, t := range trainings {
		if t.End.After(now) {
			v.Trainings = append(v.Trainings, t)
		}
	}
	slices.SortStableFunc(v.Trainings, func(a, b *umkm.Training) int { return a.Start.Compare(b.Start) })

	apps, err := s.deps.Applications.Applications(ctx, s.cfg.Region.Code, "")
	if err != nil {
		s.unavailable(w, r, "dashboard curation", err)
		return
	}
	for _, a := range apps {
		switch a.Status {
		case umkm.StatusSubmitted:
			v.Submitted++
		case umkm.StatusReviewing:
			v.Reviewing++
		default:
			continue
		}
		if len(v.Open) < 10 {
			v.Open = append(v.Open, a)
		}
	}
	broadcasts, err := s.deps.Broadcasts.Broadcasts(ctx)
	if err != nil {
		s.unavailable(w, r, "dashboard broadcasts", err)
		return
	}
	for _, b := range broadcasts {
		switch b.Status {
		case umkm.BroadcastRunning, umkm.BroadcastPaused, umkm.BroadcastScheduled:
			if b.Region == "" || b.Region == s.cfg.Region.Code {
				v.Running = append(v.Running, progressOf(b, now))
			}
		}
	}
	if s.deps.Tickets != nil {
		open, err := s.deps.Tickets.Tickets(ctx, false, ticketsShown)
		if err != nil {
			s.unavailable(w, r, "dashboard tickets", err)
			return
		}
		me := officerOf(r).officer.Name
		for _, t := range open {
			if s.inRegion(t) && t.MovedToYou(me) {
				v.MovedToYou++
			}
		}
	}
	if s.deps.WhatsApp != nil {
		st, err := s.deps.WhatsApp.WhatsAppState(ctx)
		if err != nil {
			s.unavailable(w, r, "dashboard whatsapp", err)
			return
		}
		if st.Used {
			v.WhatsApp = &st
		}
	}
	s.render(w, r, http.StatusOK, "dashboard", "web.dashboard.title", v)
}
