package whatsapp

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/lib/pq" // the "postgres" driver (WHATSAPP_DB_DSN=postgres://…)
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	waLog "go.mau.fi/whatsmeow/util/log"
	"google.golang.org/protobuf/proto"
	_ "modernc.org/sqlite" // the "sqlite" driver: pure Go, no cgo
)

// DefaultDeviceName is how the bot's phone lists this linked device
// (WhatsApp → Linked devices) unless WHATSAPP_DEVICE_NAME says otherwise.
const DefaultDeviceName = "UMKM Dinas"

// SetDeviceName sets the name the bot's phone shows for this linked
// device, instead of whatsmeow's "whatsmeow". WhatsApp takes it when the
// device is paired: a device paired before keeps its old name until it is
// paired again. It sets whatsmeow's process-wide store.DeviceProps, so call
// it before pairing or connecting.
func SetDeviceName(name string) {
	if name = strings.TrimSpace(name); name != "" {
		store.DeviceProps.Os = proto.String(name)
	}
}

// DeviceStore is whatsmeow's device store (keys, sessions, contacts, LID
// map) with the database it lives in.
type DeviceStore struct {
	*sqlstore.Container
	db      *sql.DB
	Dialect string // "sqlite" or "postgres"
}

// Close closes the database.
func (d *DeviceStore) Close() error { return d.db.Close() }

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// SQLitePath is the default device store: whatsapp.db in the data directory.
func SQLitePath(dataDir string) string { return filepath.Join(dataDir, "whatsapp.db") }

// OpenDeviceStore opens whatsmeow's device store and upgrades its schema.
// dsn is a postgres:// URL (production; a PostgreSQL driver must be
// registered as "postgres"), or a SQLite file path or file: URI.
func OpenDeviceStore(ctx context.Context, dsn string, log waLog.Logger) (*DeviceStore, error) {
	driver, dialect, source := "sqlite", "sqlite3", sqliteDSN(dsn)
	if IsPostgres(dsn) {
		driver, dialect, source = "postgres", "postgres", dsn
	} else if err := createPrivate(sqlitePath(dsn)); err != nil {
		return nil, err
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		return nil, fmt.Errorf("open whatsapp device store (%s): %w", driver, err)
	}
	if driver == "sqlite" {
		db.SetMaxOpenConns(1) // one writer; whatsmeow serialises its use
	}
	c := sqlstore.NewWithDB(db, dialect, log)
	if err := c.Upgrade(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("upgrade whatsapp device store (%s): %w", driver, err)
	}
	return &DeviceStore{Container: c, db: db, Dialect: driver}, nil
}

// createPrivate creates the SQLite file readable by its owner only: it
// holds the device's keys.
func createPrivate(path string) error {
	if path == "" || strings.HasPrefix(path, ":memory:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create whatsapp device store %s: %w", path, err)
	}
	return f.Close()
}

func sqlitePath(dsn string) string {
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	return path
}

// sqliteDSN turns a path or file: URI into a modernc.org/sqlite DSN with
// foreign keys (whatsmeow requires them), WAL and a busy timeout.
func sqliteDSN(dsn string) string {
	_, query, _ := strings.Cut(dsn, "?")
	q, _ := url.ParseQuery(query)
	for _, p := range []string{"foreign_keys(1)", "journal_mode(WAL)", "busy_timeout(10000)"} {
		name, _, _ := strings.Cut(p, "(")
		if !hasPragma(q["_pragma"], name) {
			q.Add("_pragma", p)
		}
	}
	return "file:" + sqlitePath(dsn) + "?" + q.Encode()
}

func hasPragma(list []string, name string) bool {
	for _, p := range list {
		if strings.HasPrefix(strings.ToLower(p), name) {
			return true
		}
	}
	return false
}
