package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/jobs"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/locales"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

const bcRegion = "32.14"

var (
	bcKecamatan = []string{"Purwakarta", "Plered", "Campaka", "Babakancikao", "Wanayasa"}
	bcSectors   = []string{"kuliner", "fesyen", "kriya", "jasa"}
	bcSizes     = []string{"mikro", "mikro", "mikro", "kecil", "menengah"}
)

// population registers n owners, alternating Telegram and WhatsApp, with
// kecamatan, sector and size spread deterministically; every optOutEvery-th
// owner (0: none) opts out. It returns the registrations.
func population(t testing.TB, s *store.Store, n, optOutEvery int) []*umkm.Registration {
	t.Helper()
	ctx := context.Background()
	regs := make([]*umkm.Registration, 0, n)
	for i := range n {
		ch := bot.Telegram
		if i%2 == 1 {
			ch = bot.WhatsApp
		}
		r := &umkm.Registration{
			Region: bcRegion, RegisteredAt: time.Unix(1_700_000_000+int64(i), 0),
			Conv:      bot.Conversation{Channel: ch, User: strconv.Itoa(100000 + i)},
			OwnerName: "Owner " + strconv.Itoa(i), NIK: fmt.Sprintf("3214%012d", i), Phone: "+6281200000000",
			BusinessName: "Usaha", Sector: bcSectors[(i/2)%len(bcSectors)], Kecamatan: bcKecamatan[(i/3)%len(bcKecamatan)],
			SizeClass: bcSizes[(i/5)%len(bcSizes)],
		}
		if err := s.CreateRegistration(ctx, r, 1); err != nil {
			t.Fatal(err)
		}
		if optOutEvery > 0 && i%optOutEvery == 0 {
			if err := s.SetProfile(ctx, r.Conv, bot.FieldOptOut, "1"); err != nil {
				t.Fatal(err)
			}
		}
		regs = append(regs, r)
	}
	return regs
}

// fakeChannel records what each conversation received and when.
type fakeChannel struct {
	mu    sync.Mutex
	got   map[bot.Conversation]int
	times map[bot.ChannelID][]time.Time
	texts []string
	// hook, if set, runs before a send is recorded; a non-nil error fails
	// the send, record says whether it arrived anyway.
	hook func(ctx context.Context, to bot.Conversation) (record bool, err error)
}

func newFakeChannel() *fakeChannel {
	return &fakeChannel{got: map[bot.Conversation]int{}, times: map[bot.ChannelID][]time.Time{}}
}

func (f *fakeChannel) Send(ctx context.Context, to bot.Conversation, r bot.Reply) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	record, err := true, error(nil)
	if f.hook != nil {
		record, err = f.hook(ctx, to)
	}
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if record {
		f.got[to]++
		f.times[to.Channel] = append(f.times[to.Channel], now)
		if len(f.texts) < 50 {
			f.texts = append(f.texts, r.Text)
		}
	}
	return err
}

