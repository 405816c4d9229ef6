package umkm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// Broadcast is an announcement of the Dinas to a segment of registered
// owners (a training, a galeri opening, a programme).
type Broadcast struct {
	ID        string           `json:"-"`               // short and typeable: "7"
	Token     string           `json:"token,omitempty"` // idempotency key of the creating request: creating twice returns the first
	Region    string           `json:"region"`
	Text      string           `json:"text"`            // as the officer wrote it; not translated
	Image     *bot.Media       `json:"image,omitempty"` // optional photo (a channel file reference)
	ImageFrom bot.ChannelID    `json:"image_from,omitempty"`
	Audience  Audience         `json:"audience"`
	CreatedBy bot.Conversation `json:"created_by"` // zero when created from the CLI
	CreatedAt time.Time        `json:"created_at"`
	At        time.Time        `json:"at"` // when delivery starts
	Status    BroadcastStatus  `json:"-"`
	Counts    BroadcastCounts  `json:"-"`
}

// BroadcastStatus is where a broadcast stands.
type BroadcastStatus string

// Broadcast statuses. A broadcast is created scheduled (or draft), runs
// once its time has come and its audience has been queued, may be paused
// and resumed, and ends done or cancelled.
const (
	BroadcastDraft     BroadcastStatus = "draft"
	BroadcastScheduled BroadcastStatus = "scheduled"
	BroadcastRunning   BroadcastStatus = "running"
	BroadcastPaused    BroadcastStatus = "paused"
	BroadcastCancelled BroadcastStatus = "cancelled"
	BroadcastDone      BroadcastStatus = "done"
)

// BroadcastCounts is a broadcast's progress. Every recipient ends in
// exactly one of Sent, Failed, Skipped or Unknown.
type BroadcastCounts struct {
	Audience int64 // recipients queued; 0 until the audience is expanded
	Sent     int64
	Failed   int64 // the channel refused for another reason than unreachable
	Skipped  int64 // opted out or unreachable
	Unknown  int64 // a send interrupted by a crash: it may or may not have arrived
	Started  time.Time
	Finished time.Time
}

// Done is how many recipients have an outcome.
func (c BroadcastCounts) Done() int64 { return c.Sent + c.Failed + c.Skipped + c.Unknown }

// Remaining is how many recipients still wait.
func (c BroadcastCounts) Remaining() int64 { return max(c.Audience-c.Done(), 0) }

// Audience selects recipients among the registrations of the region. Each
// non-empty list narrows the audience (AND across lists, OR within one);
// an empty Audience is everyone registered.
type Audience struct {
	Kecamatan []string        `json:"kecamatan,omitempty"` // names as in the region file
	Sectors   []string        `json:"sectors,omitempty"`   // sector codes ("kuliner")
	Sizes     []string        `json:"sizes,omitempty"`     // mikro, kecil, menengah
	Trainings []string        `json:"trainings,omitempty"` // training ids: confirmed or attended participants
	Channels  []bot.ChannelID `json:"channels,omitempty"`
	// KabKota: Kemendagri codes ("36.73"), in a deployment of several kabupaten/kota.
	KabKota []string `json:"kabupaten_kota,omitempty"`
}

// IsZero reports whether a selects everyone.
func (a Audience) IsZero() bool {
	return len(a.KabKota)+len(a.Kecamatan)+len(a.Sectors)+len(a.Sizes)+len(a.Trainings)+len(a.Channels) == 0
}

// Match reports whether r belongs to the audience by kecamatan, sector,
// size class and channel. Training participation is checked separately
// (Participates), because it needs the training store.
func (a Audience) Match(r *Registration) bool {
	if len(a.KabKota) > 0 && !slices.Contains(a.KabKota, r.Region) {
		return false
	}
	if len(a.Kecamatan) > 0 && !slices.ContainsFunc(a.Kecamatan, func(k string) bool { return sameName(k, r.Kecamatan) }) {
		return false
	}
	if len(a.Sectors) > 0 && !slices.Contains(a.Sectors, r.Sector) {
		return false
	}
	if len(a.Sizes) > 0 && !slices.Contains(a.Sizes, r.SizeClass) {
		return false
	}
	if len(a.Channels) > 0 && !slices.Contains(a.Channels, r.Conv.Channel) {
		return false
	}
	return true
}

