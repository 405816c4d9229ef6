package bot

import (
	"context"
	"errors"
	"time"
)

// Sending a turn's replies at once, right after its commit: each reply
// through the outbox, a failed one retried briefly, and what cannot go out
// now left to the courier (sender.go), which finds it in the outbox.

// sendNow delivers a turn's replies right after their commit, in order,
// and returns the ids delivered; the rest stay in the outbox for the sender
// loop.
//
// What it returns is a prefix of ids (no copy), its capacity cut so that
// appending to it never writes into ids.
func (d *Dispatcher) sendNow(ctx context.Context, c Conversation, replies []Reply, ids []string, log *convLog) []string {
	for i, r := range replies {
		switch d.deliver(ctx, c, r, log, true) {
		case sendOK, sendDropped:
		case sendGone:
			return ids // the person is unreachable: drop them all
		case sendRetry:
			if i == 0 {
				return nil
			}
			return ids[:i:i]
		}
	}
	if len(replies) == 0 {
		return nil
	}
	return ids[:len(replies):len(replies)]
}

type sendResult int

const (
	sendOK sendResult = iota
	sendDropped
	sendGone
	sendRetry
)

// deliver sends one reply and classifies the outcome (the channel reports
// each attempt to the metrics itself). A failure worth a
// retry is logged only when first is set (the first attempt for the
// conversation in this outage), so an outage of minutes is not a log line
// per attempt.
func (d *Dispatcher) deliver(ctx context.Context, c Conversation, r Reply, log *convLog, first bool) sendResult {
	err := d.out.Send(ctx, c, r)
	switch {
	case err == nil:
		d.Stats.Sent.Add(1)
		return sendOK
	case errors.Is(err, ErrUnreachable):
		d.Stats.SendFailed.Add(1)
		log.get().Info("person unreachable, replies dropped")
		return sendGone
	case errors.Is(err, ErrRejected), errors.Is(err, ErrNoChannel):
		d.Stats.Rejected.Add(1)
		log.get().Error("reply refused by the platform, dropped", "err", err)
		return sendDropped
	}
	d.Stats.SendFailed.Add(1)
	if first {
		log.get().Warn("send reply, will retry", "err", err)
	}
	return sendRetry
}

// wait sleeps the attempt'th backoff; false when the dispatcher stops.
func (d *Dispatcher) wait(ctx context.Context, attempt int) bool {
	delay := d.cfg.Backoff << min(attempt, 7)
	if delay > 30*time.Second {
		delay = 30 * time.Second
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return !d.stopped.Load()
	}
}
