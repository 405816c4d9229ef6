package store

import "github.com/umkmbot/umkmbot/store/embedded"

// The embedded store lives in store/embedded, which imports nothing of ours so
// that store/redistest can run tests on it too; these names keep the store
// package the one place cmd and tests open it from.

const (
	// EmbeddedSnapshotFile is the name of the snapshot file in the data directory.
	EmbeddedSnapshotFile = embedded.SnapshotFile
	// EmbeddedLockFile is the name of the lock file in the data directory.
	EmbeddedLockFile = embedded.LockFile
	// EmbeddedJournalPrefix starts the names of the journal files.
	EmbeddedJournalPrefix = embedded.JournalPrefix
)

// ErrEmbeddedClosed is returned by Snapshot after Close.
var ErrEmbeddedClosed = embedded.ErrClosed

// Embedded is an in-process Redis-compatible server whose data is kept in a
// directory, every write journaled to disk before its reply (see package
// store/embedded).
type Embedded = embedded.DB

// EmbeddedOptions configures OpenEmbedded.
type EmbeddedOptions = embedded.Options

// OpenEmbedded starts the embedded store on 127.0.0.1:0 with the data of
// opts.Dir; read-only if another process holds the directory.
func OpenEmbedded(opts EmbeddedOptions) (*Embedded, error) { return embedded.Open(opts) }
