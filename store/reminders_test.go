package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/jobs"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
)

// recorder is a Notifier that counts what each person got.
type recorder struct {
	mu  sync.Mutex
	got map[string][]string // conversation → kinds
}

func (r *recorder) Notify(ctx context.Context, to bot.Conversation, outs ...bot.Out) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = map[string][]string{}
	}
	for _, o := range outs {
		r.got[to.String()] = append(r.got[to.String()], o.Texts[0].ID)
	}
	return nil
}

func (r *recorder) count(kind string) (people, messages int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, kinds := range r.got {
		n := 0
		for _, k := range kinds {
			if k == kind {
				n++
			}
		}
		if n > 0 {
			people++
		}
		messages += n
	}
	return people, messages
}

func runner(s *store.Store, n bot.Notifier, now *time.Time, mu *sync.Mutex) *jobs.Reminders {
	return &jobs.Reminders{Store: s, Notifier: n, Lease: time.Minute,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return *now },
		Compose: func(kind string, t *umkm.Training, e umkm.Enrolment) bot.Out {
			return bot.Say(bot.T(kind, "Training", t.ID))
		}}
}

// TestRemindersOncePerParticipant: two schedulers tick at the same time
// over and over; every confirmed participant gets each reminder once, the
// waitlisted none.
func TestRemindersOncePerParticipant(t *testing.T) {
	ctx := context.Background()
	now := trainingNow
	var mu sync.Mutex
	a, b := trainingStores(t, &now)
	tr := newTraining(t, a, 40)
	for i := 0; i < 50; i++ {
		enrol(t, a, tr.ID, owner(i), true)
	}
	rec := &recorder{}
	ra, rb := runner(a, rec, &now, &mu), runner(b, rec, &now, &mu)

	tick := func() {
		var wg sync.WaitGroup
		for _, r := range []*jobs.Reminders{ra, rb, ra, rb} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := r.Tick(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	tick() // nothing due a week before
	if p, m := rec.count(umkm.ReminderDayBefore); p != 0 || m != 0 {
		t.Fatalf("a week before: %d reminders sent", m)
	}
	mu.Lock()
	now = tr.Start.Add(-24 * time.Hour)
	mu.Unlock()
	for range 3 {
		tick()
	}
	if p, m := rec.count(umkm.ReminderDayBefore); p != 40 || m != 40 {
		t.Fatalf("H-1: %d people got %d reminders; want 40 once each", p, m)
	}
	mu.Lock()
	now = tr.Start.Add(-2 * time.Hour)
	mu.Unlock()
	for range 3 {
		tick()
	}
	if p, m := rec.count(umkm.ReminderSoon); p != 40 || m != 40 {
		t.Fatalf("2h before: %d people got %d reminders; want 40 once each", p, m)
	}
	if p, _ := rec.count(umkm.ReminderDayBefore); p != 40 {
		t.Fatalf("the day-before reminder went out again")
	}
}

// TestRemindersAfterRestart: a process claims the H-1 reminder, sends it
// to some participants and dies without finishing. When its lease runs
// out another process sends it to the rest only; later rounds and a
// restart send nothing more.
func TestRemindersAfterRestart(t *testing.T) {
	ctx := context.Background()
	now := trainingNow
	var mu sync.Mutex
	a, b := trainingStores(t, &now)
	tr := newTraining(t, a, 10)
	for i := 0; i < 10; i++ {
		enrol(t, a, tr.ID, owner(i), false)
	}
	now = tr.Start.Add(-23 * time.Hour)
	rec := &recorder{}
	// The process that dies: claims, marks and sends to owners 0-3.
	claimed, err := a.ClaimReminders(ctx, now, time.Minute, 10)
	if err != nil || len(claimed) != 1 || claimed[0].Kind != umkm.ReminderDayBefore {
		t.Fatalf("claim = %+v, %v; want the H-1 reminder", claimed, err)
	}
	for i := 0; i < 4; i++ {
		if first, err := a.MarkReminded(ctx, claimed[0], owner(i)); err != nil || !first {
			t.Fatalf("mark %d = %v, %v", i, first, err)
		}
		rec.Notify(ctx, owner(i), bot.Say(bot.T(umkm.ReminderDayBefore)))
	}
	// Within the lease nobody else takes it.
	rb := runner(b, rec, &now, &mu)
	if n, err := rb.Tick(ctx); err != nil || n != 0 {
		t.Fatalf("tick within the lease sent %d, %v", n, err)
	}
	now = now.Add(2 * time.Minute) // the lease ran out
	if n, err := rb.Tick(ctx); err != nil || n != 6 {
		t.Fatalf("tick after the lease sent %d, %v; want the 6 left", n, err)
	}
	restarted := runner(a, rec, &now, &mu)
	for range 2 {
		if n, err := restarted.Tick(ctx); err != nil || n != 0 {
			t.Fatalf("after restart sent %d, %v; want 0", n, err)
		}
	}
	if p, m := rec.count(umkm.ReminderDayBefore); p != 10 || m != 10 {
		t.Fatalf("%d people got %d reminders; want 10 once each", p, m)
	}
}

// TestRemindersTooLate: a process that was down past the start sends nothing.
func TestRemindersTooLate(t *testing.T) {
	ctx := context.Background()
	now := trainingNow
	var mu sync.Mutex
	s, _ := trainingStores(t, &now)
	tr := newTraining(t, s, 10)
	enrol(t, s, tr.ID, owner(1), false)
	now = tr.Start.Add(time.Minute)
	rec := &recorder{}
	if n, err := runner(s, rec, &now, &mu).Tick(ctx); err != nil || n != 0 {
		t.Fatalf("after the start sent %d, %v", n, err)
	}
	if left, _ := s.ClaimReminders(ctx, now.Add(time.Hour), time.Minute, 10); len(left) != 0 {
		t.Fatalf("stale reminders left on the schedule: %+v", left)
	}
}

// TestNoticesQueue: notices queued by the CLI are sent once by serve.
func TestNoticesQueue(t *testing.T) {
	ctx := context.Background()
	now := trainingNow
	var mu sync.Mutex
	s, other := trainingStores(t, &now)
	tr := newTraining(t, s, 1)
	e := enrol(t, s, tr.ID, owner(1), true)
	if err := s.PushNotices(ctx, umkm.TrainingNotice{Kind: umkm.NoticePromoted, Enrolment: e}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	r := runner(other, rec, &now, &mu)
	for range 2 {
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if p, m := rec.count(umkm.NoticePromoted); p != 1 || m != 1 {
		t.Fatalf("promotion notices: %d people, %d messages; want 1, 1", p, m)
	}
}

// signal is a Notifier that reports each message on a channel.
type signal chan bot.Conversation

func (s signal) Notify(ctx context.Context, to bot.Conversation, outs ...bot.Out) error {
	s <- to
	return nil
}

// TestRemindersRun: Run sends what is due and returns when its context ends.
func TestRemindersRun(t *testing.T) {
	now := trainingNow
	s, _ := trainingStores(t, &now)
	tr := newTraining(t, s, 10)
	enrol(t, s, tr.ID, owner(1), false)
	now = tr.Start.Add(-3 * time.Hour) // the day-before reminder is overdue, the 2-hour one not yet
	sent := make(signal, 4)
	r := &jobs.Reminders{Store: s, Notifier: sent, Every: time.Millisecond, Now: func() time.Time { return now },
		Compose: func(kind string, t *umkm.Training, e umkm.Enrolment) bot.Out { return bot.Say(bot.T(kind)) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	if got := <-sent; got != owner(1) {
		t.Fatalf("reminded %v, want owner 1", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v after cancel, want nil", err)
	}
	select {
	case extra := <-sent:
		t.Fatalf("a second reminder went to %v", extra)
	default:
	}
}
