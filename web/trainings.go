package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

type trainingListView struct {
	Upcoming []*umkm.Training
	Past     []*umkm.Training
	Now      time.Time
	Saved    string // id of a training just saved, for the notice
}

func (s *Server) trainingList(w http.ResponseWriter, r *http.Request) {
	all, err := s.deps.Trainings.AllTrainings(r.Context())
	if err != nil {
		s.unavailable(w, r, "list trainings", err)
		return
	}
	now := s.cfg.Now()
	v := trainingListView{Now: now, Saved: r.URL.Query().Get("saved")}
	for _, t := range all {
		if t.End.After(now) {
			v.Upcoming = append(v.Upcoming, t)
		} else {
			v.Past = append(v.Past, t)
		}
	}
	slices.SortStableFunc(v.Upcoming, func(a, b *umkm.Training) int { return a.Start.Compare(b.Start) })
	slices.SortStableFunc(v.Past, func(a, b *umkm.Training) int { return b.Start.Compare(a.Start) })
	s.render(w, r, http.StatusOK, "trainings", "web.trainings.title", v)
}

// trainingForm is the form's fields as typed, so a refused form comes
// back as the officer left it.
type trainingForm struct {
	ID                                         string
	Title, Topic, Organiser                    string
	Place, Link                                string
	Start, End, Deadline                       string // datetime-local values, WIB
	Capacity                                   string
	Description, Requirements                  string
	Kecamatan, Sectors, Sizes                  []string
	Errors                                     map[string]string // field → message id
	Topics, AllKecamatan, AllSectors, AllSizes []string
}

// Has reports whether list holds v (for checked boxes).
func (f *trainingForm) Has(list []string, v string) bool { return slices.Contains(list, v) }

// Error returns the message id of field's error, or "".
func (f *trainingForm) Error(field string) string { return f.Errors[field] }

const formTime = "2006-01-02T15:04"

func formatFormTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(bot.Jakarta).Format(formTime)
}

func (s *Server) withChoices(f *trainingForm) *trainingForm {
	f.Topics = umkm.TrainingTopics
	f.AllSectors = s.sectors
	f.AllSizes = umkm.SizeClasses
	f.AllKecamatan = nil
	for _, k := range s.cfg.Region.Kecamatan {
		f.AllKecamatan = append(f.AllKecamatan, k.Name)
	}
	return f
}

func formOf(t *umkm.Training) *trainingForm {
	return &trainingForm{ID: t.ID, Title: t.Title, Topic: t.Topic, Organiser: t.Organiser, Place: t.Place, Link: t.Link,
		Start: formatFormTime(t.Start), End: formatFormTime(t.End), Deadline: formatFormTime(t.Deadline),
		Capacity: strconv.Itoa(t.Capacity), Description: t.Description, Requirements: t.Requirements,
		Kecamatan: t.Kecamatan, Sectors: t.Sectors, Sizes: t.SizeClasses}
}

// trainingForm shows the empty form (new) or the training's (edit).
func (s *Server) trainingForm(w http.ResponseWriter, r *http.Request) {
	f := &trainingForm{Organiser: s.cfg.Region.Office, Capacity: "30"}
	title := "web.training.new"
	if id := r.PathValue("id"); id != "" {
		t, ok := s.loadTraining(w, r, id)
		if !ok {
			return
		}
		f, title = formOf(t), "web.training.edit"
	}
	s.render(w, r, http.StatusOK, "training_form", title, s.withChoices(f))
}

func (s *Server) loadTraining(w http.ResponseWriter, r *http.Request, id string) (*umkm.Training, bool) {
	t, err := s.deps.Trainings.Training(r.Context(), id)
	if errors.Is(err, bot.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "web.error.not_found")
		return nil, false
	}
	if err != nil {
		s.unavailable(w, r, "load training", err)
		return nil, false
	}
	return t, true
}