// maxInWindow is the most sends within any window of length w.
func maxInWindow(ts []time.Time, w time.Duration) int {
	ts = slices.Clone(ts)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	best, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

type bcWorld struct {
	s       *store.Store
	out     *bot.Outbox
	channel *fakeChannel
	officer []string // what the composing officer was told
	mu      sync.Mutex
}

// newFanout builds one "process": a fan-out on its own store client
// sharing the prefix.
func (w *bcWorld) newFanout(t testing.TB, s *store.Store, owner string, rates map[bot.ChannelID]store.Rate, idle time.Duration) *jobs.Fanout {
	t.Helper()
	return jobs.NewFanout(jobs.FanoutConfig{
		Owner:   owner,
		Workers: map[bot.ChannelID]int{bot.Telegram: 3, bot.WhatsApp: 2},
		Batch:   map[bot.ChannelID]int{bot.Telegram: 16, bot.WhatsApp: 16}, Idle: idle, Poll: 20 * time.Millisecond,
	}, s, s, umkm.AudienceSource{Region: bcRegion, Registrations: s}, s, w.out, s.Limiter(rates), nil)
}

func newBCWorld(t testing.TB) (*bcWorld, *store.Store) {
	t.Helper()
	rdb, other, prefix := clientPair(t)
	w := &bcWorld{s: store.New(rdb, store.Options{Prefix: prefix}), channel: newFakeChannel()}
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	cat.OnMissing = func(lang, id string) { t.Errorf("message %q missing in %s", id, lang) }
	w.out = bot.NewOutbox(cat, w.s, "id", nil)
	w.out.Register(bot.Telegram, w.channel)
	w.out.Register(bot.WhatsApp, w.channel)
	w.out.Register(bot.Console, bot.SenderFunc(func(ctx context.Context, to bot.Conversation, r bot.Reply) error {
		w.mu.Lock()
		w.officer = append(w.officer, r.Text)
		w.mu.Unlock()
		return nil
	}))
	return w, store.New(other, store.Options{Prefix: prefix})
}

var officer = bot.Conversation{Channel: bot.Console, User: "petugas"}

func (w *bcWorld) create(t testing.TB, a umkm.Audience) *umkm.Broadcast {
	t.Helper()
	b := &umkm.Broadcast{Region: bcRegion, Text: "Pelatihan kemasan 1 Desember di aula Dinas.", Audience: a,
		CreatedBy: officer, CreatedAt: time.Now(), At: time.Now().Add(-time.Second)}
	if err := w.s.CreateBroadcast(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return b
}

// waitStatus waits until broadcast id reaches status want.
func (w *bcWorld) waitStatus(t testing.TB, id string, want umkm.BroadcastStatus, limit time.Duration) *umkm.Broadcast {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		b, err := w.s.Broadcast(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status == want {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("broadcast %s is %s with %+v after %s; want %s", id, b.Status, b.Counts, limit, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitOfficer waits until the composing officer was told n things.
func (w *bcWorld) waitOfficer(t testing.TB, n int, limit time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(limit); ; time.Sleep(20 * time.Millisecond) {
		w.mu.Lock()
		got := len(w.officer)
		w.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			return
		}
	}
}

func checkCounts(t *testing.T, b *umkm.Broadcast) {
	t.Helper()
	c := b.Counts
	if c.Sent+c.Failed+c.Skipped+c.Unknown != c.Audience {
		t.Fatalf("counts %+v do not add up to the audience", c)
	}
}

// TestBroadcastTwoProcessesTenThousand: 10,000 recipients over a
// Telegram-shaped (bursty) and a WhatsApp-shaped (spread, jittered)
// channel, delivered by two processes: everyone once, opted-out owners
// never, the rate of each channel within its limit in every one-second
// window, and the officer told at 25/50/75/100 %.
func TestBroadcastTwoProcessesTenThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 recipients")
	}
	// The 10,000 on a real Redis; the embedded fallback (a machine
	// with only Go: miniredis runs Lua and streams far slower) checks the
	// same properties on 1,000.
	n := 10_000
	if redistest.Kind() == redistest.KindEmbedded && clusterAddrs == nil {
		n = 1_000
		t.Logf("embedded store: %d recipients instead of 10,000", n)
	}
	w, s2 := newBCWorld(t)
	regs := population(t, w.s, n, 20)
	// The guard absorbs the delay between a grant and the send under -race
	// on a loaded 2-core machine.
	rates := map[bot.ChannelID]store.Rate{
		bot.Telegram: {N: 2000, Per: time.Second, Guard: 200 * time.Millisecond},
		bot.WhatsApp: {N: 2000, Per: time.Second, Spread: true, Jitter: 0.3, Guard: 200 * time.Millisecond},
	}
	b := w.create(t, umkm.Audience{})
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i, s := range []*store.Store{w.s, s2} {
		f := w.newFanout(t, s, "proc"+strconv.Itoa(i), rates, time.Minute)
		wg.Add(1)
		go func() { defer wg.Done(); f.Run(ctx) }()
	}
	done := w.waitStatus(t, b.ID, umkm.BroadcastDone, 2*time.Minute)
	// The 100 % notice follows the status change; wait for it before the
	// processes stop (a slow fsync on the embedded store widens that gap).
	w.waitOfficer(t, 4, 30*time.Second)
	cancel()
	wg.Wait()
	t.Logf("delivered %d in %s", n, time.Since(start).Round(time.Millisecond))

	optedOut := 0
	for i, r := range regs {
		n := w.channel.got[r.Conv]
		switch {
		case i%20 == 0:
			optedOut++
			if n != 0 {
				t.Fatalf("opted-out %s received %d", r.Conv, n)
			}
		case n != 1:
			t.Fatalf("%s received %d times, want once", r.Conv, n)
		}
	}
	checkCounts(t, done)
	want := umkm.BroadcastCounts{Audience: int64(n), Sent: int64(n - optedOut), Skipped: int64(optedOut)}
	if c := done.Counts; c.Audience != want.Audience || c.Sent != want.Sent || c.Skipped != want.Skipped || c.Failed != 0 || c.Unknown != 0 {
		t.Fatalf("counts %+v, want %+v", c, want)
	}
	for ch, r := range rates {
		if m := maxInWindow(w.channel.times[ch], time.Second); m > r.N {
			t.Errorf("%s: %d sends within one second, limit %d", ch, m, r.N)
		} else {
			t.Logf("%s: at most %d sends in any one-second window (limit %d)", ch, m, r.N)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.officer) != 4 {
		t.Fatalf("officer told %d times, want 4 (25/50/75/100 %%): %q", len(w.officer), w.officer)
	}
	if txt := w.channel.texts[0]; txt != b.Text+"\n\n— Siaran Dinas. Tidak ingin menerima siaran lagi? Balas BERHENTI." {
		t.Fatalf("recipient saw %q", txt)
	}
}

// TestBroadcastWorkerCrash: a process dies in the middle of a send (its
// context cancelled without cleanup); another takes its abandoned work over.
// The job completes, nobody receives twice, the interrupted send is
// counted unknown, and the counts add up.
func TestBroadcastWorkerCrash(t *testing.T) {
	w, s2 := newBCWorld(t)
	regs := population(t, w.s, 600, 0)
	b := w.create(t, umkm.Audience{})
	rates := map[bot.ChannelID]store.Rate{bot.Telegram: {N: 5000, Per: time.Second}, bot.WhatsApp: {N: 5000, Per: time.Second}}

	ctxA, crash := context.WithCancel(context.Background())
	var calls int
	var mu sync.Mutex
	w.channel.hook = func(ctx context.Context, to bot.Conversation) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 150 {
			crash() // the message went out, then the process died
			return true, context.Canceled
		}
		return true, nil
	}
	a := w.newFanout(t, w.s, "A", rates, 300*time.Millisecond)
	doneA := make(chan struct{})
	go func() { defer close(doneA); a.Run(ctxA) }()
	<-doneA
	w.channel.hook = nil
	mid, _ := w.s.Broadcast(context.Background(), b.ID)
	if mid.Status != umkm.BroadcastRunning || mid.Counts.Done() >= 600 {
		t.Fatalf("after the crash: %s %+v; want running and unfinished", mid.Status, mid.Counts)
	}

	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	bproc := w.newFanout(t, s2, "B", rates, 300*time.Millisecond)
	doneB := make(chan struct{})
	go func() { defer close(doneB); bproc.Run(ctxB) }()
	done := w.waitStatus(t, b.ID, umkm.BroadcastDone, time.Minute)
	stopB()
	<-doneB

	checkCounts(t, done)
	if done.Counts.Unknown < 1 {
		t.Fatalf("counts %+v: the interrupted send should be unknown", done.Counts)
	}
	received := 0
	for _, r := range regs {
		n := w.channel.got[r.Conv]
		if n > 1 {
			t.Fatalf("%s received %d times", r.Conv, n)
		}
		received += n
		rec, err := w.s.DeliveryRecord(context.Background(), b.ID, r.Conv)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 && rec != "unknown" {
			t.Fatalf("%s received nothing but is recorded %q", r.Conv, rec)
		}
	}
	if int64(received) < done.Counts.Sent || int64(received) > done.Counts.Sent+done.Counts.Unknown {
		t.Fatalf("received %d, counts %+v", received, done.Counts)
	}
}

// TestBroadcastSegments: audience filters select exactly the matching
// owners of a generated population; the preview count equals delivered
// plus skipped.
func TestBroadcastSegments(t *testing.T) {
	w, _ := newBCWorld(t)
	regs := population(t, w.s, 400, 7)
	src := umkm.AudienceSource{Region: bcRegion, Registrations: w.s}
	audiences := []umkm.Audience{
		{},
		{Kecamatan: []string{"Plered"}},
		{Kecamatan: []string{"plered", "Babakan Cikao"}, Sectors: []string{"kuliner"}},
		{Sectors: []string{"kriya", "jasa"}, Sizes: []string{"kecil"}},
		{Sizes: []string{"menengah"}, Channels: []bot.ChannelID{bot.WhatsApp}},
		{Channels: []bot.ChannelID{bot.Telegram}, Kecamatan: []string{"Wanayasa"}, Sectors: []string{"fesyen"}, Sizes: []string{"mikro"}},
		{Kecamatan: []string{"Tidak Ada"}},
	}
	for i, a := range audiences {
		want := map[bot.ChannelID]int{}
		for _, r := range regs {
			if (len(a.Kecamatan) == 0 || slices.ContainsFunc(a.Kecamatan, func(k string) bool { return squash(k) == squash(r.Kecamatan) })) &&
				(len(a.Sectors) == 0 || slices.Contains(a.Sectors, r.Sector)) &&
				(len(a.Sizes) == 0 || slices.Contains(a.Sizes, r.SizeClass)) &&
				(len(a.Channels) == 0 || slices.Contains(a.Channels, r.Conv.Channel)) {
				want[r.Conv.Channel]++
			}
		}
		got, err := src.Count(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("audience %d %+v: count %v, want %v", i, a, got, want)
		}
	}
	// Deliver one segment: preview = delivered + skipped.
	a := audiences[2]
	preview, _ := src.Count(context.Background(), a)
	b := w.create(t, a)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := w.newFanout(t, w.s, "P", nil, time.Minute)
	go f.Run(ctx)
	done := w.waitStatus(t, b.ID, umkm.BroadcastDone, time.Minute)
	delivered := 0
	for _, n := range w.channel.got {
		delivered += n
	}
	total := 0
	for _, n := range preview {
		total += n
	}
	if int64(delivered)+done.Counts.Skipped != int64(total) || done.Counts.Audience != int64(total) || done.Counts.Skipped == 0 {
		t.Fatalf("preview %d, delivered %d, counts %+v", total, delivered, done.Counts)
	}
}

func squash(s string) string {
	b := []rune{}
	for _, r := range s {
		if r != ' ' {
			b = append(b, r|0x20)
		}
	}
	return string(b)
}

// TestBroadcastControl: pause, resume and cancel apply only where they
// make sense; a paused broadcast sends nothing.
func TestBroadcastControl(t *testing.T) {
	w, _ := newBCWorld(t)
	ctx := context.Background()
	population(t, w.s, 40, 0)
	b := w.create(t, umkm.Audience{})
	steps := []struct {
		action string
		want   umkm.BroadcastStatus
		err    error
	}{
		{umkm.BroadcastResume, "", umkm.ErrBroadcastState},
		{umkm.BroadcastPause, umkm.BroadcastPaused, nil},
		{umkm.BroadcastPause, "", umkm.ErrBroadcastState},
		{umkm.BroadcastResume, umkm.BroadcastScheduled, nil},
		{umkm.BroadcastPause, umkm.BroadcastPaused, nil},
	}
	for i, s := range steps {
		got, err := w.s.ControlBroadcast(ctx, b.ID, s.action)
		if !errors.Is(err, s.err) || (s.err == nil && got != s.want) {
			t.Fatalf("step %d %s: %s, %v; want %s, %v", i, s.action, got, err, s.want, s.err)
		}
	}
	if _, err := w.s.ControlBroadcast(ctx, "999", umkm.BroadcastPause); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("pause of a missing broadcast: %v", err)
	}
	// Paused before its time: nothing is expanded or sent.
	runCtx, cancel := context.WithCancel(ctx)
	f := w.newFanout(t, w.s, "C", nil, 200*time.Millisecond)
	fdone := make(chan struct{})
	go func() { defer close(fdone); f.Run(runCtx) }()
	time.Sleep(150 * time.Millisecond)
	if n := len(w.channel.got); n != 0 {
		t.Fatalf("paused broadcast sent %d", n)
	}
	if _, err := w.s.ControlBroadcast(ctx, b.ID, umkm.BroadcastResume); err != nil {
		t.Fatal(err)
	}
	done := w.waitStatus(t, b.ID, umkm.BroadcastDone, time.Minute)
	cancel()
	<-fdone
	checkCounts(t, done)
	if done.Counts.Sent != 40 {
		t.Fatalf("counts %+v, want 40 sent", done.Counts)
	}
	if _, err := w.s.ControlBroadcast(ctx, b.ID, umkm.BroadcastCancel); !errors.Is(err, umkm.ErrBroadcastState) {
		t.Fatalf("cancel of a done broadcast: %v", err)
	}
	list, err := w.s.Broadcasts(ctx)
	if err != nil || len(list) != 1 || list[0].ID != b.ID || list[0].Text != b.Text {
		t.Fatalf("list = %+v, %v", list, err)
	}
}

// TestBroadcastCancelStops: a cancelled broadcast stops sending.
func TestBroadcastCancelStops(t *testing.T) {
	w, _ := newBCWorld(t)
	ctx := context.Background()
	population(t, w.s, 200, 0)
	b := w.create(t, umkm.Audience{})
	var once sync.Once
	w.channel.hook = func(ctx context.Context, to bot.Conversation) (bool, error) {
		once.Do(func() {
			if _, err := w.s.ControlBroadcast(ctx, b.ID, umkm.BroadcastCancel); err != nil {
				t.Error(err)
			}
		})
		return true, nil
	}
	runCtx, cancel := context.WithCancel(ctx)
	f := w.newFanout(t, w.s, "X", map[bot.ChannelID]store.Rate{bot.Telegram: {N: 50, Per: time.Second}, bot.WhatsApp: {N: 50, Per: time.Second}}, time.Minute)
	fdone := make(chan struct{})
	go func() { defer close(fdone); f.Run(runCtx) }()
	w.waitStatus(t, b.ID, umkm.BroadcastCancelled, time.Minute)
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-fdone
	got, _ := w.s.Broadcast(ctx, b.ID)
	if got.Counts.Sent >= 200 || got.Counts.Remaining() == 0 {
		t.Fatalf("cancelled broadcast went on: %+v", got.Counts)
	}
}

// TestRateLimiterSlowDown: after the platform asks to slow down every
// process waits, then runs at half rate.
func TestRateLimiterSlowDown(t *testing.T) {
	w, s2 := newBCWorld(t)
	ctx := context.Background()
	rates := map[bot.ChannelID]store.Rate{bot.Telegram: {N: 4, Per: time.Second}}
	l1, l2 := w.s.Limiter(rates), s2.Limiter(rates)
	granted := 0
	for range 10 {
		wait, err := l1.Reserve(ctx, bot.Telegram)
		if err != nil {
			t.Fatal(err)
		}
		if wait == 0 {
			granted++
		}
	}
	if granted != 4 {
		t.Fatalf("granted %d of 10 at once, want 4", granted)
	}
	if wait, _ := l2.Reserve(ctx, bot.Telegram); wait <= 0 || wait > 1100*time.Millisecond {
		t.Fatalf("second process may send in %s; want a wait up to the window", wait)
	}
	if wait, _ := l2.Reserve(ctx, bot.WhatsApp); wait != 0 {
		t.Fatalf("an unlimited channel waits %s", wait)
	}
	if err := l2.SlowDown(ctx, bot.Telegram, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if wait, _ := l1.Reserve(ctx, bot.Telegram); wait < 4*time.Second {
		t.Fatalf("after slow down: wait %s, want about 5s", wait)
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want store.Rate
		ok   bool
	}{
		{"25/s", store.Rate{N: 25, Per: time.Second}, true},
		{"25", store.Rate{N: 25, Per: time.Second}, true},
		{"6/m", store.Rate{N: 6, Per: time.Minute}, true},
		{" 6 / min ", store.Rate{N: 6, Per: time.Minute}, true},
		{"300/jam", store.Rate{N: 300, Per: time.Hour}, true},
		{"10/30s", store.Rate{N: 10, Per: 30 * time.Second}, true},
		{"0/s", store.Rate{}, false},
		{"-3/s", store.Rate{}, false},
		{"abc", store.Rate{}, false},
		{"5/fortnight", store.Rate{}, false},
		{"5/0s", store.Rate{}, false},
	}
	for _, tt := range tests {
		got, err := store.ParseRate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseRate(%q) = %+v, %v; want %+v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if s := (store.Rate{N: 6, Per: time.Minute}).String(); s != "6/m" {
		t.Errorf("String = %q", s)
	}
}

// TestDeliveryRecords: the idempotency record's transitions. A recipient
// queued twice is sent once; an entry reclaimed after a crash while
// "sending" is recorded unknown and not sent again; a slow worker's late
// outcome replaces unknown; a skip needs no Begin.
func TestDeliveryRecords(t *testing.T) {
	w, s2 := newBCWorld(t)
	ctx := context.Background()
	b := w.create(t, umkm.Audience{})
	alice := bot.Conversation{Channel: bot.Telegram, User: "1"}
	bob := bot.Conversation{Channel: bot.Telegram, User: "2"}
	carol := bot.Conversation{Channel: bot.Telegram, User: "3"}
	if err := w.s.Enqueue(ctx, b.ID, []bot.Conversation{alice, bob, alice, carol}); err != nil {
		t.Fatal(err)
	}
	if ok, err := w.s.ClaimExpansion(ctx, b.ID, "x", time.Minute); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := w.s.StartBroadcast(ctx, b.ID, 3, time.Now()); err != nil {
		t.Fatal(err)
	}
	ds, err := w.s.Take(ctx, b.ID, bot.Telegram, "A", 10, time.Minute)
	if err != nil || len(ds) != 4 {
		t.Fatalf("take = %d, %v", len(ds), err)
	}
	begin := func(s *store.Store, d umkm.Delivery, want umkm.Outcome) umkm.Progress {
		t.Helper()
		o, p, err := s.Begin(ctx, d)
		if err != nil || o != want {
			t.Fatalf("begin %s entry %s = %s, %v; want %s", d.To, d.Entry, o, err, want)
		}
		return p
	}
	begin(w.s, ds[0], umkm.OutcomeGo) // alice: and then the process dies
	begin(w.s, ds[1], umkm.OutcomeGo) // bob
	if _, err := w.s.Settle(ctx, ds[1], umkm.OutcomeSent, ""); err != nil {
		t.Fatal(err)
	}
	begin(w.s, ds[2], umkm.OutcomeDuplicate) // alice's second entry
	if _, err := w.s.Settle(ctx, ds[3], umkm.OutcomeSkipped, umkm.ReasonOptOut); err != nil {
		t.Fatal(err)
	}
	// Another process reclaims alice's abandoned entry.
	again, err := s2.Take(ctx, b.ID, bot.Telegram, "B", 10, 0)
	if err != nil || len(again) != 1 || again[0].Entry != ds[0].Entry {
		t.Fatalf("reclaimed %+v, %v; want alice's entry", again, err)
	}
	p := begin(s2, again[0], umkm.OutcomeUnknown)
	if !p.Finished || p.Done != 3 || p.Milestone != 100 {
		t.Fatalf("progress after unknown: %+v", p)
	}
	if rec, _ := w.s.DeliveryRecord(ctx, b.ID, alice); rec != "unknown" {
		t.Fatalf("alice recorded %q", rec)
	}
	// The slow first worker finishes after all: its outcome replaces unknown.
	if _, err := w.s.Settle(ctx, ds[0], umkm.OutcomeSent, ""); err != nil {
		t.Fatal(err)
	}
	got, _ := w.s.Broadcast(ctx, b.ID)
	want := umkm.BroadcastCounts{Audience: 3, Sent: 2, Skipped: 1}
	if c := got.Counts; c.Audience != want.Audience || c.Sent != want.Sent || c.Skipped != want.Skipped || c.Unknown != 0 || c.Failed != 0 || got.Status != umkm.BroadcastDone {
		t.Fatalf("%s %+v, want done %+v", got.Status, c, want)
	}
	if rec, _ := w.s.DeliveryRecord(ctx, b.ID, carol); rec != "skipped:optout" {
		t.Fatalf("carol recorded %q", rec)
	}
	if left, _ := s2.Take(ctx, b.ID, bot.Telegram, "B", 10, 0); len(left) != 0 {
		t.Fatalf("entries left: %+v", left)
	}
}

// TestBroadcastSendOutcomes: a blocked recipient is skipped as unreachable
// (and marked so), a refused send fails with a reason, and a "slow down"
// answer slows every process and the recipient still gets it once.
func TestBroadcastSendOutcomes(t *testing.T) {
	w, _ := newBCWorld(t)
	ctx := context.Background()
	regs := population(t, w.s, 30, 0)
	blocked, broken, flooded := regs[2].Conv, regs[4].Conv, regs[6].Conv
	var mu sync.Mutex
	floods := 0
	var flood, retried time.Time
	w.channel.hook = func(ctx context.Context, to bot.Conversation) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		switch to {
		case blocked:
			return false, fmt.Errorf("telegram 403: %w", bot.ErrUnreachable)
		case broken:
			return false, errors.New("telegram 400: chat not found")
		case flooded:
			if floods == 0 {
				floods++
				flood = time.Now()
				return false, &bot.RetryAfterError{After: 10 * time.Millisecond, Err: errors.New("429")}
			}
			retried = time.Now()
		}
		return true, nil
	}
	b := w.create(t, umkm.Audience{})
	runCtx, cancel := context.WithCancel(ctx)
	f := w.newFanout(t, w.s, "O", map[bot.ChannelID]store.Rate{bot.Telegram: {N: 1000, Per: time.Second}}, time.Minute)
	fdone := make(chan struct{})
	go func() { defer close(fdone); f.Run(runCtx) }()
	done := w.waitStatus(t, b.ID, umkm.BroadcastDone, time.Minute)
	cancel()
	<-fdone
	checkCounts(t, done)
	if c := done.Counts; c.Sent != 28 || c.Skipped != 1 || c.Failed != 1 {
		t.Fatalf("counts %+v, want 28 sent, 1 skipped, 1 failed", c)
	}
	if w.channel.got[flooded] != 1 || w.channel.got[blocked] != 0 {
		t.Fatalf("flooded got %d, blocked got %d", w.channel.got[flooded], w.channel.got[blocked])
	}
	if rec, _ := w.s.DeliveryRecord(ctx, b.ID, broken); rec != "failed:send_error" {
		t.Fatalf("broken recorded %q", rec)
	}
	if p, _ := w.s.Profile(ctx, blocked); !p.Unreachable {
		t.Fatal("blocked owner not marked unreachable")
	}
	if retried.Sub(flood) < 900*time.Millisecond {
		t.Fatalf("resent %s after the 429; the limiter should hold every send at least a second", retried.Sub(flood))
	}
}

// TestBroadcastTrainingAudience: an audience by training is its confirmed
// participants (not the waitlist), combined with the other filters.
func TestBroadcastTrainingAudience(t *testing.T) {
	w, _ := newBCWorld(t)
	ctx := context.Background()
	regs := population(t, w.s, 12, 0)
	now := time.Now()
	tr := &umkm.Training{Title: "Kemasan", Topic: "kemasan", Start: now.Add(72 * time.Hour), End: now.Add(76 * time.Hour),
		Capacity: 3, Status: umkm.TrainingOpen, CreatedAt: now, Place: "Aula DKUPP"}
	if err := w.s.CreateTraining(ctx, tr); err != nil {
		t.Fatal(err)
	}
	want := map[bot.ChannelID]int{}
	for i, r := range regs[:5] { // three seats, two on the waitlist
		e, err := w.s.Enrol(ctx, umkm.Enrolment{Training: tr.ID, Conv: r.Conv, Registration: r.ID, At: now}, true)
		if err != nil {
			t.Fatal(err)
		}
		if i < 3 && e.Status != umkm.StatusConfirmed {
			t.Fatalf("enrolment %d: %s", i, e.Status)
		}
		if e.Status == umkm.StatusConfirmed {
			want[r.Conv.Channel]++
		}
	}
	src := umkm.AudienceSource{Region: bcRegion, Registrations: w.s, Enrolments: w.s}
	got, err := src.Count(ctx, umkm.Audience{Trainings: []string{tr.ID}})
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("training audience %v, %v; want %v", got, err, want)
	}
	got, _ = src.Count(ctx, umkm.Audience{Trainings: []string{tr.ID}, Channels: []bot.ChannelID{bot.WhatsApp}})
	if got[bot.WhatsApp] != want[bot.WhatsApp] || got[bot.Telegram] != 0 {
		t.Fatalf("training+whatsapp audience %v", got)
	}
	if _, err := (umkm.AudienceSource{Region: bcRegion, Registrations: w.s}).Count(ctx, umkm.Audience{Trainings: []string{tr.ID}}); !errors.Is(err, umkm.ErrNoTrainings) {
		t.Fatalf("without a training store: %v", err)
	}
}

// TestBroadcastGroupLost: a store that lost its consumer groups (the
// embedded store after a restart keeps entries, not groups) goes on: the
// unfinished entries are read again, a finished recipient is not sent
// twice, an interrupted one is recorded unknown.
func TestBroadcastGroupLost(t *testing.T) {
	w, _ := newBCWorld(t)
	ctx := context.Background()
	b := w.create(t, umkm.Audience{})
	people := []bot.Conversation{{Channel: bot.Telegram, User: "1"}, {Channel: bot.Telegram, User: "2"}, {Channel: bot.Telegram, User: "3"}}
	if err := w.s.Enqueue(ctx, b.ID, people); err != nil {
		t.Fatal(err)
	}
	w.s.ClaimExpansion(ctx, b.ID, "x", time.Minute)
	if err := w.s.StartBroadcast(ctx, b.ID, 3, time.Now()); err != nil {
		t.Fatal(err)
	}
	ds, _ := w.s.Take(ctx, b.ID, bot.Telegram, "A", 2, time.Minute)
	w.s.Begin(ctx, ds[0])
	w.s.Settle(ctx, ds[0], umkm.OutcomeSent, "")
	w.s.Begin(ctx, ds[1]) // and the process stops here
	stream := w.s.Key("b:"+b.ID, "q", "telegram")
	if err := w.s.Client().XGroupDestroy(ctx, stream, "fanout").Err(); err != nil {
		t.Fatal(err)
	}
	var got []umkm.Outcome
	for range 3 {
		again, err := w.s.Take(ctx, b.ID, bot.Telegram, "B", 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range again {
			o, _, err := w.s.Begin(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if o == umkm.OutcomeGo {
				w.s.Settle(ctx, d, umkm.OutcomeSent, "")
			}
			got = append(got, o)
		}
	}
	if fmt.Sprint(got) != "[unknown go]" {
		t.Fatalf("after the group was lost: %v; want [unknown go]", got)
	}
	done, _ := w.s.Broadcast(ctx, b.ID)
	if done.Status != umkm.BroadcastDone || done.Counts.Sent != 2 || done.Counts.Unknown != 1 {
		t.Fatalf("%s %+v", done.Status, done.Counts)
	}
}

type banned struct{ until time.Time }

func (b banned) BulkAllowed() (bool, time.Time) { return !time.Now().Before(b.until), b.until }

// TestBroadcastWaitsOutWhatsAppBan: while the WhatsApp channel says bulk
// sending is not allowed (a temporary ban), nothing goes out on it;
// Telegram carries on; afterwards WhatsApp is served.
func TestBroadcastWaitsOutWhatsAppBan(t *testing.T) {
	w, _ := newBCWorld(t)
	population(t, w.s, 20, 0)
	b := w.create(t, umkm.Audience{})
	ban := banned{until: time.Now().Add(400 * time.Millisecond)}
	f := w.newFanout(t, w.s, "W", nil, time.Minute)
	f.SetBulkChecker(bot.WhatsApp, ban)
	ctx, cancel := context.WithCancel(context.Background())
	fdone := make(chan struct{})
	go func() { defer close(fdone); f.Run(ctx) }()
	w.waitStatus(t, b.ID, umkm.BroadcastDone, time.Minute)
	cancel()
	<-fdone
	for _, ts := range w.channel.times[bot.WhatsApp] {
		if ts.Before(ban.until) {
			t.Fatalf("a WhatsApp message went out at %s, during the ban (until %s)", ts, ban.until)
		}
	}
	if len(w.channel.times[bot.WhatsApp]) != 10 || len(w.channel.times[bot.Telegram]) != 10 {
		t.Fatalf("sent %d on WhatsApp, %d on Telegram; want 10 each", len(w.channel.times[bot.WhatsApp]), len(w.channel.times[bot.Telegram]))
	}
}

// TestRateLimiterLeased: at a high rate two processes lease grants in
// chunks; together they never get more than N in a window, a slow-down
// from one stops the other once its lease ends, and after a window the
// full rate is there again.
func TestRateLimiterLeased(t *testing.T) {
	w, s2 := newBCWorld(t)
	ctx := context.Background()
	rates := map[bot.ChannelID]store.Rate{bot.Telegram: {N: 1000, Per: time.Second}}
	l1, l2 := w.s.Limiter(rates), s2.Limiter(rates)
	burst := func() int {
		granted := 0
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, l := range []*store.Limiter{l1, l2, l1, l2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 1000 {
					wait, err := l.Reserve(ctx, bot.Telegram)
					if err != nil {
						t.Error(err)
						return
					}
					if wait == 0 {
						mu.Lock()
						granted++
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		return granted
	}
	start := time.Now()
	got := burst()
	if time.Since(start) < time.Second && (got > 1000 || got == 0) {
		t.Fatalf("granted %d of 4000 within a window, want 1 to 1000", got)
	}
	time.Sleep(1300 * time.Millisecond)
	if got := burst(); got == 0 {
		t.Fatal("nothing granted a window later")
	}
	if err := l2.SlowDown(ctx, bot.Telegram, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // l1's lease lapses
	if wait, _ := l1.Reserve(ctx, bot.Telegram); wait < 4*time.Second {
		t.Fatalf("after slow down: wait %s, want about 5s", wait)
	}
}
