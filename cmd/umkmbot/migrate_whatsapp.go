package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
)

// migrateWhatsApp is `umkmbot migrate whatsapp`: WhatsApp conversations
// stored under the phone number (before pseudonyms) move to their
// pseudonyms. serve must be stopped: it refuses to start until this ran.
func migrateWhatsApp(ctx context.Context, env *Env, args []string) error {
	if _, err := parseArgs(flagSet("migrate whatsapp", env), args, 0, 0); err != nil {
		return err
	}
	return withApp(ctx, env, true, func(app *App) error {
		holder, err := app.Redis.Get(ctx, waLeaseKey(app.Store)).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("read whatsapp lease: %w", err)
		}
		if holder != "" {
			return fmt.Errorf("serve (%s) holds the WhatsApp connection: stop every serve process, then run `umkmbot migrate whatsapp`", holder)
		}
		return migrateWhatsAppIDs(ctx, env, env.Stdout, app, "migrate whatsapp")
	})
}

// migrateWhatsAppIDs runs the migration, reporting progress and counts,
// and records it in the audit log.
func migrateWhatsAppIDs(ctx context.Context, env *Env, out io.Writer, app *App, what string) error {
	progress := func(c store.WhatsAppMigration) {
		fmt.Fprintf(env.Stderr, "%s: %d keys looked at, %d conversations so far\n", what, c.Keys, c.Users)
	}
	c, err := app.Store.MigrateWhatsAppUsers(ctx, progress)
	fmt.Fprintf(out, "%s: %d keys looked at, %d WhatsApp conversations given their pseudonym, %d keys renamed, %d rewritten, %d broadcast deliveries queued again\n",
		what, c.Keys, c.Users, c.Renamed, c.Rewritten, c.Queued)
	if err != nil {
		return fmt.Errorf("%s stopped (run it again to resume): %w", what, err)
	}
	if c.Users == 0 {
		return nil
	}
	return audit(ctx, app, env, umkm.AuditKeys, "whatsapp conversations", c.Users,
		fmt.Sprintf("%s: numbers replaced by pseudonyms in %d keys", what, c.Renamed+c.Rewritten))
}

// checkWhatsAppIDs refuses to serve WhatsApp conversations stored under
// the number: their people would start afresh under the pseudonym. On the
// embedded store (chat) it migrates them and says so.
func checkWhatsAppIDs(ctx context.Context, a *App, env *Env, migrate bool) error {
	var regions []string
	for _, u := range a.Region.Served() {
		regions = append(regions, u.Code)
	}
	need, err := a.Store.NeedsWhatsAppMigration(ctx, regions)
	if err != nil || !need {
		return err
	}
	if !migrate {
		return errors.New("WhatsApp conversations are stored under phone numbers, from before pseudonyms: stop every serve process and run `umkmbot migrate whatsapp` first")
	}
	return migrateWhatsAppIDs(ctx, env, env.Stderr, a, "umkmbot: migrate whatsapp (chat)")
}
