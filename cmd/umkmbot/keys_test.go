package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/pii"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// runUmkmbot runs the program and returns its error and stderr.
func runUmkmbot(env map[string]string, stdin string, args ...string) (string, string, error) {
	var out, errs bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errs)
	return out.String(), errs.String(), err
}

// withoutTestKey runs f as if no DATA_KEY were configured.
func withoutTestKey(t *testing.T) {
	saved := testDataKey
	testDataKey = ""
	t.Cleanup(func() { testDataKey = saved })
}

// clearValues are the registration's NIK and phone as typed and stored.
var clearValues = []string{"3214015503900001", "81234567890"}

// regionKeys returns every key of the registrations' hash tag with its value.
func regionKeys(t *testing.T, rdb redis.UniversalClient, prefix string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	keys, err := rdb.Keys(ctx, prefix+":*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		var v any
		switch rdb.Type(ctx, k).Val() {
		case "string":
			v = rdb.Get(ctx, k).Val()
		case "hash":
			v = rdb.HGetAll(ctx, k).Val()
		case "zset":
			v = rdb.ZRange(ctx, k, 0, -1).Val()
		case "list":
			v = rdb.LRange(ctx, k, 0, -1).Val()
		case "set":
			v = rdb.SMembers(ctx, k).Val()
		case "stream":
			v = rdb.XRange(ctx, k, "-", "+").Val()
		}
		out[k] = fmt.Sprint(v)
	}
	return out
}

// TestServeRefusesWithoutKey: serve names `umkmbot keys new`; so do the
// chat and export on a real Redis.
func TestServeRefusesWithoutKey(t *testing.T) {
	withoutTestKey(t)
	_, prefix := redistest.Client(t)
	for _, env := range []map[string]string{
		{"DATA_DIR": t.TempDir(), "TELEGRAM_BOT_TOKEN": "1:x"},
		{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "TELEGRAM_BOT_TOKEN": "1:x"},
	} {
		if _, _, err := runUmkmbot(env, "", "serve"); err == nil || !strings.Contains(err.Error(), "umkmbot keys new") {
			t.Errorf("serve without a key: err = %v", err)
		}
	}
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	for _, args := range [][]string{{"chat"}, {"export", "registrations"}} {
		if _, _, err := runUmkmbot(env, "halo\n", args...); err == nil || !strings.Contains(err.Error(), "umkmbot keys new") {
			t.Errorf("%s on Redis without a key: err = %v", args[0], err)
		}
	}
	if _, _, err := runUmkmbot(map[string]string{"DATA_KEY": "nonsense", "DATA_DIR": t.TempDir()}, "", "chat"); err == nil || !strings.Contains(err.Error(), "DATA_KEY") {
		t.Errorf("a malformed DATA_KEY: err = %v", err)
	}
}

