package umkm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// ApplicationStatus is where a curation application stands.
type ApplicationStatus string

// The statuses, in order: diajukan → ditinjau → diterima/ditolak.
const (
	StatusSubmitted ApplicationStatus = "diajukan"
	StatusReviewing ApplicationStatus = "ditinjau"
	StatusAccepted  ApplicationStatus = "diterima"
	StatusRejected  ApplicationStatus = "ditolak"
)

// ParseStatus reads a status name.
func ParseStatus(s string) (ApplicationStatus, bool) {
	switch st := ApplicationStatus(s); st {
	case StatusSubmitted, StatusReviewing, StatusAccepted, StatusRejected:
		return st, true
	}
	return "", false
}

// Final reports whether no further change is allowed.
func (s ApplicationStatus) Final() bool { return s == StatusAccepted || s == StatusRejected }

// ErrBadTransition is returned for a status change the order does not allow
// (back to diajukan, or away from a decision).
var ErrBadTransition = errors.New("status change not allowed")

// CheckTransition says whether an application may move from one status to
// another: forward only, and a decision is final.
func CheckTransition(from, to ApplicationStatus) error {
	rank := map[ApplicationStatus]int{StatusSubmitted: 0, StatusReviewing: 1, StatusAccepted: 2, StatusRejected: 2}
	if from.Final() || rank[to] <= rank[from] {
		return fmt.Errorf("%s → %s: %w", from, to, ErrBadTransition)
	}
	return nil
}

// AlreadyAppliedError says the owner already has an undecided application
// for the same target.
type AlreadyAppliedError struct{ ID string }

func (e *AlreadyAppliedError) Error() string {
	return "an undecided application for this target exists: " + e.ID
}

// Application is an owner's request to have products curated for a galeri
// outlet or a modern-retail programme.
type Application struct {
	ID             string            `json:"id"` // KUR-3214-000001
	Region         string            `json:"region"`
	Conv           bot.Conversation  `json:"-"`
	RegistrationID string            `json:"registration_id"`
	Business       string            `json:"business"`
	Target         string            `json:"target"`      // outlet id or "ritel"
	TargetName     string            `json:"target_name"` // as shown when applying
	Products       []string          `json:"products"`    // product names at the time of applying
	Status         ApplicationStatus `json:"status"`
	Note           string            `json:"note,omitempty"` // the Dinas's note with the last change
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	History        []StatusChange    `json:"history,omitempty"`
}

// StatusChange is one step of an application's history.
type StatusChange struct {
	Status ApplicationStatus `json:"status"`
	Note   string            `json:"note,omitempty"`
	At     time.Time         `json:"at"`
}

// CurationStore keeps curation applications.
type CurationStore interface {
	// SubmitApplication stores a with the next number of its region and
	// status diajukan.
	SubmitApplication(ctx context.Context, a *Application) error
	// ApplicationsFor returns the applications made from conversation c,
	// oldest first.
	ApplicationsFor(ctx context.Context, region string, c bot.Conversation) ([]Application, error)
}

// CurationNotice is a status change waiting to be sent to the owner.
type CurationNotice struct {
	Conv       string            `json:"conv"`
	App        string            `json:"app"`
	TargetName string            `json:"target_name"`
	Status     ApplicationStatus `json:"status"`
	Note       string            `json:"note,omitempty"`
}
