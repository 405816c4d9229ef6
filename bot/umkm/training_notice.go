package umkm

import (
	"context"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// The schedule of training reminders and the notices serve sends for
// changes made elsewhere; the job that sends them is bot/jobs.

// Kinds of training notice: the two reminders before a training and the
// news that a waitlisted owner got a seat.
const (
	ReminderDayBefore = "h24" // 24 hours before the start
	ReminderSoon      = "h2"  // 2 hours before the start
	NoticePromoted    = "promoted"
)

// ReminderOffsets says how long before the start each reminder is due.
var ReminderOffsets = map[string]time.Duration{ReminderDayBefore: 24 * time.Hour, ReminderSoon: 2 * time.Hour}

// Reminder is one claimed item of the reminder schedule: one kind of
// reminder for every participant of one training.
type Reminder struct {
	Training string
	Kind     string
	Lease    time.Time // the claim holds until then; the store's token to finish it
}

// ReminderQueue is the shared reminder schedule. Several processes may
// claim at once: each due item goes to one of them for the lease; an item
// claimed by a process that dies is claimed again when its lease ends.
type ReminderQueue interface {
	// ClaimReminders takes up to max items due at now for lease.
	ClaimReminders(ctx context.Context, now time.Time, lease time.Duration, max int) ([]Reminder, error)
	// FinishReminder removes a claimed item (unless it was rescheduled meanwhile).
	FinishReminder(ctx context.Context, r Reminder) error
	// MarkReminded records that c got reminder r and reports whether this
	// was the first time. It is written before sending, so a reminder is
	// never sent twice (a crash right after it loses that one reminder).
	MarkReminded(ctx context.Context, r Reminder, c bot.Conversation) (first bool, err error)
}

// TrainingNotice is a notice waiting to be sent by serve, for changes made
// where no channel runs (a capacity raised from the CLI promotes owners).
type TrainingNotice struct {
	Kind      string    `json:"kind"`
	Enrolment Enrolment `json:"enrolment"`
}

// NoticeQueue holds notices for serve to send.
type NoticeQueue interface {
	PushNotices(ctx context.Context, ns ...TrainingNotice) error
	PopNotices(ctx context.Context, max int) ([]TrainingNotice, error)
}

// ParticipantLister lists a training's enrolments (every status).
type ParticipantLister interface {
	Participants(ctx context.Context, training string) ([]Enrolment, error)
}
