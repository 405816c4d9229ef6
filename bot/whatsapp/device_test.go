package whatsapp

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCompanionReg"
	"go.mau.fi/whatsmeow/store"
	"google.golang.org/protobuf/proto"
)

// The device store opens on a fresh SQLite file, creates its schema, opens
// again (the upgrade is idempotent), and is private to its owner; a client
// built on it is configured for synchronous acks and reconnects.
func TestDeviceStoreOpensAndUpgrades(t *testing.T) {
	ctx := context.Background()
	path := SQLitePath(t.TempDir())
	for round := 0; round < 2; round++ {
		ds, err := OpenDeviceStore(ctx, path, nil)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		dev, err := ds.GetFirstDevice(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if dev.ID != nil {
			t.Errorf("a new store has a paired device %v", dev.ID)
		}
		var version int
		if err := ds.db.QueryRowContext(ctx, "SELECT version FROM whatsmeow_version").Scan(&version); err != nil || version < 1 {
			t.Errorf("schema version %d, %v", version, err)
		}
		var fk int
		if err := ds.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
			t.Errorf("foreign keys %d, %v; whatsmeow needs them", fk, err)
		}
		if round == 0 {
			cli := whatsmeow.NewClient(dev, nil)
			a := New(Config{}, cli, nil, Options{})
			a.Attach(cli)
			if !cli.SynchronousAck || !cli.EnableDecryptedEventBuffer || !cli.EnableAutoReconnect || !cli.InitialAutoReconnect {
				t.Errorf("client: synchronous ack %v, decrypted-event buffer %v, auto reconnect %v/%v",
					cli.SynchronousAck, cli.EnableDecryptedEventBuffer, cli.EnableAutoReconnect, cli.InitialAutoReconnect)
			}
			var n int // the buffer's table, in the schema whatsmeow's upgrade created
			if err := ds.db.QueryRowContext(ctx, "SELECT count(*) FROM whatsmeow_event_buffer").Scan(&n); err != nil {
				t.Errorf("decrypted-event buffer table: %v", err)
			}
		}
		if err := ds.Close(); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("device store mode %v: it holds keys and must be private", perm)
	}
}

func TestSQLiteDSN(t *testing.T) {
	tests := map[string]string{
		"/data/whatsapp.db":                       "file:/data/whatsapp.db?_pragma=foreign_keys%281%29&_pragma=journal_mode%28WAL%29&_pragma=busy_timeout%2810000%29",
		"file:wa.db?_pragma=journal_mode(DELETE)": "file:wa.db?_pragma=journal_mode%28DELETE%29&_pragma=foreign_keys%281%29&_pragma=busy_timeout%2810000%29",
	}
	for in, want := range tests {
		if got := sqliteDSN(in); got != want {
			t.Errorf("sqliteDSN(%q) = %q, want %q", in, got, want)
		}
	}
	if !IsPostgres("postgres://u@db/wa") || IsPostgres(filepath.Join("data", "whatsapp.db")) {
		t.Error("IsPostgres")
	}
}

// W7: the phone lists the linked device by the name WhatsApp receives at
// pairing, in the device props of whatsmeow's registration payload.
func TestDeviceNameAtPairing(t *testing.T) {
	old := store.DeviceProps.GetOs()
	t.Cleanup(func() { store.DeviceProps.Os = proto.String(old) })
	ds, err := OpenDeviceStore(context.Background(), SQLitePath(t.TempDir()), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	SetDeviceName("  ")
	if store.DeviceProps.GetOs() != old {
		t.Fatalf("an empty name changed the device name to %q", store.DeviceProps.GetOs())
	}
	SetDeviceName(DefaultDeviceName)
	payload := ds.NewDevice().GetClientPayload() // unpaired: the registration payload
	var props waCompanionReg.DeviceProps
	if err := proto.Unmarshal(payload.GetDevicePairingData().GetDeviceProps(), &props); err != nil {
		t.Fatal(err)
	}
	if props.GetOs() != "UMKM Dinas" {
		t.Errorf("the phone would list the device as %q", props.GetOs())
	}
}
