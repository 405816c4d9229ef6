package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// participant is one sign-up as the training page shows it.
type participant struct {
	Status       umkm.EnrolStatus
	Position     int
	Registration string
	Owner        string
	Business     string
	Kecamatan    string
	Phone        string // masked
	Code         string // attendance code; empty for a pengamat
	At           time.Time
}

type trainingView struct {
	T            *umkm.Training
	People       []participant
	Attended     int
	Cancelled    int
	ShowCodes    bool
	Checked      string // registration id just checked in
	CheckinError string // message id
}

// participants returns the training's sign-ups with their registrations,
// cancelled ones left out; the registration is nil when it is gone.
func (s *Server) participants(r *http.Request, id string) ([]umkm.Enrolment, []*umkm.Registration, int, error) {
	ps, err := s.deps.Participants.Participants(r.Context(), id)
	if err != nil {
		return nil, nil, 0, err
	}
	var keep []umkm.Enrolment
	var regs []*umkm.Registration
	cancelled := 0
	for _, p := range ps {
		if p.Status == umkm.StatusCancelled {
			cancelled++
			continue
		}
		var reg *umkm.Registration
		if p.Registration != "" {
			reg, err = s.deps.Registrations.Registration(r.Context(), p.Registration)
			if err != nil && !errors.Is(err, bot.ErrNotFound) {
				return nil, nil, 0, err
			}
		}
		keep = append(keep, p)
		regs = append(regs, reg)
	}
	return keep, regs, cancelled, nil
}

// statusOrder lists seats first, then the waitlist in its order.
var statusOrder = map[umkm.EnrolStatus]int{umkm.StatusAttended: 0, umkm.StatusConfirmed: 0, umkm.StatusWaitlisted: 1}

func (s *Server) trainingDetail(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTraining(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	ps, regs, cancelled, err := s.participants(r, t.ID)
	if err != nil {
		s.unavailable(w, r, "participants", err, "training", t.ID)
		return
	}
	full := officerOf(r).officer.Role.CanChange()
	v := trainingView{T: t, Cancelled: cancelled, ShowCodes: full, Checked: r.URL.Query().Get("checked")}
	switch r.URL.Query().Get("checkin") {
	case "unknown":
		v.CheckinError = "web.participants.code_unknown"
	case "bad":
		v.CheckinError = "web.participants.code_bad"
	case "notseated":
		v.CheckinError = "web.participants.code_not_seated"
	}
	for i, p := range ps {
		reg := regs[i]
		if reg == nil {
			reg = &umkm.Registration{}
		}
		row := participant{Status: p.Status, Position: p.Position, Registration: p.Registration, Owner: reg.OwnerName,
			Business: reg.BusinessName, Kecamatan: reg.Kecamatan, Phone: phone.Mask(reg.Phone), At: p.At}
		if full {
			row.Code = p.Code
		} else {
			row.Owner = maskName(row.Owner)
		}
		if p.Status == umkm.StatusAttended {
			v.Attended++
		}
		v.People = append(v.People, row)
	}
	slices.SortStableFunc(v.People, func(a, b participant) int {
		if d := statusOrder[a.Status] - statusOrder[b.Status]; d != 0 {
			return d
		}
		if a.Position != b.Position {
			return a.Position - b.Position
		}
		return a.At.Compare(b.At)
	})
	s.render(w, r, http.StatusOK, "training", "web.participants.title", v)
}

// trainingCheckIn marks the participant holding the typed code attended,
// as `umkmbot training checkin` does.
func (s *Server) trainingCheckIn(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTraining(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	back := "/trainings/" + url.PathEscape(t.ID)
	code, ok := umkm.ParseAttendanceCode(r.PostFormValue("code"))
	if !ok {
		http.Redirect(w, r, back+"?checkin=bad#checkin", http.StatusSeeOther)
		return
	}
	e, err := s.deps.Participants.CheckIn(r.Context(), t.ID, code, bot.Conversation{})
	if errors.Is(err, bot.ErrNotFound) {
		http.Redirect(w, r, back+"?checkin=unknown#checkin", http.StatusSeeOther)
		return
	}
	if errors.Is(err, umkm.ErrNotSeated) {
		http.Redirect(w, r, back+"?checkin=notseated#checkin", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.unavailable(w, r, "check in", err, "training", t.ID)
		return
	}
	s.audit(r, umkm.AuditCheckIn, "training "+t.ID, e.Registration)
	http.Redirect(w, r, back+"?checked="+url.QueryEscape(e.Registration)+"#checkin", http.StatusSeeOther)
}

// participantExport writes the training's participants as CSV in the
// columns of `umkmbot training participants` (phone masked, cancelled
// left out).
func (s *Server) participantExport(w http.ResponseWriter, r *http.Request) {
	format := exportFormat(r, "participants")
	if format == "" {
		s.fail(w, r, http.StatusNotFound, "web.error.not_found")
		return
	}
	t, ok := s.loadTraining(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	ps, regs, _, err := s.participants(r, t.ID)
	if err != nil {
		s.unavailable(w, r, "export participants", err, "training", t.ID)
		return
	}
	writeTable(w, format, "peserta-pelatihan-"+t.ID, s.deps.PartRows.ParticipantHeader(), func(row func([]string)) {
		for i, p := range ps {
			row(s.deps.PartRows.ParticipantRow(p, regs[i]))
		}
	}, s.cfg.Log)
	s.audit(r, umkm.AuditExport, "training "+t.ID+" participants", format+", "+strconv.Itoa(len(ps))+" rows")
}
