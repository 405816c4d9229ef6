package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot/pii"
	"github.com/umkmbot/umkmbot/store/redistest"
)

func TestMain(m *testing.M) {
	// Every test runs with a data key unless it sets its own (keys_test.go
	// clears this one to see what happens without).
	k, err := pii.NewKey(time.Now(), nil)
	if err != nil {
		panic(err)
	}
	testDataKey = k
	os.Exit(redistest.Run(m))
}

// registration is what an owner types to register, one message a line.
const registration = `halo
1
ya
Siti Aminah
3214 0155 0390 0001
0812 3456 7890
Keripik Bu Siti
kuliner
Plered
Anjun
Jl. Raya Anjun 5
keripik singkong
1
1
3
lewati
1,2
ya
`

// umkmbot runs the real program with env and stdin and returns stdout.
func umkmbot(t *testing.T, env map[string]string, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errs bytes.Buffer
	err := run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errs)
	if err != nil {
		t.Fatalf("umkmbot %s: %v\nstderr:\n%s", strings.Join(args, " "), err, errs.String())
	}
	return out.String()
}

// TestChatExportChat is the "done when": register in the terminal
// chat, export the row, chat again and find the data still there; once on
// the embedded store (data in a directory) and once on a real Redis.
func TestChatExportChat(t *testing.T) {
	_, prefix := redistest.Client(t)
	for name, env := range map[string]map[string]string{
		"embedded": {"DATA_DIR": t.TempDir()},
		"redis":    {"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix},
	} {
		t.Run(name, func(t *testing.T) {
			chat := umkmbot(t, env, registration, "chat")
			if !strings.Contains(chat, "UMKM-3214-000001") {
				t.Fatalf("chat did not end with a registration number:\n%s", chat)
			}
			if strings.Contains(chat, "3214015503900001") || strings.Contains(chat, "81234567890") {
				t.Fatalf("the chat shows the NIK or phone in clear:\n%s", chat)
			}

			rows := readCSV(t, umkmbot(t, env, "", "export", "registrations", "--format", "csv"))
			if len(rows) != 2 {
				t.Fatalf("export has %d rows, want header + 1", len(rows))
			}
			if got, want := strings.Join(rows[0], ","), strings.Join(registrationColumns, ","); got != want {
				t.Fatalf("header = %s\nwant     %s", got, want)
			}
			row := map[string]string{}
			for i, col := range rows[0] {
				row[col] = rows[1][i]
			}
			for col, want := range map[string]string{
				"registration_id": "UMKM-3214-000001", "channel": "console", "owner_name": "Siti Aminah",
				"nik_masked": "3214********0001", "phone": "'+62812****7890", // neutralised: a leading + is a formula to Excel "business_name": "Keripik Bu Siti",
				"sector": "kuliner", "kecamatan": "Plered", "desa": "Anjun", "size_class": "mikro", "workers": "3",
				"nib": "", "marketplaces": "shopee;tokopedia", "capital_bracket": "modal_le1m",
				"kabupaten_kota": "Kabupaten Purwakarta", "desa_code": "32.14.04.2009",
			} {
				if row[col] != want {
					t.Errorf("column %s = %q, want %q", col, row[col], want)
				}
			}
			if !strings.HasSuffix(row["registered_at"], "+07:00") || !strings.HasSuffix(row["consent_at"], "+07:00") {
				t.Errorf("times not in WIB RFC 3339: %q, %q", row["registered_at"], row["consent_at"])
			}

			full := readCSV(t, umkmbot(t, env, "", "export", "registrations", "--format", "csv", "--include-nik", "--include-phone"))
			if last := full[0][len(full[0])-1]; last != "nik" || full[1][len(full[1])-1] != "3214015503900001" {
				t.Errorf("--include-nik: last column %q = %q", last, full[1][len(full[1])-1])
			}
			if !strings.Contains(strings.Join(full[1], ","), "'+6281234567890") {
				t.Errorf("--include-phone did not write the phone in full: %v", full[1])
			}

			again := umkmbot(t, env, "daftar\nprofil\n", "chat")
			if !strings.Contains(again, "sudah terdaftar dengan nomor UMKM-3214-000001") || !strings.Contains(again, "Keripik Bu Siti") {
				t.Fatalf("a second chat does not see the registration:\n%s", again)
			}
		})
	}
}

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v\n%s", err, s)
	}
	return rows
}

