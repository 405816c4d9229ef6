package bot

import (
	"context"
	"time"
)

// Shared turns (DispatcherConfig.ShareAbove). A channel's messages may all
// come to one process: Telegram's long polling has one poller, and a
// WhatsApp account one connection. While that process works on
// ShareAbove conversations or more, a message of a conversation no
// process holds is queued without the lease and offered (Sharer.Offer);
// every process, this one too, takes offers while it works on fewer.
// Under ShareAbove nothing changes: the turns run where the message came.
//
// An offer is a hint and nothing rests on it. The message is queued and
// its conversation marked as having work before it is offered, so an
// offer lost (Redis refused it, its taker died) leaves a conversation the
// sweep finds, and an offer taken twice, or after the conversation was
// taken by its next message, finds it held or empty and does nothing.

const (
	helpWait  = time.Second          // how long a wait for offers lasts (BLPOP waits whole seconds)
	helpPause = 5 * time.Millisecond // how often a process with no room looks again
)

// offering says whether a message that finds its conversation free is
// to be offered rather than taken here: this process works on as many
// conversations as it shares at.
func (d *Dispatcher) offering() bool {
	if d.sharer == nil {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.offeringLocked()
}

// offeringLocked is offering with d.mu held.
func (d *Dispatcher) offeringLocked() bool {
	return d.sharer != nil && len(d.active) >= d.cfg.ShareAbove
}

// offer offers c, queued and free, to the processes sharing the turns;
// if that fails this process works on c itself.
//
// The acks of c's replies this process delivered go first: a commit
// elsewhere that found them unacknowledged would hold its replies back
// behind them until they landed (the ack hold, a second).
func (d *Dispatcher) offer(ctx context.Context, c Conversation) {
	d.Stats.Offered.Add(1)
	d.obs.Event("turn_offered")
	if ids := d.acks.take(c); len(ids) > 0 {
		if err := d.acks.store.Ack(ctx, map[Conversation][]string{c: ids}); err != nil {
			d.acks.add(c, ids) // the next flush tries again
		}
	}
	if err := d.sharer.Offer(ctx, c, false); err != nil {
		d.obs.Event("redis_error")
		d.log.Warn("offer conversation to other processes; taking it here", "err", err)
		d.kick(c)
	}
}

// help takes offered conversations while this process has room, until
// ctx ends.
func (d *Dispatcher) help(ctx context.Context) {
	for attempt := 0; ctx.Err() == nil; {
		d.mu.Lock()
		room := d.cfg.ShareAbove - len(d.active)
		d.mu.Unlock()
		if room <= 0 || d.stopped.Load() {
			Sleep(ctx, helpPause)
			continue
		}
		convs, err := d.sharer.Offers(ctx, helpWait, room)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d.obs.Event("redis_error")
			d.log.Warn("take offered conversations", "err", err)
			if !d.wait(ctx, attempt) {
				return
			}
			attempt++
			continue
		}
		attempt = 0
		// The wait began with room; work that came meanwhile may have
		// taken it. What no longer fits goes back, first in line.
		d.mu.Lock()
		room = d.cfg.ShareAbove - len(d.active)
		d.mu.Unlock()
		for i, c := range convs {
			if i >= room && d.sharer.Offer(ctx, c, true) == nil {
				continue
			}
			d.Stats.Helped.Add(1)
			d.obs.Event("offer_taken")
			d.kickRun(c, true)
		}
	}
}

// ackNow acknowledges acked, c's delivered replies, at once; it returns
// them when that failed, for the acker to try again.
func (d *Dispatcher) ackNow(c Conversation, acked []string, log *convLog) []string {
	if d.acks.store == nil {
		return acked
	}
	if err := d.acks.store.Ack(d.work, map[Conversation][]string{c: acked}); err != nil {
		d.obs.Event("redis_error")
		log.get().Warn("acknowledge sent replies", "err", err)
		return acked
	}
	return nil
}
