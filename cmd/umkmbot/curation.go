package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/store"
)

func init() {
	addCommand("curation", "review curation applications: curation list [--status S] | set-status ID STATUS [--note TEXT]", runCuration)
	addService("notices", runCurationNotices)
}

const curationUsage = `usage:
  umkmbot curation list [--status diajukan|ditinjau|diterima|ditolak]
  umkmbot curation set-status ID ditinjau|diterima|ditolak [--note "…"]
The order is diajukan → ditinjau → diterima/ditolak; a decision is final and
ditolak needs a --note telling the owner what to improve. Each change is
sent to the owner on their channel by the running serve.`

// loadOutlets puts the region's galeri outlets into Redis for the galeri
// flow (GEO search). Bad outlet data stops the program; a store that takes
// no writes (a second process on the embedded store) keeps what it has.
func loadOutlets(ctx context.Context, a *App) error {
	for _, o := range a.Region.Outlets {
		if err := bot.ValidateOutlet(o); err != nil {
			return fmt.Errorf("region %s: %w", a.Region.Code, err)
		}
	}
	if err := a.Store.LoadOutlets(ctx, a.Region); err != nil {
		a.Log.Warn("galeri outlets not reloaded", "err", err)
	}
	return nil
}

func runCuration(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return errors.New(curationUsage)
	}
	switch args[0] {
	case "list":
		return curationList(ctx, env, args[1:])
	case "set-status":
		return curationSetStatus(ctx, env, args[1:])
	}
	return fmt.Errorf("unknown curation command %q\n%s", args[0], curationUsage)
}

// splitArgs separates positional arguments from flags, so flags may come
// after the positionals ("set-status ID ditolak --note …").
func splitArgs(args []string, valued map[string]bool) (pos, flags []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if valued[name] && !strings.Contains(name, "=") && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return pos, flags
}

func curationList(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("curation list", env)
	status := fs.String("status", "", "only applications with this status")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var st bot.ApplicationStatus
	if *status != "" {
		var ok bool
		if st, ok = bot.ParseStatus(*status); !ok {
			return fmt.Errorf("unknown status %q\n%s", *status, curationUsage)
		}
	}
	app, err := openCLIApp(ctx, env)
	if err != nil {
		return err
	}
	defer app.Close()
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
}

func curationSetStatus(ctx context.Context, env *Env, args []string) error {
	pos, flags := splitArgs(args, map[string]bool{"note": true})
	fs := flagSet("curation set-status", env)
	note := fs.String("note", "", "the Dinas's note to the owner (required for ditolak)")
	if err := fs.Parse(flags); err != nil {
		return err
	}
	if len(pos) != 2 {
		return errors.New(curationUsage)
	}
	st, ok := bot.ParseStatus(pos[1])
	if !ok || st == bot.StatusSubmitted {
		return fmt.Errorf("status %q: use ditinjau, diterima or ditolak\n%s", pos[1], curationUsage)
	}
	*note = strings.TrimSpace(*note)
	if st == bot.StatusRejected && *note == "" {
		return errors.New("ditolak needs --note telling the owner what to improve")
	}
	app, err := openCLIApp(ctx, env)
	if err != nil {
		return err
	}
	defer app.Close()
	a, err := app.Store.SetApplicationStatus(ctx, pos[0], st, *note, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: %s; the owner (%s) will be told by the running serve\n", a.ID, a.Status, a.Conv.Channel)
	return audit(ctx, app, env, bot.AuditStatusChange, a.ID, 1, statusChangeDetail(a))
}

// runCurationNotices sends queued curation status changes to the owners
// until ctx ends.
func runCurationNotices(ctx context.Context, a *App) error {
	log := a.Log.With("service", "notices")
	if n, err := a.Store.RequeueCurationNotices(ctx, a.Region.Code); err != nil {
		if ctx.Err() != nil {
			return nil // serve stopped while starting
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
			log.Warn("curation notice dropped", "app", notice.App, "channel", to.Channel, "err", err)
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