// EnrolmentLister lists an owner's training enrolments; any TrainingStore
// is one.
type EnrolmentLister interface {
	EnrolmentsOf(ctx context.Context, c bot.Conversation) ([]Enrolment, error)
}

// Participates reports whether c takes part (confirmed or attended) in one
// of a's trainings; true when a names no training.
func (a Audience) Participates(ctx context.Context, enrolments EnrolmentLister, c bot.Conversation) (bool, error) {
	if len(a.Trainings) == 0 {
		return true, nil
	}
	if enrolments == nil {
		return false, fmt.Errorf("audience by training: %w", ErrNoTrainings)
	}
	es, err := enrolments.EnrolmentsOf(ctx, c)
	if err != nil {
		return false, fmt.Errorf("enrolments of %s: %w", c.Channel, err)
	}
	for _, e := range es {
		if (e.Status == StatusConfirmed || e.Status == StatusAttended) && slices.Contains(a.Trainings, e.Training) {
			return true, nil
		}
	}
	return false, nil
}

// ErrNoTrainings is returned for an audience by training when the program
// has no training store.
var ErrNoTrainings = errors.New("no training store")

// AudienceSource is where audiences come from.
type AudienceSource struct {
	Region        string
	Registrations RegistrationStore
	Enrolments    EnrolmentLister // nil: audiences by training are refused
}

// Each calls fn with the conversation of every registration in a.
func (s AudienceSource) Each(ctx context.Context, a Audience, fn func(bot.Conversation) error) error {
	if s.Registrations == nil {
		return fmt.Errorf("expand audience: no registrations")
	}
	return s.Registrations.EachRegistration(ctx, s.Region, func(r *Registration) error {
		if !a.Match(r) {
			return nil
		}
		ok, err := a.Participates(ctx, s.Enrolments, r.Conv)
		if err != nil || !ok {
			return err
		}
		return fn(r.Conv)
	})
}

// AudienceCounter is an optional capability of a RegistrationStore: the
// size of an audience per channel from indexes, without reading every
// registration (a province's 800,000 take seconds to read). It returns
// ErrNoIndex when it cannot answer (no index yet, an audience by
// training); the caller then reads them all. It counts on the channels
// the audience names: a caller counting everyone names the program's
// registered channels (bot.Channels.IDs).
type AudienceCounter interface {
	CountAudience(ctx context.Context, region string, a Audience) (map[bot.ChannelID]int, error)
}

// ErrNoIndex says an AudienceCounter cannot count this audience.
var ErrNoIndex = errors.New("no audience index")

// Count returns the audience size per channel. From the index only when a
// names its channels (see CountOn), else by reading the registrations.
func (s AudienceSource) Count(ctx context.Context, a Audience) (map[bot.ChannelID]int, error) {
	if c, ok := s.Registrations.(AudienceCounter); ok && len(a.Channels) > 0 {
		n, err := c.CountAudience(ctx, s.Region, a)
		if !errors.Is(err, ErrNoIndex) {
			return n, err
		}
	}
	n := map[bot.ChannelID]int{}
	err := s.Each(ctx, a, func(c bot.Conversation) error { n[c.Channel]++; return nil })
	return n, err
}

// CountOn returns the audience size on each of channels: those a names,
// or all of channels when it names none (the program's registered
// channels, so a channel added to the program is counted too).
func (s AudienceSource) CountOn(ctx context.Context, a Audience, channels []bot.ChannelID) (map[bot.ChannelID]int, error) {
	if len(a.Channels) == 0 {
		a.Channels = channels
	}
	return s.Count(ctx, a)
}

// BroadcastMessage is what a recipient receives: the officer's text and the
// footer that tells how to stop receiving broadcasts, rendered in the
// recipient's language.
func BroadcastMessage(b *Broadcast) bot.Out {
	return bot.Say(bot.Raw(b.Text), bot.T("broadcast.footer"))
}

// Broadcast controls, for BroadcastStore.ControlBroadcast.
const (
	BroadcastPause  = "pause"
	BroadcastResume = "resume"
	BroadcastCancel = "cancel"
)

