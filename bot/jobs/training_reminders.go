package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// ReminderDeps is the storage the Reminders runner needs.
type ReminderDeps interface {
	umkm.ReminderQueue
	umkm.NoticeQueue
	umkm.ParticipantLister
	umkm.TrainingCatalog
}

// Reminders sends training reminders when they are due and the notices the
// CLI queued. Run polls every Every; Tick does one round (tests call it with
// a fixed clock).
type Reminders struct {
	Store    ReminderDeps
	Notifier bot.Notifier
	// Compose builds the message for a notice kind; the flows own the words.
	Compose func(kind string, t *umkm.Training, e umkm.Enrolment) bot.Out
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
func (r *Reminders) remind(ctx context.Context, rem umkm.Reminder, now time.Time) (int, error) {
	t, err := r.Store.Training(ctx, rem.Training)
	if errors.Is(err, bot.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	// Too late to be useful (the process was down): a day-before reminder
	// after the two-hour one was due, any reminder after the start.
	if !now.Before(t.Start) || (rem.Kind == umkm.ReminderDayBefore && !now.Before(t.Start.Add(-umkm.ReminderOffsets[umkm.ReminderSoon]))) {
		return 0, nil
	}
	ps, err := r.Store.Participants(ctx, rem.Training)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, p := range ps {
		if p.Status != umkm.StatusConfirmed {
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
			bot.ConvLogger(r.log(), p.Conv, "").Warn("send training reminder", "training", t.ID, "kind", rem.Kind, "err", err)
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
			bot.ConvLogger(r.log(), n.Enrolment.Conv, "").Warn("send training notice", "training", t.ID, "kind", n.Kind, "err", err)
			continue
		}
		sent++
	}
	return sent, nil
}
