package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/umkmbot/umkmbot/bot/pii"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
)

func init() {
	addGroup("keys", "data keys that encrypt NIK and phone numbers at rest. Rotation: put the new key first in DATA_KEY (\"new,old\"), restart every serve, run keys rotate (it may run while serving and may be interrupted and run again), then remove the old key",
		leaf("new", "", "print a new data key (add it to DATA_KEY, first, and keep a copy safe)", keysNew),
		leaf("rotate", "", "re-encrypt every NIK and phone number under the first key of DATA_KEY", keysRotate))
	addGroup("migrate", "one-off data migrations",
		leaf("encrypt", "", "encrypt NIKs and phone numbers stored before DATA_KEY was set (safe to run again)", migrateEncrypt),
		leaf("whatsapp", "", "move WhatsApp conversations stored under phone numbers to their pseudonyms, with serve stopped (safe to run again)", migrateWhatsApp))
}

// localKeyFile is the key file the embedded store makes in DATA_DIR when
// no DATA_KEY is configured.
const localKeyFile = "data.key"

// testDataKey is used when DATA_KEY and DATA_KEY_FILE are both unset; only
// this package's tests set it.
var testDataKey string

// errNoDataKey is what serve (and any command on a real Redis) says
// without a key.
var errNoDataKey = errors.New("no data key: NIK and phone numbers are stored encrypted. " +
	"Make a key with `umkmbot keys new`, keep a copy in a safe place (without it the data cannot be read), " +
	"and set DATA_KEY to it, or DATA_KEY_FILE to a file holding it")

// loadDataKey reads DATA_KEY or the file DATA_KEY_FILE names; "" when
// neither is set.
func loadDataKey(getenv func(string) string, errs *[]string) string {
	v, err := readSecret(getenv, "DATA_KEY")
	if err != nil {
		*errs = append(*errs, err.Error())
		return ""
	}
	if v == "" {
		return testDataKey
	}
	return v
}

// openKeys returns the data keys of the configuration; on the embedded
// store without a configured key, those of DATA_DIR's key file, made
// (mode 0600) when missing: made is its path then.
func openKeys(cfg Config) (kr *pii.Keyring, made string, err error) {
	if cfg.Privacy.Keys != nil {
		return cfg.Privacy.Keys, "", nil
	}
	if cfg.UsesRedis() {
		return nil, "", errNoDataKey
	}
	path := filepath.Join(cfg.DataDir, localKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k, err := pii.NewKey(time.Now(), nil)
		if err != nil {
			return nil, "", err
		}
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, "", err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, "", fmt.Errorf("make the local data key: %w", err)
		}
		_, err = f.WriteString(k + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, "", fmt.Errorf("write the local data key %s: %w", path, err)
		}
		kr, err := pii.Parse(k)
		return kr, path, err
	}
	if err != nil {
		return nil, "", fmt.Errorf("read the local data key: %w", err)
	}
	kr, err = pii.Parse(string(b))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return kr, "", nil
}

// checkSealed refuses to serve registrations stored before encryption:
// their NIKs would not be found by blind index, so a NIK could register
// twice. On the embedded store (chat) it encrypts them and says so. The
// same for WhatsApp conversations stored under the number.
func checkSealed(ctx context.Context, a *App, env *Env, migrate bool) error {
	if err := checkWhatsAppIDs(ctx, a, env, migrate); err != nil {
		return err
	}
	has, err := a.Store.HasClearRegistrations(ctx, a.Region.Code)
	if err != nil || !has {
		return err
	}
	if !migrate {
		return errors.New("registrations are stored unencrypted, from before DATA_KEY was set: run `umkmbot migrate encrypt` first")
	}
	c, err := a.Store.SealRegistrations(ctx, a.Region.Code, nil)
	if err != nil {
		return fmt.Errorf("encrypt registrations: %w", err)
	}
	fmt.Fprintf(env.Stderr, "umkmbot: encrypted %d registrations stored before encryption\n", c.Sealed)
	return audit(ctx, a, env, umkm.AuditKeys, "registrations", c.Sealed, "migrate encrypt (chat) key="+a.Keys.IDs()[0])
}

func keysNew(ctx context.Context, env *Env, args []string) error {
	if _, err := parseArgs(flagSet("keys new", env), args, 0, 0); err != nil {
		return err
	}
	k, err := pii.NewKey(time.Now(), nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, k)
	return nil
}

func keysRotate(ctx context.Context, env *Env, args []string) error {
	if _, err := parseArgs(flagSet("keys rotate", env), args, 0, 0); err != nil {
		return err
	}
	return sealAll(ctx, env, "keys rotate")
}

func migrateEncrypt(ctx context.Context, env *Env, args []string) error {
	if _, err := parseArgs(flagSet("migrate encrypt", env), args, 0, 0); err != nil {
		return err
	}
	return sealAll(ctx, env, "migrate encrypt")
}

// sealAll brings every registration under the first data key, reporting
// progress and counts, and records it in the audit log.
func sealAll(ctx context.Context, env *Env, what string) error {
	return withApp(ctx, env, true, func(app *App) error { return seal(ctx, env, app, what) })
}

func seal(ctx context.Context, env *Env, app *App, what string) error {
	progress := func(c store.SealCounts) {
		fmt.Fprintf(env.Stderr, "%s: %d looked at, %d rewritten\n", what, c.Seen, c.Sealed)
	}
	key := app.Keys.IDs()[0]
	for _, step := range []struct {
		subject, counted string
		always           bool // audited even when nothing changed
		run              func() (store.SealCounts, error)
	}{
		{"registrations", "registrations", true, func() (store.SealCounts, error) {
			return app.Store.SealRegistrations(ctx, app.Region.Code, progress)
		}},
		// The phone numbers channels reported (conversation profiles).
		{"profiles", "profile phone numbers", false, func() (store.SealCounts, error) { return app.Store.SealProfiles(ctx) }},
		// The WhatsApp ids behind pseudonymous conversations, and their
		// blind index under the new key (so the pseudonyms outlive the old key).
		{"whatsapp ids", "WhatsApp ids", false, func() (store.SealCounts, error) { return app.Store.RotateWhatsAppIDs(ctx) }},
	} {
		c, err := step.run()
		fmt.Fprintf(env.Stdout, "%s: %d %s, %d encrypted under key %s, %d already were\n",
			what, c.Seen, step.counted, c.Sealed, key, c.Unchanged)
		if err != nil {
			return fmt.Errorf("%s stopped (run it again to resume): %w", what, err)
		}
		if c.Sealed > 0 || step.always {
			if err := audit(ctx, app, env, umkm.AuditKeys, step.subject, c.Sealed, what+" key="+key); err != nil {
				return err
			}
		}
	}
	return nil
}

// keyNotice tells the person at the terminal that a local key was made.
func keyNotice(w io.Writer, path string) {
	if path != "" {
		fmt.Fprintf(w, "umkmbot: made a data key in %s (mode 0600): NIKs and phone numbers in %s are encrypted with it; keep it with the data, without it they cannot be read\n",
			path, filepath.Dir(path))
	}
}