// readTrainingForm reads the posted form onto t; the form with its errors
// is returned too.
func (s *Server) readTrainingForm(r *http.Request, t *umkm.Training) *trainingForm {
	r.ParseForm()
	get := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	f := &trainingForm{ID: t.ID, Title: get("title"), Topic: get("topic"), Organiser: get("organiser"), Place: get("place"),
		Link: get("link"), Start: get("start"), End: get("end"), Deadline: get("deadline"), Capacity: get("capacity"),
		Description: get("description"), Requirements: get("requirements"), Errors: map[string]string{}}
	s.withChoices(f)
	f.Kecamatan = allowedValues(r.PostForm["kecamatan"], f.AllKecamatan)
	f.Sectors = allowedValues(r.PostForm["sectors"], f.AllSectors)
	f.Sizes = allowedValues(r.PostForm["sizes"], f.AllSizes)

	if f.Title == "" || len(f.Title) > 200 {
		f.Errors["title"] = "web.training.error.title"
	}
	if !slices.Contains(umkm.TrainingTopics, f.Topic) {
		f.Errors["topic"] = "web.training.error.topic"
	}
	if f.Place == "" && f.Link == "" {
		f.Errors["place"] = "web.training.error.place"
	}
	when := func(field, v string, required bool) time.Time {
		if v == "" {
			if required {
				f.Errors[field] = "web.training.error.time"
			}
			return time.Time{}
		}
		tm, err := time.ParseInLocation(formTime, v, bot.Jakarta)
		if err != nil {
			f.Errors[field] = "web.training.error.time"
		}
		return tm
	}
	start, end, deadline := when("start", f.Start, true), when("end", f.End, true), when("deadline", f.Deadline, false)
	if f.Errors["end"] == "" && !start.IsZero() && !end.After(start) {
		f.Errors["end"] = "web.training.error.end"
	}
	if f.Errors["deadline"] == "" && !deadline.IsZero() && deadline.After(start) {
		f.Errors["deadline"] = "web.training.error.deadline"
	}
	capacity, err := strconv.Atoi(f.Capacity)
	if err != nil || capacity < 1 || capacity > 100000 {
		f.Errors["capacity"] = "web.training.error.capacity"
	}
	t.Title, t.Topic, t.Organiser = f.Title, f.Topic, f.Organiser
	t.Description, t.Requirements = f.Description, f.Requirements
	t.Online, t.Link, t.Place = f.Link != "" && f.Place == "", "", f.Place
	if t.Online {
		t.Link = f.Link
	}
	t.Start, t.End, t.Deadline, t.Capacity = start, end, deadline, capacity
	t.Kecamatan, t.Sectors, t.SizeClasses = f.Kecamatan, f.Sectors, f.Sizes
	return f
}

func (s *Server) trainingCreate(w http.ResponseWriter, r *http.Request) {
	t := &umkm.Training{Status: umkm.TrainingOpen}
	f := s.readTrainingForm(r, t)
	if len(f.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "training_form", "web.training.new", f)
		return
	}
	if err := s.deps.Trainings.CreateTraining(r.Context(), t); err != nil {
		s.unavailable(w, r, "create training", err)
		return
	}
	s.audit(r, "training.create", t.ID, t.Title)
	http.Redirect(w, r, "/trainings?saved="+t.ID, http.StatusSeeOther)
}

func (s *Server) trainingUpdate(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTraining(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	f := s.readTrainingForm(r, t)
	if len(f.Errors) == 0 {
		if ok := s.save(w, r, t, f); !ok {
			return
		}
	}
	if len(f.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "training_form", "web.training.edit", f)
		return
	}
	http.Redirect(w, r, "/trainings?saved="+t.ID, http.StatusSeeOther)
}

// save writes t through the same path as `umkmbot training edit`; a
// capacity below the seats taken becomes a form error. It reports false
// when it wrote an error page.
func (s *Server) save(w http.ResponseWriter, r *http.Request, t *umkm.Training, f *trainingForm) bool {
	promoted, err := s.deps.TrainingSaver.SaveTraining(r.Context(), t)
	var ce *umkm.CapacityError
	if errors.As(err, &ce) && f != nil {
		f.Errors["capacity"] = "web.training.error.below_taken"
		return true
	}
	if err != nil {
		s.unavailable(w, r, "save training", err, "training", t.ID)
		return false
	}
	s.audit(r, "training.save", t.ID, fmt.Sprintf("status=%s capacity=%d promoted=%d", t.Status, t.Capacity, promoted))
	return true
}

func (s *Server) trainingSetStatus(status umkm.TrainingStatus) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, ok := s.loadTraining(w, r, r.PathValue("id"))
		if !ok {
			return
		}
		t.Status = status
		if !s.save(w, r, t, nil) {
			return
		}
		http.Redirect(w, r, "/trainings?saved="+t.ID, http.StatusSeeOther)
	}
}
