package store

import "time"

// The aggregates. Each is a small type over the shared *Redis that
// implements the interfaces its consumer declares (the domain in bot/umkm,
// the core in bot, the console in web), with its methods in the file of
// the same name. Store (store.go) embeds them all.

// RegistrationStore keeps the registrations of each region, their NIK
// index, the audience index of broadcasts and the sealing of NIK and phone
// (registrations.go, audience_index.go).
type RegistrationStore struct {
	*Redis
	// batch sends the look-ups the flows make during a turn (whose
	// registration is this? is this NIK taken?) in the pipelines of the
	// turn scripts (batch.go); nil: each on its own.
	batch *batcher
}

// TrainingStore keeps trainings, their seats, waitlists and attendance
// codes (trainings.go, enrolments.go), and the queues of their reminders
// and notices (reminders.go): a reminder is marked sent in its training's
// keys, so the two are one aggregate.
type TrainingStore struct {
	*Redis
	codes codeSource
}

// BroadcastStore keeps broadcasts, their delivery queues and records, and
// expires the records (broadcasts.go, retention.go).
type BroadcastStore struct{ *Redis }

// CurationStore keeps the galeri applications and their notices
// (curation.go).
type CurationStore struct{ *Redis }

// OutletStore keeps the galeri outlets of each region (outlets.go).
type OutletStore struct{ *Redis }

// ProductStore keeps each owner's products (products.go).
type ProductStore struct {
	*Redis
	batch *batcher // the turn path's pipelines, for the menu's look-up
}

// TicketStore keeps the hand-over tickets (tickets.go).
type TicketStore struct {
	*Redis
	ticketTTL time.Duration // how long a closed ticket is kept
}

// OfficerStore keeps the console's officer accounts, sessions and login
// attempts (officers.go).
type OfficerStore struct{ *Redis }

// ImageStore keeps the pictures uploaded on the console (images.go).
type ImageStore struct{ *Redis }
