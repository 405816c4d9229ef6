package whatsapp

import (
	"context"
	"time"
)

// Restrictions WhatsApp puts on an account.
const (
	// RestrictionTempBan: WhatsApp refused the connection with a temporary
	// ban (events.TemporaryBan); it ends at RestrictedUntil.
	RestrictionTempBan = "temporary_ban"
	// RestrictionTimelock: a send was refused with error 463, a reach-out
	// time lock (no messages to people who did not write first). WhatsApp
	// does not say when it ends; the adapter assumes Config.TimelockPause.
	RestrictionTimelock = "reachout_timelock"
	// RestrictionBanned: WhatsApp banned the number for good (connect
	// failure 403 or 406) and removed the linked device; it has no end
	// until WhatsApp lifts it on review and the number is paired again.
	RestrictionBanned = "permanent_ban"
)

// Status is what `umkmbot whatsapp status` shows: the state of the device
// connection as the process holding it last recorded it.
type Status struct {
	Owner     string    `json:"owner,omitempty"`   // the serve process holding the connection
	Account   string    `json:"account,omitempty"` // the paired number, masked
	Connected bool      `json:"connected"`
	Since     time.Time `json:"since,omitzero"` // last connection change
	LoggedOut bool      `json:"logged_out,omitempty"`

	Restriction     string    `json:"restriction,omitempty"` // RestrictionTempBan, RestrictionTimelock or ""
	RestrictedUntil time.Time `json:"restricted_until,omitzero"`
	RestrictionCode int       `json:"restriction_code,omitempty"` // WhatsApp's ban reason code

	// Another client took the device connection (StreamReplaced) Replaced
	// times in a row; no process connects before ReplacedUntil.
	Replaced      int       `json:"replaced,omitempty"`
	ReplacedUntil time.Time `json:"replaced_until,omitzero"`

	Updated time.Time `json:"updated"`
}

// BulkAllowed reports whether messages nobody asked for (broadcasts,
// reminders to many people) may go out at now, and if not, until when they
// must wait (the zero time after a permanent ban: no end known). Replies
// to people who wrote are not affected by a time lock.
func (s Status) BulkAllowed(now time.Time) (bool, time.Time) {
	if s.Restriction == RestrictionBanned {
		return false, time.Time{}
	}
	if s.Restriction != "" && now.Before(s.RestrictedUntil) {
		return false, s.RestrictedUntil
	}
	return true, time.Time{}
}

// StatusStore keeps the adapter's Status where other processes (the status
// command, a broadcast job in another process) can read it. cmd/umkmbot
// keeps it in Redis.
type StatusStore interface {
	LoadStatus(ctx context.Context) (Status, error)
	SaveStatus(ctx context.Context, s Status) error
}

// Leaser hands out the one lease that lets a process hold the device's
// connection; *store.Store satisfies it.
type Leaser interface {
	ClaimLease(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, key, owner string) error
}
