package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/jobs"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
)

func init() {
	addGroup("curation", "review curation applications: diajukan → ditinjau → diterima/ditolak; serve tells the owner of each change",
		leaf("list", "", "list applications, oldest first", curationList),
		&command{name: "set-status", args: "ID ditinjau|diterima|ditolak", run: curationSetStatus,
			summary: "move an application on (ID as listed, KUR-3214-000001, or just its number 1)",
			more:    "A decision (diterima, ditolak) is final; ditolak needs --note telling the owner what to improve."})
	addService("notices", runCurationNotices)
}

// loadOutlets puts the region's galeri outlets into Redis for the galeri
// flow (GEO search). Bad outlet data stops the program; a store that takes
// no writes (a second process on the embedded store) keeps what it has,
// without trying.
func loadOutlets(ctx context.Context, a *App) error {
	for _, o := range a.Region.Outlets {
		if err := umkm.ValidateOutlet(o); err != nil {
			return fmt.Errorf("region %s: %w", a.Region.Code, err)
		}
	}
	if a.Embedded != nil && a.Embedded.ReadOnly() {
		return nil // another process holds the store and has loaded them
	}
	if err := a.Store.LoadOutlets(ctx, a.Region); err != nil {
		a.Log.Warn("galeri outlets not reloaded", "err", err)
	}
	return nil
}

func curationList(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("curation list", env)
	status := fs.String("status", "", "only applications with this status: diajukan, ditinjau, diterima, ditolak")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	var st umkm.ApplicationStatus
	if *status != "" {
		var ok bool
		if st, ok = umkm.ParseStatus(*status); !ok {
			return usageFor(fs, "--status %q: use diajukan, ditinjau, diterima or ditolak", *status)
		}
	}
	return withApp(ctx, env, false, func(app *App) error {
		apps, err := app.Store.Applications(ctx, app.Region.Code, st)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tSUBMITTED (WIB)\tSTATUS\tREGISTRATION\tBUSINESS\tTARGET\tPRODUCTS\tNOTE")
		for _, a := range apps {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.CreatedAt.In(bot.Jakarta).Format("2006-01-02 15:04"),
				a.Status, a.RegistrationID, a.Business, a.TargetName, strings.Join(a.Products, "; "), a.Note)
		}
		return w.Flush()
	})
}

// applicationID is the full id of an application given as listed
// (KUR-3214-000001, any case) or by its number in the region (1); region
// is the region's code (32.14).
func applicationID(s, region string) string {
	s = strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(s), "#"))
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return fmt.Sprintf("KUR-%s-%06d", strings.ReplaceAll(region, ".", ""), n)
	}
	return s
}

func curationSetStatus(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("curation set-status", env)
	note := fs.String("note", "", "the Dinas's note to the owner (required for ditolak)")
	pos, err := parseArgs(fs, args, 2, 2)
	if err != nil {
		return err
	}
	st, ok := umkm.ParseStatus(pos[1])
	if !ok || st == umkm.StatusSubmitted {
		return usageFor(fs, "status %q: use ditinjau, diterima or ditolak", pos[1])
	}
	*note = strings.TrimSpace(*note)
	return withApp(ctx, env, true, func(app *App) error {
		id := applicationID(pos[0], app.Region.Code)
		if _, err := app.Store.Application(ctx, id); errors.Is(err, bot.ErrNotFound) {
			return fmt.Errorf("curation application %s not found (`umkmbot curation list` shows them)", id)
		} else if err != nil {
			return err
		}
		if st == umkm.StatusRejected && *note == "" {
			return usagef("ditolak needs --note telling the owner what to improve")
		}
		a, err := app.Store.SetApplicationStatus(ctx, id, st, *note, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s: %s; the owner (%s) will be told by the running serve\n", a.ID, a.Status, a.Conv.Channel)
		return audit(ctx, app, env, umkm.AuditStatusChange, a.ID, 1, statusChangeDetail(a))
	})
}

// curationNotices is the job that tells owners of status changes.
func curationNotices(a *App) *jobs.CurationNotices {
	return &jobs.CurationNotices{Store: a.Store.CurationStore, Region: a.Region.Code, Notifier: a.Outbox,
		Compose: flows.CurationNotice, Log: a.Log.With("service", "notices")}
}

// runCurationNotices sends queued curation status changes to the owners
// until ctx ends.
func runCurationNotices(ctx context.Context, a *App) error { return curationNotices(a).Run(ctx) }

// statusChangeDetail is "diajukan→ditinjau", from the application's history.
func statusChangeDetail(a *umkm.Application) string {
	if n := len(a.History); n >= 2 {
		return string(a.History[n-2].Status) + "→" + string(a.History[n-1].Status)
	}
	return string(a.Status)
}
