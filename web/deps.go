package web

// What the console needs from the rest of the program: the interfaces it
// consumes (implemented by the store, wired in cmd/umkmbot), in Deps.

import (
	"context"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Officers keeps the console's accounts.
type Officers interface {
	// Officer returns one account; bot.ErrNotFound if there is none.
	Officer(ctx context.Context, name string) (*umkm.Officer, error)
}

// Accounts lists, creates and changes accounts (admins, on /accounts).
type Accounts interface {
	Officers(ctx context.Context) ([]*umkm.Officer, error)
	CreateOfficer(ctx context.Context, o *umkm.Officer) error // umkm.ErrOfficerExists
	SaveOfficer(ctx context.Context, o *umkm.Officer) error
}

// SessionEnder ends every session of an account (new password, disabled,
// role changed).
type SessionEnder interface {
	DeleteOfficerSessions(ctx context.Context, name string) error
}

// Sessions keeps signed-in browsers. Ids are hashes of the cookie tokens.
type Sessions interface {
	CreateSession(ctx context.Context, id string, s umkm.OfficerSession, ttl time.Duration) error
	// Session returns a live session and extends it to ttl; bot.ErrNotFound.
	Session(ctx context.Context, id string, ttl time.Duration) (umkm.OfficerSession, error)
	DeleteSession(ctx context.Context, id string) error
}

// LoginCounter counts sign-in attempts per account and per address.
type LoginCounter interface {
	// LoginAttempt counts one attempt against each key within window and
	// returns the counts including it.
	LoginAttempt(ctx context.Context, window time.Duration, keys ...string) ([]int64, error)
	ClearLoginAttempts(ctx context.Context, keys ...string) error
}

// Registrations reads the region's registrations and corrects one.
type Registrations interface {
	Registration(ctx context.Context, id string) (*umkm.Registration, error)
	EachRegistration(ctx context.Context, region string, fn func(*umkm.Registration) error) error
	UpdateRegistration(ctx context.Context, r *umkm.Registration) error
}

// Applications reads curation applications and records the Dinas's
// decisions (the store queues the owner's notice with the change).
type Applications interface {
	Applications(ctx context.Context, region string, status umkm.ApplicationStatus) ([]umkm.Application, error)
	Application(ctx context.Context, id string) (*umkm.Application, error)
	SetApplicationStatus(ctx context.Context, id string, status umkm.ApplicationStatus, note string, at time.Time) (*umkm.Application, error)
}

// Trainings reads and changes trainings (the same store calls as
// `umkmbot training`).
type Trainings interface {
	AllTrainings(ctx context.Context) ([]*umkm.Training, error)
	Training(ctx context.Context, id string) (*umkm.Training, error)
	CreateTraining(ctx context.Context, t *umkm.Training) error
}

// TrainingSaver saves a changed training and queues the notices of owners
// moved from the waitlist to a seat (cmd/umkmbot's saveTraining does both,
// as the CLI does).
type TrainingSaver interface {
	SaveTraining(ctx context.Context, t *umkm.Training) (promoted int, err error)
}

// ExportRows gives the columns and rows of a registrations export, the
// same as `umkmbot export registrations` writes (cmd/umkmbot wires its
// own). The console writes them as CSV and neutralises formula cells.
type ExportRows interface {
	Header() []string
	Row(r *umkm.Registration) []string
}

// Broadcasts lists broadcasts with their progress and pauses, resumes or
// cancels one (umkm.BroadcastPause, …), as `umkmbot broadcast` does.
type Broadcasts interface {
	Broadcasts(ctx context.Context) ([]*umkm.Broadcast, error)
	ControlBroadcast(ctx context.Context, id, action string) (umkm.BroadcastStatus, error)
	// CreateBroadcast schedules b; the same Token creates it once.
	CreateBroadcast(ctx context.Context, b *umkm.Broadcast) error
}

// WhatsAppState is the Dinas's WhatsApp number as the dashboard shows it.
type WhatsAppState struct {
	Used      bool   // WhatsApp has run at least once (else there is nothing to show)
	Account   string // the paired number, masked
	Connected bool
	Holder    string // the serve process holding the connection; "" for none
	Since     time.Time
	// Problem is "", "banned", "tempban", "timelock", "logged_out" or
	// "replaced" (message web.whatsapp.problem.<Problem>); Until is when it
	// ends, zero when unknown.
	Problem string
	Until   time.Time
}

// WhatsAppStatus reads the WhatsApp number's state (cmd/umkmbot reads
// what serve's WhatsApp channel records in Redis).
type WhatsAppStatus interface {
	WhatsAppState(ctx context.Context) (WhatsAppState, error)
}

// Participants reads a training's sign-ups and checks owners in.
type Participants interface {
	Participants(ctx context.Context, training string) ([]umkm.Enrolment, error)
	// CheckIn marks the confirmed participant holding code attended
	// (bot.ErrNotFound when nobody holds it); c is zero from the console.
	CheckIn(ctx context.Context, training, code string, c bot.Conversation) (umkm.Enrolment, error)
}

// ParticipantRows gives the columns and rows of a participants export,
// the same as `umkmbot training participants` writes.
type ParticipantRows interface {
	ParticipantHeader() []string
	ParticipantRow(e umkm.Enrolment, r *umkm.Registration) []string
}

// Auditor keeps the audit log: who revealed a NIK, exported, changed what.
type Auditor interface {
	Audit(ctx context.Context, e umkm.AuditEntry) error
	// Recent returns the last n entries, newest first.
	Recent(ctx context.Context, n int) ([]umkm.AuditEntry, error)
}

// Deps is what the console reads and changes. *store.Store implements all
// but Rows, PartRows and TrainingSaver, which cmd/umkmbot provides.
type Deps struct {
	Officers      Officers
	Sessions      Sessions
	Logins        LoginCounter
	Registrations Registrations
	Applications  Applications
	Trainings     Trainings
	TrainingSaver TrainingSaver
	Rows          ExportRows
	Audit         Auditor
	Participants  Participants
	PartRows      ParticipantRows
	Broadcasts    Broadcasts
	Accounts      Accounts
	EndSessions   SessionEnder
	WhatsApp      WhatsAppStatus // optional: nil leaves the dashboard without it

	// Channels is the program's channel registry: the compose page offers
	// and counts each registered channel, by its name (Channel.Label).
	Channels *bot.Channels

	// Pairing links the WhatsApp number from /whatsapp (admins); optional:
	// nil leaves the page with the number's state only.
	Pairing WhatsAppPairing

	// Products and Media show the products' photos on the curation
	// review; optional: without either the review lists names only.
	Products Products
	Media    MediaFetcher
	// Images keeps broadcast pictures; optional: without it broadcasts
	// are text only.
	Images Images

	// Tickets and Poster serve the officers' inbox of hand-over tickets
	// (web/tickets.go); optional: without both there is no inbox.
	Tickets TicketDesk
	Poster  ConversationPoster
}
