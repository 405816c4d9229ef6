package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// FanoutConfig tunes broadcast delivery.
type FanoutConfig struct {
	Owner string // unique name of this process (consumer names, leases)
	// Channels are the program's channels: each gets its Workers senders
	// (default 1) taking Batch entries at once, paced by the limiter and
	// held while its Bulk says no. A channel registered while the fan-out
	// runs gets its workers at the next poll.
	Channels *bot.Channels
	// Workers and Batch override, per channel id, what Channels says (and
	// serve channels without a registry, as tests do).
	Workers map[bot.ChannelID]int
	Batch   map[bot.ChannelID]int
	Idle    time.Duration // a delivery unacknowledged this long was abandoned by a crashed worker (default 2m)
	Poll    time.Duration // how often broadcasts are looked for (default 1s)
	Lease   time.Duration // lease of one audience expansion (default 10m)
	Tries   int           // sends to one recipient when the platform says slow down (default 3)
	Now     func() time.Time
}

// Fanout delivers broadcasts: it expands due broadcasts into per-recipient
// work in the shared queue and sends it, paced by the shared rate limiter,
// with an idempotency record per recipient. Any number of processes may
// run one each.
type Fanout struct {
	cfg      FanoutConfig
	queue    umkm.BroadcastQueue
	store    umkm.BroadcastStore
	audience umkm.AudienceSource
	profiles bot.ProfileStore
	out      bot.Notifier
	limiter  bot.RateLimiter
	bulk     map[bot.ChannelID]bot.BulkChecker
	log      *slog.Logger

	running atomic.Pointer[[]string]
	mu      sync.Mutex
	cache   map[string]*umkm.Broadcast
	sleep   func(ctx context.Context, d time.Duration) bool
}

// NewFanout builds a fan-out.
func NewFanout(cfg FanoutConfig, queue umkm.BroadcastQueue, store umkm.BroadcastStore, audience umkm.AudienceSource,
	profiles bot.ProfileStore, out bot.Notifier, limiter bot.RateLimiter, log *slog.Logger) *Fanout {
	if cfg.Owner == "" {
		cfg.Owner = "local"
	}
	if cfg.Idle <= 0 {
		cfg.Idle = 2 * time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 10 * time.Minute
	}
	if cfg.Tries <= 0 {
		cfg.Tries = 3
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Fanout{cfg: cfg, queue: queue, store: store, audience: audience, profiles: profiles, out: out,
		limiter: limiter, bulk: map[bot.ChannelID]bot.BulkChecker{}, log: log.With("part", "broadcasts"),
		cache: map[string]*umkm.Broadcast{}, sleep: bot.Sleep}
}

// SetBulkChecker makes ch's deliveries wait while c says bulk sending is
// not allowed, in place of the channel's own Bulk (for a fan-out without
// a registry).
func (f *Fanout) SetBulkChecker(ch bot.ChannelID, c bot.BulkChecker) { f.bulk[ch] = c }

// Run expands due broadcasts and delivers until ctx ends, then waits for
// its workers (a send in flight is finished or abandoned with ctx).
func (f *Fanout) Run(ctx context.Context) error {
	f.schedule(ctx)
	var wg sync.WaitGroup
	started := map[bot.ChannelID]bool{}
	f.startWorkers(ctx, &wg, started)
	tick := time.NewTicker(f.cfg.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil
		case <-tick.C:
			f.startWorkers(ctx, &wg, started)
			f.schedule(ctx)
		}
	}
}

// startWorkers starts the workers of every channel that has none yet: the
// registered channels and those Workers names.
func (f *Fanout) startWorkers(ctx context.Context, wg *sync.WaitGroup, started map[bot.ChannelID]bool) {
	ids := f.cfg.Channels.IDs()
	for ch := range f.cfg.Workers {
		if !slices.Contains(ids, ch) {
			ids = append(ids, ch)
		}
	}
	for _, ch := range ids {
		if started[ch] {
			continue
		}
		started[ch] = true
		n, ok := f.cfg.Workers[ch]
		if !ok {
			c, _ := f.cfg.Channels.Get(ch)
			n = max(c.Workers, 1)
		}
		for i := range n {
			wg.Go(func() { f.work(ctx, ch, fmt.Sprintf("%s-%s-%d", f.cfg.Owner, ch, i)) })
		}
	}
}

