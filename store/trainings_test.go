package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// trainingNow is the fixed clock of the training tests.
var trainingNow = time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Jakarta)

// trainingStores returns two stores (two clients, one prefix) on a fixed clock.
func trainingStores(t *testing.T, now *time.Time) (*store.Store, *store.Store) {
	t.Helper()
	clock := func() time.Time { return *now }
	if clusterAddrs != nil { // running under TestTrainingsCluster
		prefix := fmt.Sprintf("tcl%d", time.Now().UnixNano())
		a := redis.NewClusterClient(&redis.ClusterOptions{Addrs: clusterAddrs})
		b := redis.NewClusterClient(&redis.ClusterOptions{Addrs: clusterAddrs})
		t.Cleanup(func() { a.Close(); b.Close() })
		return store.New(a, store.Options{Prefix: prefix, Now: clock}), store.New(b, store.Options{Prefix: prefix, Now: clock})
	}
	rdb, prefix := redistest.Client(t)
	other := redistest.ClientWithPrefix(t, prefix)
	return store.New(rdb, store.Options{Prefix: prefix, Now: clock}), store.New(other, store.Options{Prefix: prefix, Now: clock})
}

func newTraining(t *testing.T, s *store.Store, capacity int) *umkm.Training {
	t.Helper()
	tr := &umkm.Training{
		Title: "Pemasaran Digital", Topic: "ecommerce", Organiser: "DKUPP", Place: "Aula DKUPP",
		Start: trainingNow.Add(7 * 24 * time.Hour), End: trainingNow.Add(7*24*time.Hour + 3*time.Hour),
		Deadline: trainingNow.Add(5 * 24 * time.Hour), Capacity: capacity,
	}
	if err := s.CreateTraining(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

func owner(i int) bot.Conversation {
	return bot.Conversation{Channel: bot.WhatsApp, User: fmt.Sprintf("62812%07d", i)}
}

func enrol(t *testing.T, s *store.Store, tr string, c bot.Conversation, waitlist bool) umkm.Enrolment {
	t.Helper()
	e, err := s.Enrol(context.Background(), umkm.Enrolment{Training: tr, Conv: c, Registration: "UMKM-3214-" + c.User[5:], At: trainingNow}, waitlist)
	if err != nil {
		t.Fatalf("enrol %s: %v", c, err)
	}
	return e
}

// TestEnrolConcurrent: 300 owners sign up at once on two clients for 75
// seats. Exactly 75 get a seat, 225 wait in the order they arrived, nobody
// is in twice and every attendance code is distinct.
func TestEnrolConcurrent(t *testing.T) {
	now := trainingNow
	a, b := trainingStores(t, &now)
	tr := newTraining(t, a, 75)
	const owners, workers = 300, 6
	got := make([]umkm.Enrolment, owners)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < owners; i += workers { // each worker's owners arrive in order
				e, err := s.Enrol(context.Background(), umkm.Enrolment{Training: tr.ID, Conv: owner(i), At: now}, true)
				if err != nil {
					t.Error(err)
					return
				}
				got[i] = e
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	confirmed, positions, codes := 0, map[int]int{}, map[string]bool{}
	for i, e := range got {
		switch e.Status {
		case umkm.StatusConfirmed:
			confirmed++
		case umkm.StatusWaitlisted:
			if _, dup := positions[e.Position]; dup {
				t.Errorf("waitlist position %d given twice", e.Position)
			}
			positions[e.Position] = i
		default:
			t.Errorf("owner %d: status %q", i, e.Status)
		}
		if codes[e.Code] {
			t.Errorf("attendance code %q given twice", e.Code)
		}
		codes[e.Code] = true
	}
	if confirmed != 75 || len(positions) != 225 {
		t.Fatalf("confirmed %d, waitlisted %d; want 75 and 225", confirmed, len(positions))
	}
	for p := 1; p <= 225; p++ {
		if _, ok := positions[p]; !ok {
			t.Fatalf("waitlist position %d missing", p)
		}
	}
	// Arrival order: within one worker, a later owner never gets a seat
	// after an earlier one was waitlisted, and waits further back.
	for w := 0; w < workers; w++ {
		last, waited := 0, false
		for i := w; i < owners; i += workers {
			e := got[i]
			if e.Status == umkm.StatusConfirmed && waited {
				t.Errorf("worker %d: owner %d seated after an earlier owner was waitlisted", w, i)
			}
			if e.Status == umkm.StatusWaitlisted {
				waited = true
				if e.Position <= last {
					t.Errorf("worker %d: owner %d at position %d, not after %d", w, i, e.Position, last)
				}
				last = e.Position
			}
		}
	}
	ps, err := b.Participants(context.Background(), tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[bot.Conversation]bool{}
	for i, p := range ps {
		if seen[p.Conv] {
			t.Errorf("%s listed twice", p.Conv)
		}
		seen[p.Conv] = true
		if i >= 75 && (p.Status != umkm.StatusWaitlisted || positions[p.Position] != ownerIndex(p.Conv)) {
			t.Errorf("participant %d: %+v does not match its sign-up answer", i, p)
		}
	}
	if len(ps) != owners {
		t.Fatalf("%d participants, want %d", len(ps), owners)
	}
	// Signing up again changes nothing.
	for i := 0; i < owners; i += 37 {
		again := enrol(t, a, tr.ID, owner(i), true)
		if again.Status != got[i].Status || again.Position != got[i].Position || again.Code != got[i].Code {
			t.Errorf("owner %d again: %+v, first %+v", i, again, got[i])
		}
	}
	loaded, err := a.Training(context.Background(), tr.ID)
	if err != nil || loaded.Confirmed != 75 || loaded.Waitlisted != 225 || loaded.SeatsLeft() != 0 {
		t.Fatalf("training after = %+v, %v", loaded, err)
	}
}

func ownerIndex(c bot.Conversation) int {
	var i int
	fmt.Sscanf(c.User[5:], "%d", &i)
	return i
}

func TestEnrolFullWithoutWaitlistStoresNothing(t *testing.T) {
	now := trainingNow
	s, _ := trainingStores(t, &now)
	tr := newTraining(t, s, 1)
	enrol(t, s, tr.ID, owner(1), false)
	e := enrol(t, s, tr.ID, owner(2), false)
	if e.Status != umkm.StatusFull || e.Position != 0 {
		t.Fatalf("second on a full training = %+v, want penuh", e)
	}
	if _, err := s.Enrolment(context.Background(), tr.ID, owner(2)); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("enrolment after penuh: err = %v, want ErrNotFound", err)
	}
	if es, _ := s.EnrolmentsOf(context.Background(), owner(2)); len(es) != 0 {
		t.Fatalf("owner index after penuh = %+v, want empty", es)
	}
	if e := enrol(t, s, tr.ID, owner(2), true); e.Status != umkm.StatusWaitlisted || e.Position != 1 {
		t.Fatalf("asking for the waitlist = %+v", e)
	}
}

func TestEnrolClosed(t *testing.T) {
	ctx := context.Background()
	now := trainingNow
	s, _ := trainingStores(t, &now)
	tr := newTraining(t, s, 10)
	for name, at := range map[string]time.Time{"deadline": tr.Deadline, "started": tr.Start.Add(time.Minute)} {
		_, err := s.Enrol(ctx, umkm.Enrolment{Training: tr.ID, Conv: owner(1), At: at}, true)
		if !errors.Is(err, umkm.ErrTrainingClosed) {
			t.Errorf("%s: err = %v, want ErrTrainingClosed", name, err)
		}
	}
	tr.Status = umkm.TrainingClosed
	if _, err := s.UpdateTraining(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enrol(ctx, umkm.Enrolment{Training: tr.ID, Conv: owner(1), At: now}, true); !errors.Is(err, umkm.ErrTrainingClosed) {
		t.Errorf("closed by the Dinas: err = %v", err)
	}
	if _, err := s.Enrol(ctx, umkm.Enrolment{Training: "999", Conv: owner(1), At: now}, true); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("no such training: err = %v", err)
	}
}

// TestCancelPromotes: a freed seat goes to the first waitlisted, once.
func TestCancelPromotes(t *testing.T) {
	ctx := context.Background()
	now := trainingNow
	s, other := trainingStores(t, &now)
	tr := newTraining(t, s, 2)
	for i := 1; i <= 4; i++ {
		enrol(t, s, tr.ID, owner(i), true)
	}
	ok, promoted, err := other.Cancel(ctx, tr.ID, owner(1))
	if err != nil || !ok || len(promoted) != 1 || promoted[0].Conv != owner(3) || promoted[0].Status != umkm.StatusConfirmed || promoted[0].Code == "" {
		t.Fatalf("cancel = %v, %+v, %v; want owner 3 promoted", ok, promoted, err)
	}
	ok, promoted, err = s.Cancel(ctx, tr.ID, owner(1))
	if err != nil || ok || len(promoted) != 0 {
		t.Fatalf("second cancel = %v, %+v, %v; want nothing", ok, promoted, err)
	}
	if e, _ := s.Enrolment(ctx, tr.ID, owner(4)); e.Status != umkm.StatusWaitlisted || e.Position != 1 {
		t.Fatalf("owner 4 = %+v, want first on the waitlist", e)
	}
	if e, _ := s.Enrolment(ctx, tr.ID, owner(1)); e.Status != umkm.StatusCancelled {
		t.Fatalf("owner 1 = %+v, want dibatalkan", e)
	}
	// Cancelling a waitlist place promotes nobody.
	ok, promoted, err = s.Cancel(ctx, tr.ID, owner(4))
	if err != nil || !ok || len(promoted) != 0 {
		t.Fatalf("cancel waitlisted = %v, %+v, %v", ok, promoted, err)
	}
	loaded, _ := s.Training(ctx, tr.ID)
	if loaded.Confirmed != 2 || loaded.Waitlisted != 0 {
		t.Fatalf("after: %d confirmed, %d waiting; want 2, 0", loaded.Confirmed, loaded.Waitlisted)
	}
	// Signing up again after cancelling: back in, at the back.
	if e := enrol(t, s, tr.ID, owner(1), true); e.Status != umkm.StatusWaitlisted || e.Position != 1 {
		t.Fatalf("re-enrol after cancel = %+v", e)
	}
}

func TestCapacityEdit(t *testing.T) {
	ctx := context.Background()
	now := trainingNow
	s, _ := trainingStores(t, &now)
	tr := newTraining(t, s, 3)
	for i := 1; i <= 6; i++ {
		enrol(t, s, tr.ID, owner(i), true)
	}
	tr.Capacity = 2
	_, err := s.UpdateTraining(ctx, tr)
	var ce *umkm.CapacityError
	if !errors.As(err, &ce) || ce.Confirmed != 3 {
		t.Fatalf("capacity 2 below 3 confirmed: err = %v", err)
	}
	if loaded, _ := s.Training(ctx, tr.ID); loaded.Capacity != 3 {
		t.Fatalf("refused edit changed capacity to %d", loaded.Capacity)
	}
	tr.Capacity = 5
	promoted, err := s.UpdateTraining(ctx, tr)
	if err != nil || len(promoted) != 2 || promoted[0].Conv != owner(4) || promoted[1].Conv != owner(5) {
		t.Fatalf("raise to 5 = %+v, %v; want owners 4 and 5 promoted", promoted, err)
	}
	if e, _ := s.Enrolment(ctx, tr.ID, owner(6)); e.Status != umkm.StatusWaitlisted || e.Position != 1 {
		t.Fatalf("owner 6 = %+v", e)
	}
}

func TestCheckIn(t *testing.T) {
	ctx := context.Background()
	now := trainingNow
	s, _ := trainingStores(t, &now)
	tr := newTraining(t, s, 1)
	seated := enrol(t, s, tr.ID, owner(1), true)
	waiting := enrol(t, s, tr.ID, owner(2), true)
	if _, err := s.CheckIn(ctx, tr.ID, "AAAAAA", owner(1)); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("wrong code: err = %v", err)
	}
	if _, err := s.CheckIn(ctx, tr.ID, seated.Code, owner(2)); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("someone else's code: err = %v", err)
	}
	if _, err := s.CheckIn(ctx, tr.ID, waiting.Code, owner(2)); !errors.Is(err, store.ErrNotSeated) {
		t.Errorf("waitlisted code: err = %v", err)
	}
	for range 2 { // twice: the second is a no-op
		e, err := s.CheckIn(ctx, tr.ID, seated.Code, owner(1))
		if err != nil || e.Status != umkm.StatusAttended {
			t.Fatalf("right code = %+v, %v", e, err)
		}
	}
	if e, err := s.CheckIn(ctx, tr.ID, seated.Code, bot.Conversation{}); err != nil || e.Conv != owner(1) {
		t.Fatalf("Dinas check-in = %+v, %v", e, err)
	}
	// An attended owner keeps the seat and cannot cancel it.
	if ok, _, err := s.Cancel(ctx, tr.ID, owner(1)); ok || err != nil {
		t.Fatalf("cancel after attending = %v, %v", ok, err)
	}
}

func TestEnrolmentsOfAndTrainings(t *testing.T) {
	ctx := context.Background()
	now := trainingNow
	s, _ := trainingStores(t, &now)
	later := newTraining(t, s, 5)
	sooner := &umkm.Training{Title: "Kemasan", Topic: "kemasan", Online: true, Link: "https://meet.example/x",
		Start: trainingNow.Add(48 * time.Hour), End: trainingNow.Add(50 * time.Hour), Capacity: 5}
	if err := s.CreateTraining(ctx, sooner); err != nil {
		t.Fatal(err)
	}
	ts, err := s.Trainings(ctx, now)
	if err != nil || len(ts) != 2 || ts[0].ID != sooner.ID || ts[1].ID != later.ID || !ts[0].Online {
		t.Fatalf("Trainings = %+v, %v; want sooner first", ts, err)
	}
	if ts, _ := s.Trainings(ctx, sooner.End); len(ts) != 1 {
		t.Fatalf("after the first ended: %d trainings, want 1", len(ts))
	}
	enrol(t, s, later.ID, owner(1), true)
	enrol(t, s, sooner.ID, owner(1), true)
	es, err := s.EnrolmentsOf(ctx, owner(1))
	if err != nil || len(es) != 2 || es[0].Status != umkm.StatusConfirmed || es[0].Registration == "" {
		t.Fatalf("EnrolmentsOf = %+v, %v", es, err)
	}
	if _, err := s.Training(ctx, "404"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("missing training: err = %v", err)
	}
}

// BenchmarkEnrol measures one sign-up (the seat script plus the owner
// index) from parallel clients, half of them landing on the waitlist.
func BenchmarkEnrol(b *testing.B) {
	rdb, prefix := redistest.Client(b)
	now := trainingNow
	s := store.New(rdb, store.Options{Prefix: prefix, Now: func() time.Time { return now }})
	tr := &umkm.Training{Title: "Bench", Topic: "lainnya", Place: "Aula", Start: now.Add(72 * time.Hour),
		End: now.Add(75 * time.Hour), Capacity: max(b.N/2, 1)}
	if err := s.CreateTraining(context.Background(), tr); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := owner(int(n.Add(1)))
			if _, err := s.Enrol(context.Background(), umkm.Enrolment{Training: tr.ID, Conv: c, At: now}, true); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestCancelRace: the same owner cancels from two processes at once, many
// times over: each seat is freed once and promotes exactly one owner.
func TestCancelRace(t *testing.T) {
	ctx := context.Background()
	now := trainingNow
	a, b := trainingStores(t, &now)
	tr := newTraining(t, a, 20)
	for i := 0; i < 40; i++ {
		enrol(t, a, tr.ID, owner(i), true)
	}
	var mu sync.Mutex
	promotions := map[bot.Conversation]int{}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		for _, s := range []*store.Store{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, p, err := s.Cancel(ctx, tr.ID, owner(i))
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				for _, e := range p {
					promotions[e.Conv]++
				}
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	if len(promotions) != 20 {
		t.Fatalf("%d owners promoted, want 20", len(promotions))
	}
	for c, n := range promotions {
		if n != 1 || ownerIndex(c) < 20 {
			t.Errorf("%s promoted %d times", c, n)
		}
	}
}

// TestSeatInvariant: sign-ups, cancels and capacity edits race on two
// clients; afterwards seats never exceed capacity, nobody waits while a
// seat is free, and every status matches the seat and waitlist sets.
func TestSeatInvariant(t *testing.T) {
	ctx := context.Background()
	now := trainingNow
	a, b := trainingStores(t, &now)
	tr := newTraining(t, a, 10)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		s := []*store.Store{a, b}[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 60; i++ {
				o := owner(w*1000 + i%25)
				var err error
				switch i % 5 {
				case 0, 1, 2:
					_, err = s.Enrol(ctx, umkm.Enrolment{Training: tr.ID, Conv: o, At: now}, true)
				case 3:
					_, _, err = s.Cancel(ctx, tr.ID, o)
				case 4:
					edit := *tr
					edit.Capacity = 5 + (w*7+i)%15
					var ce *umkm.CapacityError
					if _, err = s.UpdateTraining(ctx, &edit); errors.As(err, &ce) {
						err = nil
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got, err := a.Training(ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Confirmed > got.Capacity || (got.Waitlisted > 0 && got.Confirmed != got.Capacity) {
		t.Fatalf("capacity %d, seats %d, waiting %d", got.Capacity, got.Confirmed, got.Waitlisted)
	}
	ps, err := a.Participants(ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	count := map[umkm.EnrolStatus]int{}
	for _, p := range ps {
		count[p.Status]++
	}
	if count[umkm.StatusConfirmed] != got.Confirmed || count[umkm.StatusWaitlisted] != got.Waitlisted {
		t.Fatalf("statuses %v do not match %d seats and %d waiting", count, got.Confirmed, got.Waitlisted)
	}
}
