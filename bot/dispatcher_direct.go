package bot

import (
	"context"
	"time"
)

// Direct turns: a message its channel holds durably until it is taken
// (Telegram's poll journal keeps a fetched batch until every update of it
// was taken) need not be queued before its turn runs. When this process
// has the conversation's state and profile cached and no worker on it,
// the turn is computed at once and committed in the very step that takes
// the message (DirectInbox.CommitDirect): one store round trip a turn
// instead of two, and no queue, pending mark or lease written. If anything
// came between (another message queued, another process on the
// conversation, the state or profile changed), that step queues the
// message instead, as Submit does, and the computed turn is thrown away.
//
// A crash before the commit leaves the message with its channel, which
// offers it again; a crash after it leaves the message id in the state's
// dedupe window, so the offer again is dropped as a duplicate; the replies
// are in the outbox either way.
//
// A turn computed directly has run its step (a registration made, a seat
// taken) before the store applied the dedupe and the flood limit. A
// repeat does not come this way (a channel offers a held message again
// only from a new poller, as new: Submit), and a person's messages take it
// only while they come well within the flood limit (paced): one the limit
// would drop is never computed.

// SubmitHeld takes msg as Submit does, for a channel that keeps msg
// durably until SubmitHeld returned nil: its turn may run before it is
// queued (see above). Replies are sent by a worker after SubmitHeld
// returned.
func (d *Dispatcher) SubmitHeld(ctx context.Context, msg Message) error {
	di, ok := d.inbox.(DirectInbox)
	if !ok || msg.ID == "" || d.stopped.Load() {
		return d.Submit(ctx, msg)
	}
	c := msg.Conv
	d.mu.Lock()
	if !d.paced(c, time.Now()) || d.active[c] || d.offeringLocked() || d.stopped.Load() {
		d.mu.Unlock()
		return d.Submit(ctx, msg)
	}
	l, token, ok := di.Cached(c)
	if !ok {
		d.mu.Unlock()
		return d.Submit(ctx, msg)
	}
	d.active[c] = true // c is ours from here: no other worker starts on it
	d.wg.Add(1)
	d.mu.Unlock()

	began := time.Now()
	// The turn runs on the worker that sends its replies after (or takes
	// the conversation on): one allocation for both.
	w := &workerRun{d: d, c: c, l: l}
	w.l.Msg = msg
	log := d.convLog(c)
	res, computed := d.computeOnce(&w.l)
	acked := d.acks.take(c)
	var r Direct
	var err error
	if computed {
		r, err = di.CommitDirect(ctx, msg, d.lease(), d.floodLimit(msg), token, res, acked)
	} else { // the worker runs it again, with its retries and notices
		r.Ingest, err = d.inbox.Ingest(ctx, msg, d.lease(), d.floodLimit(msg))
	}
	if err != nil {
		d.leave(c, acked)
		return d.ingestFailed(msg, err)
	}
	if r.Committed {
		d.recovered(c)
		d.Stats.Taken.Add(1)
		d.Stats.Direct.Add(1)
		d.obs.Ingest(c.Channel, "direct")
		d.turnDone(&w.l, res, began, "ok", log)
		w.l = Loaded{}
		w.mode, w.replies, w.ids, w.backlog = runSend, res.Replies, r.OutIDs, r.Backlog
		d.workers.goRun(w)
		return nil
	}
	queued := d.ingested(msg, r.Ingest)
	switch {
	case queued && r.Result == Taken:
		w.mode, w.l, w.acked = runLoaded, r.Loaded, acked
		d.workers.goRun(w)
	case queued && r.Result == Ours:
		w.mode, w.l, w.acked = runTake, Loaded{}, acked
		d.workers.goRun(w)
	default: // dropped, or queued behind another process's worker
		d.leave(c, acked)
	}
	return nil
}

// paced counts a message of c and says whether c's messages come well
// within the flood limit: with room for two more than this one. It keeps
// the limit's bucket (the time it is full again, as the ingest script
// does, floodLua) for the messages this process saw; d.mu is held.
func (d *Dispatcher) paced(c Conversation, now time.Time) bool {
	lim := d.cfg.Flood
	if lim.Burst <= 0 {
		return true
	}
	every := time.Hour // never refilled: as good as, for this check
	if lim.PerMinute > 0 {
		every = time.Minute / time.Duration(lim.PerMinute)
	}
	if len(d.pace) >= maxPaced {
		for k, full := range d.pace {
			if full < now.UnixNano() {
				delete(d.pace, k)
			}
		}
	}
	full := max(d.pace[c], now.UnixNano())
	ok := lim.Burst > 3 && time.Duration(full-now.UnixNano()) <= time.Duration(lim.Burst-3)*every
	d.pace[c] = full + int64(every)
	return ok
}

// maxPaced bounds the people whose pace is kept: past it those whose
// bucket is full again are forgotten.
const maxPaced = 20_000

// leave gives c up after a SubmitHeld that started no worker on it; if a
// message was taken for c meanwhile, a worker takes c instead.
func (d *Dispatcher) leave(c Conversation, acked []string) {
	if d.vacate(c, acked) {
		d.workers.goRun(&workerRun{d: d, c: c, mode: runTake, acked: acked})
		return
	}
	d.wg.Done()
}

// computeOnce runs l's turn once; false when it failed or panicked (the
// worker then runs it from the queue, with compute's retries, notices and
// panic reply).
func (d *Dispatcher) computeOnce(l *Loaded) (res TurnResult, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	res, err := d.handler.Turn(d.work, l)
	return res, err == nil
}
