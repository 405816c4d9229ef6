package umkm

import (
	"context"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// Erasure is what erasing a person's data did (UU 27/2022 art. 8: the
// right to have one's personal data deleted). It holds no personal data:
// the flow tells the person, the audit log keeps it.
type Erasure struct {
	Registration string    // the registration id that was cancelled ("" none)
	At           time.Time // when
	Trainings    int       // enrolments cancelled (seats passed to the waitlist)
	Applications int       // curation applications withdrawn
	Products     int       // products deleted
	Broadcasts   int       // per-recipient broadcast records removed
	Tickets      int       // hand-over tickets (the owner's messages to officers) removed
	// Promoted are the waitlisted owners who got a seat the person held:
	// the caller tells them.
	Promoted []Enrolment
}

// Tombstone is what remains of an erased registration: its id, when it
// was erased and a keyed hash of the NIK (so an audit can show that a NIK
// was erased, and the NIK may register again). Nothing else.
type Tombstone struct {
	Registration string    `json:"registration"`
	ErasedAt     time.Time `json:"erased_at"`
	NIKHash      string    `json:"nik_hash"`
}

// PersonEraser erases everything the service holds about the person of
// conversation c, in every region of regions, keeping only a Tombstone of
// the registration. It is idempotent: erasing again finds nothing and
// changes nothing. Training seats go to the waitlist through the same path
// as a cancel.
type PersonEraser interface {
	ErasePerson(ctx context.Context, regions []string, c bot.Conversation) (Erasure, error)
}
