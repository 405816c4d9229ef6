package umkm

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// Training is a course a Dinas runs for owners in a room (or online) of
// limited size.
type Training struct {
	ID           string    `json:"-"` // short and typeable: "12"
	Title        string    `json:"title"`
	Topic        string    `json:"topic"` // one of TrainingTopics
	Organiser    string    `json:"organiser"`
	Description  string    `json:"description,omitempty"`
	Requirements string    `json:"requirements,omitempty"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	Place        string    `json:"place,omitempty"` // address; empty when Online
	Online       bool      `json:"online,omitempty"`
	Link         string    `json:"link,omitempty"` // meeting link when Online
	Capacity     int       `json:"capacity"`
	Deadline     time.Time `json:"deadline"` // sign-up closes here (and at Start at the latest)
	// KabKota limits sign-up to these kabupaten/kota (Kemendagri codes, "36.73") in a deployment of several.
	KabKota []string `json:"kabupaten_kota,omitempty"`
	// Eligibility; an empty list admits everyone.
	Kecamatan   []string       `json:"kecamatan,omitempty"`    // names as in the region file
	Sectors     []string       `json:"sectors,omitempty"`      // sector codes ("kuliner")
	SizeClasses []string       `json:"size_classes,omitempty"` // mikro, kecil, menengah
	Status      TrainingStatus `json:"-"`
	CreatedAt   time.Time      `json:"created_at"`

	// Filled by the store when it loads a training.
	Confirmed  int `json:"-"` // seats taken (confirmed and attended)
	Waitlisted int `json:"-"`
}

// TrainingStatus says whether sign-up is open.
type TrainingStatus string

// Training statuses.
const (
	TrainingOpen   TrainingStatus = "open"
	TrainingClosed TrainingStatus = "closed"
)

// TrainingTopics are the topic codes a training may have (labels in the
// locale files as pelatihan.topic.<code>): the kinds of training Dinas
// offices report running.
var TrainingTopics = []string{"ecommerce", "konten", "broadcasting", "elearning", "afiliasi",
	"kemasan", "mutu", "kurasi", "produksi", "lainnya"}

// SizeClasses are the PP 7/2021 classes of UMKM.
var SizeClasses = []string{"mikro", "kecil", "menengah"}

// SeatsLeft returns how many seats are free.
func (t *Training) SeatsLeft() int { return max(t.Capacity-t.Confirmed, 0) }

// Why sign-up is closed, from Closed.
const (
	ClosedByDinas   = "closed"   // the Dinas closed it
	ClosedDeadline  = "deadline" // the sign-up deadline passed
	ClosedStarted   = "started"  // the training has started
	ClosedNotClosed = ""
)

// Closed says why sign-up is closed at now, or "" when it is open.
func (t *Training) Closed(now time.Time) string {
	switch {
	case t.Status != TrainingOpen:
		return ClosedByDinas
	case !now.Before(t.Start):
		return ClosedStarted
	case !t.Deadline.IsZero() && !now.Before(t.Deadline):
		return ClosedDeadline
	}
	return ClosedNotClosed
}

// Why an owner may not join, from Ineligible.
const (
	IneligibleKabKota   = "kabkota"
	IneligibleKecamatan = "kecamatan"
	IneligibleSector    = "sector"
	IneligibleSize      = "size"
)

// Ineligible returns why the business r may not join t ("kabkota",
// "kecamatan", "sector", "size"), or "" when it may. Kecamatan names
// compare without regard to case or spaces ("Babakan Cikao" is
// "Babakancikao").
func (t *Training) Ineligible(r *Registration) string {
	if len(t.KabKota) > 0 && !slices.Contains(t.KabKota, r.Region) {
		return IneligibleKabKota
	}
	if len(t.Kecamatan) > 0 && !slices.ContainsFunc(t.Kecamatan, func(k string) bool { return sameName(k, r.Kecamatan) }) {
		return IneligibleKecamatan
	}
	if len(t.Sectors) > 0 && !slices.Contains(t.Sectors, r.Sector) {
		return IneligibleSector
	}
	if len(t.SizeClasses) > 0 && !slices.Contains(t.SizeClasses, r.SizeClass) {
		return IneligibleSize
	}
	return ""
}

func sameName(a, b string) bool {
	squash := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), " ", "") }
	return squash(a) == squash(b)
}

// EnrolStatus is where an owner stands in a training.
type EnrolStatus string

// Enrolment statuses. StatusFull is only an answer of Enrol: the training
// is full and the owner did not ask for the waitlist; nothing was stored.
const (
	StatusConfirmed  EnrolStatus = "terdaftar"
	StatusWaitlisted EnrolStatus = "daftar_tunggu"
	StatusAttended   EnrolStatus = "hadir"
	StatusCancelled  EnrolStatus = "dibatalkan"
	StatusFull       EnrolStatus = "penuh"
)

// Enrolment is one owner's place in one training.
type Enrolment struct {
	Training     string
	Conv         bot.Conversation
	Registration string // registration id, "UMKM-3214-000123"
	Status       EnrolStatus
	Position     int    // 1-based place on the waitlist when waitlisted
	Code         string // attendance code, unique in the training
	At           time.Time
}

// ErrTrainingClosed is returned by Enrol when sign-up is closed (by the
// Dinas, the deadline or the start).
var ErrTrainingClosed = errors.New("training sign-up closed")

// ErrNotSeated is returned by CheckIn for a code whose holder has no seat
// (waitlisted or cancelled).
var ErrNotSeated = errors.New("attendance code holder has no seat")

// CapacityError refuses a capacity below the seats already confirmed.
type CapacityError struct{ Confirmed int }

func (e *CapacityError) Error() string {
	return "capacity below the " + strconv.Itoa(e.Confirmed) + " seats already confirmed"
}

// TrainingCatalog is what owners browse.
type TrainingCatalog interface {
	// Training returns one training with its seat counts, ErrNotFound if
	// there is none.
	Training(ctx context.Context, id string) (*Training, error)
	// Trainings returns every training that has not ended by now, soonest
	// first (open and closed: the caller filters).
	Trainings(ctx context.Context, now time.Time) ([]*Training, error)
}

// Enrolments seats owners. Every call is atomic and idempotent: a turn that
// runs twice changes nothing the second time.
type Enrolments interface {
	// Enrol gives e.Conv a seat in training e.Training when one is free and
	// nobody waits, else a place on the waitlist when waitlist is true, else
	// answers StatusFull and stores nothing. An owner already in returns
	// their current enrolment. ErrTrainingClosed when sign-up is closed at
	// e.At.
	Enrol(ctx context.Context, e Enrolment, waitlist bool) (Enrolment, error)
	// Cancel frees the owner's seat or waitlist place and promotes the
	// first waitlisted into a freed seat. cancelled is false (and nothing
	// changes) when the owner held neither.
	Cancel(ctx context.Context, training string, c bot.Conversation) (cancelled bool, promoted []Enrolment, err error)
	// CheckIn marks the confirmed participant holding code attended. With
	// a non-zero c, the code must be c's own. ErrNotFound for a code
	// nobody (or not c) holds.
	CheckIn(ctx context.Context, training, code string, c bot.Conversation) (Enrolment, error)
	// EnrolmentsOf lists the owner's enrolments in trainings, soonest first.
	EnrolmentsOf(ctx context.Context, c bot.Conversation) ([]Enrolment, error)
}

// TrainingStore is what the training flow consumes.
type TrainingStore interface {
	TrainingCatalog
	Enrolments
}

// AttendanceAlphabet is what attendance codes are made of: capital letters
// and digits without the look-alikes (0/O/D, 1/I/L, 2/Z, 5/S, 8/B).
const AttendanceAlphabet = "ACEFGHJKMNPQRTUVWXY34679"

// AttendanceCodeLen is the length of an attendance code.
const AttendanceCodeLen = 6

// ParseAttendanceCode reads a code as owners type it ("abc 123", "kode:
// K7M-3QX", "#K7M3QX") and returns it in canonical form (capitals, no
// separators). ok is false for anything that cannot be a code.
func ParseAttendanceCode(s string) (code string, ok bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	for _, p := range []string{"KODE", "CODE"} {
		s = strings.TrimPrefix(s, p)
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == ':' || r == '#' || r == '.' || r == '\t':
			continue
		case r < 128 && strings.IndexByte(AttendanceAlphabet, byte(r)) >= 0:
			if b.Len() == AttendanceCodeLen {
				return "", false
			}
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	if b.Len() != AttendanceCodeLen {
		return "", false
	}
	return b.String(), true
}

// Validate checks what a Dinas must give for a training to be offered.
func (t *Training) Validate() error {
	var errs []error
	if strings.TrimSpace(t.Title) == "" {
		errs = append(errs, errors.New("title is required"))
	}
	if !slices.Contains(TrainingTopics, t.Topic) {
		errs = append(errs, errors.New("topic must be one of "+strings.Join(TrainingTopics, ", ")))
	}
	if t.Start.IsZero() || !t.End.After(t.Start) {
		errs = append(errs, errors.New("start is required and end must be after start"))
	}
	if t.Capacity < 1 {
		errs = append(errs, errors.New("capacity must be at least 1"))
	}
	if t.Online && t.Link == "" {
		errs = append(errs, errors.New("an online training needs a link"))
	}
	if !t.Online && strings.TrimSpace(t.Place) == "" {
		errs = append(errs, errors.New("place is required (or online with a link)"))
	}
	if !t.Deadline.IsZero() && t.Deadline.After(t.Start) {
		errs = append(errs, errors.New("deadline must not be after the start"))
	}
	for _, c := range t.SizeClasses {
		if !slices.Contains(SizeClasses, c) {
			errs = append(errs, errors.New("size class "+c+" is not one of "+strings.Join(SizeClasses, ", ")))
		}
	}
	return errors.Join(errs...)
}