// schedule expands the broadcasts whose time has come and refreshes the
// list the workers serve.
func (f *Fanout) schedule(ctx context.Context) {
	due, running, err := f.queue.DueBroadcasts(ctx, f.cfg.Now())
	if err != nil {
		if ctx.Err() == nil {
			f.log.Warn("look for broadcasts", "err", err)
		}
		return
	}
	for _, id := range due {
		started, err := f.Expand(ctx, id)
		if err != nil && ctx.Err() == nil {
			f.log.Error("expand broadcast audience", "broadcast", id, "err", err)
		}
		if started {
			running = append(running, id)
		}
	}
	f.running.Store(&running)
}

// Expand queues the audience of scheduled broadcast id and starts it;
// started is false when another process is on it.
func (f *Fanout) Expand(ctx context.Context, id string) (started bool, err error) {
	ok, err := f.queue.ClaimExpansion(ctx, id, f.cfg.Owner, f.cfg.Lease)
	if err != nil || !ok {
		return false, err
	}
	b, err := f.store.Broadcast(ctx, id)
	if err != nil {
		return false, fmt.Errorf("load broadcast %s: %w", id, err)
	}
	var n, unknown int64
	batch := make([]bot.Conversation, 0, 512)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := f.queue.Enqueue(ctx, id, batch)
		batch = batch[:0]
		return err
	}
	err = f.audience.Each(ctx, b.Audience, func(c bot.Conversation) error {
		if !f.serves(c.Channel) {
			unknown++ // no worker would ever take it: the broadcast would not end
			return nil
		}
		n++
		batch = append(batch, c)
		if len(batch) == cap(batch) {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return false, fmt.Errorf("queue audience of broadcast %s: %w", id, err)
	}
	if err := f.queue.StartBroadcast(ctx, id, n, f.cfg.Now()); err != nil {
		return false, fmt.Errorf("start broadcast %s: %w", id, err)
	}
	if unknown > 0 {
		f.log.Warn("owners on channels this program does not have are left out", "broadcast", id, "left_out", unknown)
	}
	f.log.Info("broadcast started", "broadcast", id, "audience", n)
	return true, nil
}

// serves reports whether the program has channel ch (a registered one, or
// one Workers names); without a registry, any.
func (f *Fanout) serves(ch bot.ChannelID) bool {
	_, ok := f.cfg.Workers[ch]
	return f.cfg.Channels == nil || ok || f.cfg.Channels.Has(ch)
}

// work is one worker of channel ch: it takes deliveries of the running
// broadcasts and sends them.
func (f *Fanout) work(ctx context.Context, ch bot.ChannelID, consumer string) {
	for ctx.Err() == nil {
		took := 0
		if p := f.running.Load(); p != nil {
			for _, id := range *p {
				ds, err := f.queue.Take(ctx, id, ch, consumer, f.batch(ch), f.cfg.Idle)
				if err != nil {
					if ctx.Err() == nil {
						f.log.Warn("take deliveries", "broadcast", id, "channel", ch, "err", err)
					}
					continue
				}
				took += len(ds)
				for _, d := range ds {
					if ctx.Err() != nil {
						return
					}
					if f.Deliver(ctx, d) == umkm.OutcomeHold {
						// Paused, cancelled or a store error: the rest of
						// the batch stays queued (taken over after Idle)
						// rather than spending rate-limit slots.
						break
					}
				}
			}
		}
		if took == 0 && !f.sleep(ctx, f.cfg.Poll/4) {
			return
		}
	}
}

func (f *Fanout) batch(ch bot.ChannelID) int {
	if n := f.cfg.Batch[ch]; n > 0 {
		return n
	}
	if c, _ := f.cfg.Channels.Get(ch); c.Batch > 0 {
		return c.Batch
	}
	return 16
}

// Deliver sends one broadcast to one recipient at most once, recording the
// outcome. It returns it (OutcomeHold when the broadcast is not running or
// ctx ended before anything was recorded).
func (f *Fanout) Deliver(ctx context.Context, d umkm.Delivery) umkm.Outcome {
	b, err := f.broadcast(ctx, d.Broadcast)
	if err != nil {
		f.log.Warn("load broadcast", "broadcast", d.Broadcast, "err", err)
		return umkm.OutcomeHold
	}
	log := bot.ConvLogger(f.log, d.To, "").With("broadcast", d.Broadcast)
	if o, done := f.screen(ctx, d, log); done {
		return o
	}
	waited, ok := f.pace(ctx, d.To.Channel, log)
	if !ok {
		return umkm.OutcomeHold
	}
	if waited > time.Second { // a long wait: opt-out may have changed meanwhile
		if o, done := f.screen(ctx, d, log); done {
			return o
		}
	}
	o, p, err := f.queue.Begin(ctx, d)
	if err != nil {
		log.Warn("record sending", "err", err)
		return umkm.OutcomeHold
	}
	if o == umkm.OutcomeUnknown {
		log.Warn("delivery interrupted earlier; recorded unknown, not retried")
		f.progress(ctx, b, p)
	}
	if o != umkm.OutcomeGo {
		return o
	}
	o, reason := f.send(ctx, d, b, log)
	if o == umkm.OutcomeHold {
		return o // ctx ended mid-send: the record stays "sending" and becomes unknown
	}
	p, err = f.settle(ctx, d, o, reason)
	if err != nil {
		log.Error("record outcome", "outcome", o, "err", err)
		return o
	}
	f.progress(ctx, b, p)
	return o
}

// screen skips opted-out and unreachable recipients, and those no longer
// registered (erased since the audience was queued: their entries stay in
// the queue, but nothing goes to them); done reports that the delivery is
// finished (or must wait).
func (f *Fanout) screen(ctx context.Context, d umkm.Delivery, log *slog.Logger) (umkm.Outcome, bool) {
	prof, err := f.profiles.Profile(ctx, d.To)
	if err != nil {
		log.Warn("load profile", "err", err)
		return umkm.OutcomeHold, true
	}
	reason := ""
	switch {
	case prof.OptOut:
		reason = umkm.ReasonOptOut
	case prof.Unreachable:
		reason = umkm.ReasonUnreachable
	default:
		registered, err := f.registered(ctx, d.To)
		if err != nil {
			log.Warn("load registration", "err", err)
			return umkm.OutcomeHold, true
		}
		if registered {
			return "", false
		}
		reason = umkm.ReasonNotRegistered
	}
	p, err := f.settle(ctx, d, umkm.OutcomeSkipped, reason)
	if err != nil {
		log.Warn("record skip", "err", err)
		return umkm.OutcomeHold, true
	}
	if b, err := f.broadcast(ctx, d.Broadcast); err == nil {
		f.progress(ctx, b, p)
	}
	return umkm.OutcomeSkipped, true
}

// registered reports whether c still has a registration in the region the
// audience came from (true when the fan-out has no registrations to ask).
func (f *Fanout) registered(ctx context.Context, c bot.Conversation) (bool, error) {
	if f.audience.Registrations == nil {
		return true, nil
	}
	_, err := f.audience.Registrations.RegistrationFor(ctx, f.audience.Region, c)
	if errors.Is(err, bot.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// pace waits for the channel's bulk permission and a rate-limit slot.
func (f *Fanout) pace(ctx context.Context, ch bot.ChannelID, log *slog.Logger) (time.Duration, bool) {
	start := f.cfg.Now()
	for {
		if c := f.bulkChecker(ch); c != nil {
			if ok, until := c.BulkAllowed(); !ok {
				wait := until.Sub(f.cfg.Now())
				if wait <= 0 {
					wait = f.cfg.Poll
				}
				log.Warn("channel does not allow bulk sending now; holding", "until", until)
				if !f.sleep(ctx, min(wait, time.Minute)) {
					return 0, false
				}
				continue
			}
		}
		wait, err := f.limiter.Reserve(ctx, ch)
		if err != nil {
			log.Warn("rate limiter", "err", err)
			wait = f.cfg.Poll
		}
		if wait == 0 && err == nil {
			return f.cfg.Now().Sub(start), true
		}
		if !f.sleep(ctx, wait) {
			return 0, false
		}
	}
}

// bulkChecker is what says whether ch may send broadcasts now, if anything.
func (f *Fanout) bulkChecker(ch bot.ChannelID) bot.BulkChecker {
	if c := f.bulk[ch]; c != nil {
		return c
	}
	c, _ := f.cfg.Channels.Get(ch)
	return c.Bulk
}

// send delivers the message, retrying when the platform asks to slow down.
func (f *Fanout) send(ctx context.Context, d umkm.Delivery, b *umkm.Broadcast, log *slog.Logger) (umkm.Outcome, string) {
	for try := 1; ; try++ {
		var err error
		if pn, ok := f.out.(bot.PhotoNotifier); ok && b.Image != nil {
			err = pn.NotifyPhoto(ctx, d.To, *b.Image, b.ImageFrom, umkm.BroadcastMessage(b))
		} else {
			err = f.out.Notify(ctx, d.To, umkm.BroadcastMessage(b))
		}
		var ra *bot.RetryAfterError
		switch {
		case err == nil:
			return umkm.OutcomeSent, ""
		case errors.Is(err, bot.ErrUnreachable):
			return umkm.OutcomeSkipped, umkm.ReasonUnreachable
		case ctx.Err() != nil:
			return umkm.OutcomeHold, ""
		case errors.As(err, &ra):
			log.Warn("platform asks to slow down", "after", ra.After, "try", try)
			if lerr := f.limiter.SlowDown(ctx, d.To.Channel, ra.After); lerr != nil {
				log.Warn("slow the limiter down", "err", lerr)
			}
			if try >= f.cfg.Tries {
				return umkm.OutcomeFailed, "rate_limited"
			}
			if !f.sleep(ctx, ra.After) {
				return umkm.OutcomeHold, ""
			}
			if _, ok := f.pace(ctx, d.To.Channel, log); !ok {
				return umkm.OutcomeHold, ""
			}
		default:
			log.Warn("send broadcast", "err", err)
			if errors.Is(err, bot.ErrNoChannel) {
				return umkm.OutcomeFailed, "no_channel"
			}
			return umkm.OutcomeFailed, "send_error"
		}
	}
}

// settle records an outcome, retrying a store error a few times.
func (f *Fanout) settle(ctx context.Context, d umkm.Delivery, o umkm.Outcome, reason string) (umkm.Progress, error) {
	var err error
	for i := range 5 {
		var p umkm.Progress
		if p, err = f.queue.Settle(context.WithoutCancel(ctx), d, o, reason); err == nil {
			return p, nil
		}
		if !f.sleep(ctx, time.Duration(50<<i)*time.Millisecond) {
			break
		}
	}
	return umkm.Progress{}, err
}

// progress tells the officer who composed the broadcast in chat when it
// crossed 25, 50, 75 and 100 %.
func (f *Fanout) progress(ctx context.Context, b *umkm.Broadcast, p umkm.Progress) {
	if p.Finished {
		f.forget(b.ID)
		f.log.Info("broadcast done", "broadcast", b.ID, "audience", p.Audience)
	}
	if p.Milestone == 0 || b.CreatedBy.User == "" {
		return
	}
	cur, err := f.store.Broadcast(ctx, b.ID)
	if err != nil {
		f.log.Warn("load broadcast progress", "broadcast", b.ID, "err", err)
		return
	}
	c := cur.Counts
	msg := bot.T("broadcast.progress", "ID", b.ID, "Percent", p.Milestone, "Sent", c.Sent, "Failed", c.Failed,
		"Skipped", c.Skipped, "Unknown", c.Unknown, "Remaining", c.Remaining(), "Audience", c.Audience)
	if p.Milestone == 100 {
		msg.ID = "broadcast.finished"
	}
	if err := f.out.Notify(ctx, b.CreatedBy, bot.Say(msg)); err != nil {
		f.log.Warn("tell officer of progress", "broadcast", b.ID, "err", err)
	}
}

// broadcast returns a broadcast's content, cached: it never changes.
func (f *Fanout) broadcast(ctx context.Context, id string) (*umkm.Broadcast, error) {
	f.mu.Lock()
	b := f.cache[id]
	f.mu.Unlock()
	if b != nil {
		return b, nil
	}
	b, err := f.store.Broadcast(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load broadcast %s: %w", id, err)
	}
	f.mu.Lock()
	f.cache[id] = b
	f.mu.Unlock()
	return b, nil
}

func (f *Fanout) forget(id string) {
	f.mu.Lock()
	delete(f.cache, id)
	f.mu.Unlock()
}
