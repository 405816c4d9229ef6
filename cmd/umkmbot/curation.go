package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/store"
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
		if err := bot.ValidateOutlet(o); err != nil {
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
	var st bot.ApplicationStatus
	if *status != "" {
		var ok bool
		if st, ok = bot.ParseStatus(*status); !ok {
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
	st, ok := bot.ParseStatus(pos[1])
	if !ok || st == bot.StatusSubmitted {
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
		if st == bot.StatusRejected && *note == "" {
			return usagef("ditolak needs --note telling the owner what to improve")
		}
		a, err := app.Store.SetApplicationStatus(ctx, id, st, *note, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s: %s; the owner (%s) will be told by the running serve\n", a.ID, a.Status, a.Conv.Channel)
		return audit(ctx, app, env, bot.AuditStatusChange, a.ID, 1, statusChangeDetail(a))
	})
}

// runCurationNotices sends queued curation status changes to the owners
// until ctx ends.
func runCurationNotices(ctx context.Context, a *App) error {
	log := a.Log.With("service", "notices")
	if n, err := a.Store.RequeueCurationNotices(ctx, a.Region.Code); err != nil {
		if ctx.Err() != nil { // serve stopped before the job started: not a failure
			return nil
		}
		return err
	} else if n > 0 {
		log.Info("requeued curation notices left unsent", "count", n)
	}
	// Block a second at a time: go-redis does not abort a blocking BLMOVE
	// when ctx is cancelled, and serve should stop promptly.
	for ctx.Err() == nil {
		if _, err := drainCurationNotices(ctx, a.Store, a.Region.Code, a.Outbox, time.Second, log); err != nil {
			if ctx.Err() != nil {
				break
			}
			log.Warn("curation notices", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
			}
			if _, err := a.Store.RequeueCurationNotices(ctx, a.Region.Code); err != nil && ctx.Err() == nil {
				log.Warn("requeue curation notices", "err", err)
			}
		}
	}
	return nil
}

// drainCurationNotices sends notices until none comes within wait. A
// notice for a channel this process does not serve, or a person who
// blocked the bot, is dropped with a log line; another send error stops
// the drain with the notice left in the busy list for requeueing.
func drainCurationNotices(ctx context.Context, s *store.Store, region string, n bot.Notifier, wait time.Duration, log *slog.Logger) (int, error) {
	sent := 0
	for {
		notice, done, ok, err := s.NextCurationNotice(ctx, region, wait)
		if err != nil || !ok {
			return sent, err
		}
		to, valid := bot.ParseConversation(notice.Conv)
		if valid {
			err = n.Notify(ctx, to, flows.CurationNotice(notice.App, notice.TargetName, string(notice.Status), notice.Note))
		}
		switch {
		case !valid, errors.Is(err, bot.ErrNoChannel), errors.Is(err, bot.ErrUnreachable):
			bot.ConvLogger(log, to, "").Warn("curation notice dropped", "app", notice.App, "err", err)
		case err != nil:
			return sent, fmt.Errorf("notify %s of %s: %w", to.Channel, notice.App, err)
		default:
			sent++
		}
		if err := done(ctx); err != nil {
			return sent, err
		}
	}
}

// statusChangeDetail is "diajukan→ditinjau", from the application's history.
func statusChangeDetail(a *bot.Application) string {
	if n := len(a.History); n >= 2 {
		return string(a.History[n-2].Status) + "→" + string(a.History[n-1].Status)
	}
	return string(a.Status)
}
