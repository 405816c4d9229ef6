package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

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
	MarkReminded(ctx context.Context, r Reminder, c Conversation) (first bool, err error)
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

// ReminderDeps is the storage the Reminders runner needs.
type ReminderDeps interface {
	ReminderQueue
	NoticeQueue
	ParticipantLister
	TrainingCatalog
}

// Reminders sends training reminders when they are due and the notices the
// CLI queued. Run polls every Every; Tick does one round (tests call it with
// a fixed clock).
type Reminders struct {
	Store    ReminderDeps
	Notifier Notifier
	// Compose builds the message for a notice kind; the flows own the words.
	Compose func(kind string, t *Training, e Enrolment) Out
	Every   time.Duration    // default 30s
	Lease   time.Duration    // default 5m
	Now     func() time.Time // default time.Now
	Log     *slog.Logger
}

func (r *Reminders) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reminders) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

// Run ticks until ctx ends. A failed round is logged and tried again at
// the next tick.
func (r *Reminders) Run(ctx context.Context) error {
	every := r.Every
	if every <= 0 {
		every = 30 * time.Second
	}
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		if _, err := r.Tick(ctx); err != nil && ctx.Err() == nil {
			r.log().Warn("training reminders", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tk.C:
		}
	}
}

// Tick sends what is due now and the queued notices. It returns the number
// of messages sent.
func (r *Reminders) Tick(ctx context.Context) (sent int, err error) {
	lease := r.Lease
	if lease <= 0 {
		lease = 5 * time.Minute
	}
	now := r.now()
	due, err := r.Store.ClaimReminders(ctx, now, lease, 20)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, rem := range due {
		n, err := r.remind(ctx, rem, now)
		sent += n
		if err != nil {
			errs = append(errs, err) // the lease runs out and the item is claimed again
			continue
		}
		if err := r.Store.FinishReminder(ctx, rem); err != nil {
			errs = append(errs, err)
		}
	}
	n, err := r.drainNotices(ctx)
	sent += n
	return sent, errors.Join(append(errs, err)...)
}

// remind sends reminder rem to every confirmed participant not reminded yet.
func (r *Reminders) remind(ctx context.Context, rem Reminder, now time.Time) (int, error) {
	t, err := r.Store.Training(ctx, rem.Training)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	// Too late to be useful (the process was down): a day-before reminder
	// after the two-hour one was due, any reminder after the start.
	if !now.Before(t.Start) || (rem.Kind == ReminderDayBefore && !now.Before(t.Start.Add(-ReminderOffsets[ReminderSoon]))) {
		return 0, nil
	}
	ps, err := r.Store.Participants(ctx, rem.Training)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, p := range ps {
		if p.Status != StatusConfirmed {
			continue
		}
		first, err := r.Store.MarkReminded(ctx, rem, p.Conv)
		if err != nil {
			return sent, err
		}
		if !first {
			continue
		}
		if err := r.Notifier.Notify(ctx, p.Conv, r.Compose(rem.Kind, t, p)); err != nil {
			ConvLogger(r.log(), p.Conv, "").Warn("send training reminder", "training", t.ID, "kind", rem.Kind, "err", err)
			continue
		}
		sent++
	}
	return sent, nil
}

// drainNotices sends the notices the CLI queued.
func (r *Reminders) drainNotices(ctx context.Context) (int, error) {
	ns, err := r.Store.PopNotices(ctx, 100)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, n := range ns {
		t, err := r.Store.Training(ctx, n.Enrolment.Training)
		if err != nil {
			return sent, fmt.Errorf("notice of training %s: %w", n.Enrolment.Training, err)
		}
		if err := r.Notifier.Notify(ctx, n.Enrolment.Conv, r.Compose(n.Kind, t, n.Enrolment)); err != nil {
			ConvLogger(r.log(), n.Enrolment.Conv, "").Warn("send training notice", "training", t.ID, "kind", n.Kind, "err", err)
			continue
		}
		sent++
	}
	return sent, nil
}