// ErrBroadcastState is returned for a control that does not apply to the
// broadcast's status (resuming a running one, cancelling a done one).
var ErrBroadcastState = errors.New("not possible in the broadcast's status")

// BroadcastStore keeps broadcasts: what the compose flow and the CLI use.
type BroadcastStore interface {
	// CreateBroadcast gives b the next id and stores it (status scheduled
	// unless b.Status is draft).
	CreateBroadcast(ctx context.Context, b *Broadcast) error
	// Broadcast returns one broadcast with its counts; ErrNotFound.
	Broadcast(ctx context.Context, id string) (*Broadcast, error)
	// Broadcasts returns every broadcast, newest first.
	Broadcasts(ctx context.Context) ([]*Broadcast, error)
	// ControlBroadcast pauses, resumes or cancels; ErrBroadcastState when
	// the action does not apply, ErrNotFound. It returns the new status.
	ControlBroadcast(ctx context.Context, id, action string) (BroadcastStatus, error)
}

// Delivery is one recipient's entry in a broadcast's work queue.
type Delivery struct {
	Broadcast string
	Entry     string // the queue's entry id
	To        bot.Conversation
}

// Outcome is what became of one delivery.
type Outcome string

// Outcomes. Go is not stored: it tells the caller to send now.
const (
	OutcomeGo         Outcome = "go"      // recorded "sending": send now
	OutcomeHold       Outcome = "hold"    // the broadcast is not running: leave the entry queued
	OutcomeDuplicate  Outcome = "dup"     // the recipient already has a record: nothing to do
	OutcomeSent       Outcome = "sent"    //
	OutcomeFailed     Outcome = "failed"  // with a reason
	OutcomeSkipped    Outcome = "skipped" // opted out, unreachable or no longer registered (reason says which)
	OutcomeUnknown    Outcome = "unknown" // found "sending" after a crash: not retried
	ReasonOptOut              = "optout"
	ReasonUnreachable         = "unreachable"
	// ReasonNotRegistered: the registration is gone since the audience
	// was queued (the owner erased their data: hapus data).
	ReasonNotRegistered = "not_registered"
)

// Progress is a broadcast's state after one outcome was recorded.
type Progress struct {
	Done, Audience int64
	// Milestone is 25, 50, 75 or 100 when this outcome crossed it (each is
	// reported once, to one caller), else 0.
	Milestone int
	Finished  bool // this outcome completed the broadcast
}

// BroadcastQueue is the shared work of delivering broadcasts, safe for
// any number of processes.
type BroadcastQueue interface {
	// DueBroadcasts returns the ids of scheduled broadcasts whose time has
	// come, and of running ones.
	DueBroadcasts(ctx context.Context, now time.Time) (due, running []string, err error)
	// ClaimExpansion takes the lease to expand a scheduled broadcast's
	// audience (false if another process holds it or it is not scheduled).
	ClaimExpansion(ctx context.Context, id, owner string, ttl time.Duration) (bool, error)
	// Enqueue appends recipients to the broadcast's work queue. Repeats
	// (an expansion run again after a crash) are harmless: the
	// idempotency record turns them into OutcomeDuplicate.
	Enqueue(ctx context.Context, id string, to []bot.Conversation) error
	// StartBroadcast records the audience size and makes the broadcast
	// running (done at once when the audience is empty).
	StartBroadcast(ctx context.Context, id string, audience int64, now time.Time) error
	// Take returns up to n deliveries to channel ch for consumer: entries
	// left unacknowledged for longer than idle (a crashed worker's) first,
	// then new ones.
	Take(ctx context.Context, id string, ch bot.ChannelID, consumer string, n int, idle time.Duration) ([]Delivery, error)
	// Begin writes the idempotency record "sending" before a send and
	// answers OutcomeGo; or OutcomeHold, OutcomeDuplicate, or
	// OutcomeUnknown for an entry taken before whose outcome was never
	// recorded (the progress then counts it).
	Begin(ctx context.Context, d Delivery) (Outcome, Progress, error)
	// Settle records the outcome of a delivery and acknowledges its entry.
	Settle(ctx context.Context, d Delivery, o Outcome, reason string) (Progress, error)
}
