package bot

import (
	"context"
	"time"
)

// Loaded is a conversation's next message with what its turn needs, read in
// the same round trip that took the conversation.
type Loaded struct {
	Msg     Message
	State   State
	Profile Profile
}

// Lease names the process working on a conversation and how long its claim
// lasts without renewal.
type Lease struct {
	Owner string
	TTL   time.Duration
	// Offer, for Ingest: queue the message but leave a free conversation
	// free, for whichever process takes it (Ingest answers Free).
	Offer bool
}

// FloodLimit bounds how many messages one person may queue: a burst of
// Burst messages, refilled at PerMinute a minute. Zero Burst: no limit.
type FloodLimit struct {
	Burst     int
	PerMinute int
}

// IngestResult says what became of a delivery.
type IngestResult int

// Ingest results.
const (
	Queued    IngestResult = iota // queued; the process holding the conversation will handle it
	Taken                         // queued, and this process took the conversation: Ingest.Loaded is its head
	Duplicate                     // seen before: dropped
	Flooded                       // over the person's flood limit: dropped
	Ours                          // queued; the lease was already this process's
	Free                          // queued, and the conversation left free (Lease.Offer): offer it to the processes sharing the turns
)

// Ingest is the outcome of queueing one delivery.
type Ingest struct {
	Result IngestResult
	Loaded Loaded // when Taken
	Notice bool   // when Flooded: the first drop of this flood, tell the person
	Lang   string // when Flooded: the person's language, if known
}

// TurnResult is what a turn computed, for the store to commit.
type TurnResult struct {
	State   State   // the new state; Version is the one it was computed from
	Replies []Reply // what to say
	Lang    string  // the person's language changed to this ("" no change)
	Phone   string  // the channel told us this phone number ("" no change)
	// Draft is the flow whose unfinished answers the state now holds
	// (Profile.Draft; "" none), nil when that did not change.
	Draft *string
}

// Committed is what the store did with an Outcome.
type Committed struct {
	Conflict bool      // the state changed since it was read: Next holds the fresh one, run again
	Gone     bool      // the message was no longer at the head of the queue (handled elsewhere)
	Lost     bool      // another process holds the conversation now: stop
	Backlog  bool      // earlier replies are still unsent: these wait behind them
	OutIDs   []string  // outbox ids of the replies, in order
	Next     *Loaded   // the next queued message (lease kept), or nil (lease and pending mark released)
	Version  int64     // the state's new version
	At       time.Time // commit time
}

// Inbox is the durable turn store in front of the engine. Every method that
// changes a conversation is one atomic step in the store: queueing a message
// records its id for dedupe, queues it and marks the conversation as having
// work together; a commit writes the state, the profile changes and the
// replies (to a durable outbox) and takes the message off together.
type Inbox interface {
	// Ingest queues msg unless its id was seen recently or the person is
	// flooding; when no process holds the conversation it also takes it for
	// lease.Owner and returns its head with state and profile.
	Ingest(ctx context.Context, msg Message, lease Lease, lim FloodLimit) (Ingest, error)
	// Acquire takes conversation c (free, or already lease.Owner's) and
	// returns its head; ok is false when its queue is empty or another
	// process holds it.
	Acquire(ctx context.Context, c Conversation, lease Lease) (l Loaded, ok bool, err error)
	// Commit applies the outcome of the turn of message msgID under lease,
	// after removing the outbox entries acked (sent) from the head of c's
	// outbox.
	Commit(ctx context.Context, c Conversation, msgID string, lease Lease, o TurnResult, acked []string) (Committed, error)
	// Release gives c's lease up (at shutdown); queued messages stay.
	Release(ctx context.Context, c Conversation, owner string) error
	// Pending lists conversations with queued messages, for recovery.
	Pending(ctx context.Context) ([]Conversation, error)
}

// DirectInbox is a turn store that can commit a turn computed before its
// message was queued, for a channel that holds the message durably itself
// until the dispatcher took it (Telegram's poll journal): the usual turn
// is then one store round trip instead of two.
type DirectInbox interface {
	// Cached returns c's state and profile as this process committed or
	// read them last, and the profile's token; ok is false when it has
	// none. The state is the caller's (the store forgets it).
	Cached(c Conversation) (l Loaded, token string, ok bool)
	// CommitDirect commits o, computed from msg and the Cached state and
	// profile (token), in the step that takes msg, when nothing came
	// between: msg is new and within the flood limit, no process holds
	// the conversation, nothing is queued, and state and profile are
	// unchanged. Else it does what Ingest does with msg, a Taken
	// conversation's state read afresh. Committed, o.State is the
	// store's: the caller changes none of its maps after.
	CommitDirect(ctx context.Context, msg Message, lease Lease, lim FloodLimit, token string, o TurnResult, acked []string) (Direct, error)
}

// Sharer lets processes share turns: a process with too much to do queues
// a message without taking its conversation (Lease.Offer) and offers the
// conversation; a process with room takes offers. An offer is a hint:
// the conversation stays marked as having work, so one offered and never
// taken (its taker died) is found by the sweep.
type Sharer interface {
	// Offer offers c to the processes sharing the turns; first: before
	// every other offer (one taken by a process that found it had no room
	// after all).
	Offer(ctx context.Context, c Conversation, first bool) error
	// Offers waits up to wait for offered conversations and returns at
	// most max of them, oldest first (none when wait passed).
	Offers(ctx context.Context, wait time.Duration, max int) ([]Conversation, error)
}

// Direct is the outcome of CommitDirect.
type Direct struct {
	Committed bool // the turn was committed as computed; if not, Ingest says what became of the message
	Ingest
	Backlog bool     // when Committed: earlier replies are still unsent, these wait behind them
	OutIDs  []string // when Committed: outbox ids of the replies, in order
}

// OutEntry is one committed reply waiting to be delivered.
type OutEntry struct {
	ID    string
	Reply Reply
}

// Outbound is the durable outbox: replies committed with their turn stay
// until they are delivered or refused for good.
type Outbound interface {
	// Due claims, for claim, conversations whose unsent replies are due
	// (their sender died or a send failed and its retry time came) and
	// returns them with their entries in order.
	Due(ctx context.Context, claim time.Duration, max int) (map[Conversation][]OutEntry, error)
	// Ack removes delivered (or dropped) entries from the head of each
	// conversation's outbox.
	Ack(ctx context.Context, acks map[Conversation][]string) error
	// Retry sets when c's remaining replies are due again.
	Retry(ctx context.Context, c Conversation, at time.Time) error
}
