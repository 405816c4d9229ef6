package umkm

import (
	"context"
	"time"
)

// AuditEntry is one line of the audit log: who did what to personal data,
// when, and to how many records. It never holds a NIK, a phone number or
// a message body; Subject names records by their ids.
type AuditEntry struct {
	ID      string    // the log's id for the entry (set when read back)
	At      time.Time // when (set by the log when zero)
	Actor   string    // "cli:budi@server1", "telegram:12345"
	Action  string    // AuditExport, AuditRevealNIK, …
	Subject string    // what was touched: "registrations", "training 12", "KUR-3214-000001"
	Count   int       // how many records
	Detail  string    // flags and values that matter: "format=xlsx phone=full", "diajukan→ditinjau"
}

// Actions recorded in the audit log.
const (
	AuditExport       = "export"        // a table of personal data left the system
	AuditRevealNIK    = "reveal_nik"    // full NIKs were shown or exported
	AuditRevealPhone  = "reveal_phone"  // full phone numbers were shown or exported
	AuditStatusChange = "status_change" // a curation application's status changed
	AuditCheckIn      = "checkin"       // a training check-in by the Dinas
	AuditDeletion     = "deletion"      // personal data erased
	AuditAccess       = "access"        // an owner was given a copy of their data (data saya)
	AuditKeys         = "keys"          // data encrypted or re-encrypted under a key
	AuditRetention    = "retention"     // records removed by the retention job
)

// Auditor appends to the audit log. Entries cannot be changed or removed
// through it; old ones expire after the configured retention.
type Auditor interface {
	Audit(ctx context.Context, e AuditEntry) error
}