// TestChatMakesLocalKey: the terminal chat on the embedded store makes a
// key file with mode 0600 and says so, uses it again next time, and
// the snapshot holds the NIK and phone only sealed.
func TestChatMakesLocalKey(t *testing.T) {
	withoutTestKey(t)
	dir := t.TempDir()
	env := map[string]string{"DATA_DIR": dir}
	out, stderr, err := runUmkmbot(env, registration, "chat")
	if err != nil || !strings.Contains(out, "UMKM-3214-000001") {
		t.Fatalf("chat: %v\n%s", err, out)
	}
	path := filepath.Join(dir, localKeyFile)
	if !strings.Contains(stderr, "made a data key in "+path+" (mode 0600)") {
		t.Errorf("chat did not say it made a key:\n%s", stderr)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	_, stderr, err = runUmkmbot(env, "profil\n", "chat")
	if err != nil || strings.Contains(stderr, "made a data key") {
		t.Fatalf("second chat: %v, made another key:\n%s", err, stderr)
	}
	rows := readCSV(t, umkmbot(t, env, "", "export", "registrations", "--include-nik"))
	if rows[1][len(rows[1])-1] != "3214015503900001" {
		t.Fatalf("export with the local key: %v", rows[1])
	}

	// The snapshot: no key holds them in clear.
	var snap struct {
		Keys []json.RawMessage `json:"keys"`
	}
	b, err := os.ReadFile(filepath.Join(dir, store.EmbeddedSnapshotFile))
	if err != nil || json.Unmarshal(b, &snap) != nil {
		t.Fatalf("snapshot: %v", err)
	}
	regKeys := 0
	for _, k := range snap.Keys {
		if strings.Contains(string(k), "{r:3214}") {
			regKeys++
		}
		for _, v := range clearValues {
			if strings.Contains(string(k), v) {
				t.Errorf("snapshot holds %s in clear: %s", v, k)
			}
		}
	}
	if regKeys < 4 {
		t.Fatalf("snapshot has %d registration keys", regKeys)
	}
}

// TestRegistrationKeysHoldNoClearData: after a full registration in the
// terminal chat on Redis, no key holds the NIK or phone, in its name or
// its value (the registration's keys hold them sealed; the finished
// conversation keeps no draft answers).
func TestRegistrationKeysHoldNoClearData(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	umkmbot(t, env, registration, "chat")
	n := 0
	for k, v := range regionKeys(t, rdb, prefix) {
		if strings.Contains(k, "{r:") {
			n++
		}
		for _, c := range clearValues {
			if strings.Contains(k+v, c) {
				t.Errorf("%s holds %s in clear: %s", k, c, v)
			}
		}
	}
	if n < 4 {
		t.Fatalf("%d registration keys", n)
	}
}

// TestMigrateEncryptAndRotate: registrations stored in clear stop serve
// until `migrate encrypt` has run (counts reported; a second run has
// nothing to do); `keys rotate` moves everything to a new key, after
// which the old key can go. Both are in the audit log.
func TestMigrateEncryptAndRotate(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	plain := store.New(rdb, store.Options{Prefix: prefix})
	for i := 1; i <= 3; i++ {
		r := &umkm.Registration{Region: "32.14", Conv: bot.Conversation{Channel: bot.Telegram, User: fmt.Sprint(i)},
			NIK: fmt.Sprintf("32140155039%05d", i), Phone: fmt.Sprintf("+62812345678%02d", i), OwnerName: "Siti"}
		if err := plain.CreateRegistration(ctx, r, 1); err != nil {
			t.Fatal(err)
		}
	}
	oldKey, newKey := testDataKey, umkmbot(t, nil, "", "keys", "new")
	newKey = strings.TrimSpace(newKey)
	if _, err := pii.Parse(newKey); err != nil || newKey == oldKey {
		t.Fatalf("keys new printed %q: %v", newKey, err)
	}
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "DATA_KEY": oldKey, "TELEGRAM_BOT_TOKEN": "1:x"}
	if _, _, err := runUmkmbot(env, "", "serve"); err == nil || !strings.Contains(err.Error(), "umkmbot migrate encrypt") {
		t.Fatalf("serve over clear registrations: err = %v", err)
	}
	if out := umkmbot(t, env, "", "migrate", "encrypt"); !strings.Contains(out, "3 registrations, 3 encrypted") {
		t.Fatalf("migrate encrypt said %q", out)
	}
	if out := umkmbot(t, env, "", "migrate", "encrypt"); !strings.Contains(out, "3 registrations, 0 encrypted") || !strings.Contains(out, "3 already were") {
		t.Fatalf("second migrate encrypt said %q", out)
	}
	for k, v := range regionKeys(t, rdb, prefix) {
		if strings.Contains(k+v, "3214015503900") || strings.Contains(k+v, "8123456780") {
			t.Errorf("%s still holds clear data: %s", k, v)
		}
	}

	env["DATA_KEY"] = newKey + "," + oldKey
	if out := umkmbot(t, env, "", "keys", "rotate"); !strings.Contains(out, "3 registrations, 3 encrypted under key "+strings.Split(newKey, ":")[0]) {
		t.Fatalf("keys rotate said %q", out)
	}
	env["DATA_KEY"] = newKey
	rows := readCSV(t, umkmbot(t, env, "", "export", "registrations", "--include-nik"))
	if len(rows) != 4 || rows[3][len(rows[3])-1] != "3214015503900003" {
		t.Fatalf("export under the new key alone: %v", rows)
	}
	list := umkmbot(t, env, "", "audit", "list")
	keyLines := 0
	for _, l := range strings.Split(list, "\n") {
		if f := strings.Fields(l); len(f) > 3 && f[3] == umkm.AuditKeys {
			keyLines++
		}
	}
	if keyLines != 3 || !strings.Contains(list, "keys rotate key=") {
		t.Fatalf("audit list:\n%s", list)
	}
}