func TestConfigValidation(t *testing.T) {
	env := map[string]string{"STATE_TTL": "soon", "DEFAULT_LANG": "fr", "MAX_REGISTRATIONS_PER_NIK": "0", "LOG_LEVEL": "loud",
		"REGION": "atlantis", "MARKETPLACE_FILE": "/nonexistent/marketplaces.toml"}
	_, err := loadConfig(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	// every problem at once, the files named by REGION and MARKETPLACE_FILE too
	for _, name := range []string{"STATE_TTL", "DEFAULT_LANG", "MAX_REGISTRATIONS_PER_NIK", "LOG_LEVEL", "REGION", "marketplace data"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	dir := t.TempDir()
	os.WriteFile(dir+"/url", []byte("redis://127.0.0.1:6399/0\n"), 0o600)
	cfg, err := loadConfig(func(k string) string { return map[string]string{"REDIS_URL_FILE": dir + "/url"}[k] })
	if err != nil || cfg.RedisURL != "redis://127.0.0.1:6399/0" {
		t.Fatalf("REDIS_URL_FILE: %q, %v", cfg.RedisURL, err)
	}
}

func TestRedisEndpoints(t *testing.T) {
	get := func(env map[string]string) func(string) string { return func(k string) string { return env[k] } }
	cfg, err := loadConfig(get(map[string]string{"REDIS_CLUSTER_ADDRS": "10.0.0.1:6379, 10.0.0.2:6379", "REDIS_PASSWORD": "s"}))
	if err != nil || !cfg.UsesRedis() || len(cfg.Redis.ClusterAddrs) != 2 || cfg.Redis.Password != "s" {
		t.Fatalf("cluster config = %+v, %v", cfg.Redis, err)
	}
	if _, err := loadConfig(get(map[string]string{"REDIS_URL": "redis://x:6379", "REDIS_CLUSTER_ADDRS": "y:6379"})); err == nil {
		t.Fatal("two Redis endpoints accepted")
	}
	if _, err := loadConfig(get(map[string]string{"REDIS_SENTINEL_MASTER": "mymaster"})); err == nil {
		t.Fatal("a sentinel master without sentinels accepted")
	}
	if cfg, _ := loadConfig(get(nil)); cfg.UsesRedis() {
		t.Fatal("no Redis configured, yet not the embedded store")
	}
}

// TestExportOnCluster registers and exports on a Redis Cluster: the whole program works
// against Cluster, not only the store's scripts.
func TestExportOnCluster(t *testing.T) {
	c := redistest.NewCluster(t, 3)
	env := map[string]string{"REDIS_CLUSTER_ADDRS": strings.Join(c.Options().Addrs, ",")}
	if chat := umkmbot(t, env, registration, "chat"); !strings.Contains(chat, "UMKM-3214-000001") {
		t.Fatalf("chat on the cluster did not register:\n%s", chat)
	}
	if rows := readCSV(t, umkmbot(t, env, "", "export", "registrations", "--format", "csv")); len(rows) != 2 {
		t.Fatalf("export on the cluster has %d rows", len(rows))
	}
}

// TestEnvBool: every true/false variable reads the same words.
func TestEnvBool(t *testing.T) {
	for v, want := range map[string]bool{"": true, "1": true, "t": true, "TRUE": true, " yes ": true, "On": true,
		"0": false, "f": false, "False": false, "no": false, "OFF": false} {
		var errs []string
		if got := envBool(func(string) string { return v }, "X", true, &errs); got != want || len(errs) > 0 {
			t.Errorf("%q: %v %v, want %v", v, got, errs, want)
		}
	}
	var errs []string
	if got := envBool(func(string) string { return "ya" }, "ADMIN_TRUST_PROXY", false, &errs); got || len(errs) != 1 || !strings.Contains(errs[0], `ADMIN_TRUST_PROXY="ya"`) {
		t.Errorf("ya: %v %v", got, errs)
	}
}

type fieldErr struct{ field, problem string }

func (e fieldErr) Error() string { return e.field + " " + e.problem }

// TestNamedProblems: a component's configuration errors come out under
// the variables' names, with the value as written except for a secret;
// errors the caller does not take are left out.
func TestNamedProblems(t *testing.T) {
	vars := map[string]string{"MaxAge": "X_MAX_AGE", "RelayMaxAge": "X_RELAY_MAX_AGE", "Token": "TELEGRAM_BOT_TOKEN"}
	env := map[string]string{"X_RELAY_MAX_AGE": "0", "TELEGRAM_BOT_TOKEN": "123:secret"}
	err := errors.Join(fieldErr{"RelayMaxAge", "must be more than MaxAge"}, fieldErr{"Token", "is bad"}, errors.New("tolerated"))
	got := namedProblems(err, vars, func(k string) string { return env[k] }, func(e error) (string, string, bool) {
		var fe fieldErr
		if !errors.As(e, &fe) {
			return "", "", false
		}
		return fe.field, fe.problem, true
	})
	want := []string{`X_RELAY_MAX_AGE="0" must be more than X_MAX_AGE`, "TELEGRAM_BOT_TOKEN is bad"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// testApp opens the App serve would build from env, closed when the test
// ends.
func testApp(ctx context.Context, t *testing.T, env map[string]string) *App {
	t.Helper()
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := openApp(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}
