package bot

import (
	"context"
	"errors"
	"time"
)

// ErrRejected is returned (wrapped) by a Sender when the platform refused a
// reply for good for a reason other than the person being unreachable (a
// malformed request, a message the platform will never accept): retrying
// cannot help, so the reply is dropped with a log line and a count.
var ErrRejected = errors.New("reply rejected by the platform")

// Observer receives the counts and timings of the turn path, for metrics.
// Implementations are fast and safe for concurrent use. Nothing passed here
// is personal data: channels and flows are ids, results and reasons are
// short fixed words.
type Observer interface {
	// Turn reports a finished turn: the flow it ran in ("" for the menu),
	// how long it took from taking the message to the replies being
	// committed, and its outcome: "ok", "failed", "panic".
	Turn(ch ChannelID, flow string, took time.Duration, outcome string)
	// Ingest reports a delivery from a channel: "queued", "direct" (its
	// turn committed in the step that took it, Dispatcher.SubmitHeld),
	// "duplicate", "flood" (dropped by the per-person limit), "error".
	Ingest(ch ChannelID, result string)
	// Send reports one attempt to deliver a reply: "ok", "retry",
	// "unreachable", "rejected", "error".
	Send(ch ChannelID, result string)
	// Event counts anything else worth a counter, by a fixed name:
	// "lease_takeover", "redis_error", "fault_notice", ….
	Event(name string)
}

// NopObserver observes nothing.
type NopObserver struct{}

func (NopObserver) Turn(ChannelID, string, time.Duration, string) {}
func (NopObserver) Ingest(ChannelID, string)                      {}
func (NopObserver) Send(ChannelID, string)                        {}
func (NopObserver) Event(string)                                  {}

// QueueStats is the depth and age of the durable queues, for metrics and
// readiness.
type QueueStats struct {
	InboxDepth   int64         // messages queued and not yet handled
	InboxOldest  time.Duration // age of the oldest of them (0 when none)
	OutboxDepth  int64         // replies committed and not yet delivered
	OutboxOldest time.Duration // age of the oldest of them (0 when none)
}

// QueueStatser reports queue depths; the store implements it.
type QueueStatser interface {
	QueueStats(ctx context.Context) (QueueStats, error)
}
