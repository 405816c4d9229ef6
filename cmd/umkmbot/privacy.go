package main

import (
	"context"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/pii"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
)

func init() {
	addGroup("audit", "the audit log of personal data: exports, full NIK/phone reveals, status changes, check-ins, key operations, retention",
		leaf("list", "", "list audit entries, oldest first", auditList))
	addService("retention", runRetention)
}

// retentionEvery is how often serve enforces retention.
const retentionEvery = time.Hour

// runRetention enforces what Redis expiries alone cannot: per-recipient
// broadcast records BROADCAST_RECORD_TTL after the broadcast ended, audit
// entries older than AUDIT_TTL in a quiet log. A pass runs at start and
// then hourly; every process may run it (each step is idempotent).
func runRetention(ctx context.Context, a *App) error {
	log := a.Log.With("service", "retention")
	for {
		if err := retentionPass(ctx, a, log); err != nil && ctx.Err() == nil {
			log.Warn("retention pass", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retentionEvery):
		}
	}
}

// retentionPass runs the retention once, logs the counts and records
// removals in the audit log.
func retentionPass(ctx context.Context, a *App, log *slog.Logger) error {
	c, err := a.Store.ExpireBroadcastRecords(ctx, a.Cfg.Privacy.BroadcastRecordTTL, a.Channels.IDs())
	if err != nil {
		return err
	}
	trimmed, err := a.Audit().Trim(ctx)
	if err != nil {
		return err
	}
	forgotten, err := a.Store.ForgetErasedWhatsAppUsers(ctx)
	if err != nil {
		return err
	}
	log.Info("retention", "ended_broadcasts", c.Broadcasts, "records_scheduled", c.Scheduled,
		"records_removed", c.Removed, "audit_entries_dropped", trimmed, "erased_whatsapp_numbers_dropped", forgotten)
	if c.Removed > 0 {
		return a.Audit().Audit(ctx, umkm.AuditEntry{Actor: "serve:" + a.Cfg.Instance, Action: umkm.AuditRetention,
			Subject: "broadcast recipient records", Count: c.Removed,
			Detail: "broadcasts whose records passed BROADCAST_RECORD_TTL=" + a.Cfg.Privacy.BroadcastRecordTTL.String()})
	}
	return nil
}

// PrivacyConfig is how personal data is kept: retention of the audit log
// and of per-recipient broadcast records.
type PrivacyConfig struct {
	Keys               *pii.Keyring  // DATA_KEY or DATA_KEY_FILE: data keys, the newest first; nil: none configured
	AuditTTL           time.Duration // AUDIT_TTL (default 2 years)
	BroadcastRecordTTL time.Duration // BROADCAST_RECORD_TTL (default 90 days after a broadcast ends)
}

// loadPrivacyConfig reads the personal-data settings; dur reports bad
// durations into the configuration's errors.
func loadPrivacyConfig(getenv func(string) string, dur func(string, time.Duration) time.Duration, errs *[]string) PrivacyConfig {
	c := PrivacyConfig{
		AuditTTL:           dur("AUDIT_TTL", store.DefaultAuditTTL),
		BroadcastRecordTTL: dur("BROADCAST_RECORD_TTL", store.DefaultBroadcastRecordTTL),
	}
	if k := loadDataKey(getenv, errs); k != "" {
		kr, err := pii.Parse(k)
		if err != nil {
			*errs = append(*errs, fmt.Sprintf("DATA_KEY: %v", err))
		}
		c.Keys = kr
	}
	return c
}

// Audit is the app's audit log.
func (a *App) Audit() *store.AuditLog { return a.Store.AuditLog(a.Cfg.Privacy.AuditTTL) }

// audit records what a CLI command did; a failure is an error of the
// command, since the change it records already happened.
func audit(ctx context.Context, a *App, env *Env, action, subject string, count int, detail string) error {
	err := a.Audit().Audit(ctx, umkm.AuditEntry{Actor: cliActor(env), Action: action, Subject: subject, Count: count, Detail: detail})
	if err != nil {
		return fmt.Errorf("done, but not recorded in the audit log: %w", err)
	}
	return nil
}

func auditList(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("audit list", env)
	since := fs.String("since", "", `only entries from then on: a WIB date ("2026-12-01", "2026-12-01 09:00") or a duration back from now ("72h")`)
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	from, err := parseSince(*since, time.Now())
	if err != nil {
		return usageFor(fs, "%v", err)
	}
	return withApp(ctx, env, false, func(app *App) error { return printAudit(ctx, env, app, from) })
}

func printAudit(ctx context.Context, env *Env, app *App, from time.Time) error {
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TIME (WIB)\tACTOR\tACTION\tSUBJECT\tCOUNT\tDETAIL")
	err := app.Audit().List(ctx, from, func(e umkm.AuditEntry) error {
		_, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", e.At.In(bot.Jakarta).Format("2006-01-02 15:04:05"),
			e.Actor, e.Action, e.Subject, e.Count, e.Detail)
		return err
	})
	if err != nil {
		return err
	}
	return w.Flush()
}

// parseSince reads --since: empty (everything), a duration back from now,
// or a WIB date or date and time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, bot.Jakarta); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: use a date (2026-12-01), a WIB time (\"2026-12-01 09:00\") or a duration (72h)", s)
}
