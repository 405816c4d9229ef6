package bot

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// acker acknowledges delivered replies in batches. The ids of an idle
// conversation wait up to hold: most people answer within it, and the
// worker of their next turn takes the ids back and folds them into its
// commit, which costs nothing more; the rest go with every other
// conversation's in one pipeline.
type acker struct {
	store    Outbound
	hold     time.Duration
	mu       sync.Mutex
	pending  map[Conversation]pendingAcks
	inflight map[Conversation][]string // the batch being written
	landed   chan struct{}             // closed when it is
	flushing sync.Mutex
}

type pendingAcks struct {
	ids []string
	at  time.Time // when the first of them was delivered
}

// add keeps ids, which the caller no longer uses (the acker may keep the
// slice itself), to acknowledge at the next flush.
func (a *acker) add(c Conversation, ids []string) {
	if len(ids) == 0 || a.store == nil {
		return
	}
	a.mu.Lock()
	p := a.pending[c]
	if p.ids == nil {
		p.at = time.Now()
		p.ids = ids
	} else {
		p.ids = append(p.ids, ids...)
	}
	a.pending[c] = p
	a.mu.Unlock()
}

// take returns c's unacknowledged ids, for a commit to fold in. When c's
// ids are being written it waits for that write, so the commit does not
// mistake them for a backlog.
func (a *acker) take(c Conversation) []string {
	a.mu.Lock()
	ids := a.pending[c].ids
	if ids != nil {
		delete(a.pending, c)
	}
	var wait chan struct{}
	if _, ok := a.inflight[c]; ok {
		wait = a.landed
	}
	a.mu.Unlock()
	if wait != nil {
		<-wait
	}
	return ids
}

func (a *acker) run(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.flush(ctx, log, a.hold)
		}
	}
}

// flush writes the ids that waited at least hold (all of them: 0).
func (a *acker) flush(ctx context.Context, log *slog.Logger, hold time.Duration) {
	if a.store == nil {
		return
	}
	a.flushing.Lock()
	defer a.flushing.Unlock()
	a.mu.Lock()
	if len(a.pending) == 0 {
		a.mu.Unlock()
		return
	}
	batch := map[Conversation][]string{}
	before := time.Now().Add(-hold)
	for c, p := range a.pending {
		if hold <= 0 || !p.at.After(before) {
			batch[c] = p.ids
			delete(a.pending, c)
		}
	}
	if len(batch) == 0 {
		a.mu.Unlock()
		return
	}
	a.inflight, a.landed = batch, make(chan struct{})
	a.mu.Unlock()
	err := a.store.Ack(context.WithoutCancel(ctx), batch)
	a.mu.Lock()
	close(a.landed)
	a.inflight = nil
	a.mu.Unlock()
	if err != nil {
		// Unacknowledged replies are resent after the send deadline; put
		// them back so the next flush tries again first.
		log.Warn("acknowledge sent replies", "err", err)
		a.mu.Lock()
		for c, ids := range batch {
			p := a.pending[c]
			a.pending[c] = pendingAcks{ids: append(ids, p.ids...), at: time.Time{}}
		}
		a.mu.Unlock()
	}
}

// courier resends replies that were committed but not delivered: their
// worker's process died, or the platform failed. It claims due
// conversations from the store (any process may), sends each one's
// replies in order, and on a platform failure waits longer each time, up
// to SendRetryMax, so replies get through an outage of minutes and go out
// in order when the platform is back.
type courier struct {
	d        *Dispatcher
	store    Outbound
	mu       sync.Mutex
	attempts map[Conversation]int
	busy     atomic.Int32
	poke     chan struct{} // a round soon, please
}

// soon asks for a round after the other processes' acks are in.
func (k *courier) soon() {
	select {
	case k.poke <- struct{}{}:
	default:
	}
}

func (k *courier) run(ctx context.Context) {
	t := time.NewTicker(k.d.cfg.SendPoll)
	defer t.Stop()
	var late <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-late:
			late = nil
		case <-k.poke:
			// The replies waited on are acknowledged by a process that
			// acks at once (one that took the conversation from an offer)
			// within a round trip, by one that holds its acks within
			// AckHold: a round after the first, and one after the second.
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * k.d.cfg.AckEvery):
			}
			late = time.After(k.d.cfg.AckHold)
		}
		k.round(ctx)
	}
}

// round sends what is due now, up to 16 conversations at a time.
func (k *courier) round(ctx context.Context) {
	k.busy.Add(1)
	defer k.busy.Add(-1)
	due, err := k.store.Due(ctx, k.d.cfg.SendClaim, 100)
	if err != nil {
		if ctx.Err() == nil {
			k.d.log.Warn("look for unsent replies", "err", err)
		}
		return
	}
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for c, entries := range due {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			k.deliver(ctx, c, entries)
		}()
	}
	wg.Wait()
}

func (k *courier) deliver(ctx context.Context, c Conversation, entries []OutEntry) {
	log := k.d.convLog(c)
	k.mu.Lock()
	_, retrying := k.attempts[c]
	k.mu.Unlock()
	var done []string
	failed := false
	for i, e := range entries {
		r := k.d.deliver(ctx, c, e.Reply, log, !retrying)
		if r == sendRetry {
			failed = true
			break
		}
		if r == sendGone {
			for _, e := range entries[i:] {
				done = append(done, e.ID)
			}
			break
		}
		done = append(done, e.ID)
	}
	actx := context.WithoutCancel(ctx)
	if len(done) > 0 {
		if err := k.store.Ack(actx, map[Conversation][]string{c: done}); err != nil {
			log.get().Warn("acknowledge resent replies", "err", err)
		}
	}
	k.mu.Lock()
	n := k.attempts[c]
	if failed {
		k.attempts[c] = n + 1
	} else {
		delete(k.attempts, c)
	}
	k.mu.Unlock()
	if !failed {
		return
	}
	wait := k.d.cfg.Backoff << min(n, 20)
	if wait > k.d.cfg.SendRetryMax || wait <= 0 {
		wait = k.d.cfg.SendRetryMax
	}
	if err := k.store.Retry(actx, c, time.Now().Add(wait)); err != nil {
		log.get().Warn("reschedule unsent replies", "err", err)
	}
}
