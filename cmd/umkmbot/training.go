package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/store"
)

func init() {
	addCommand("training", "manage trainings: training add|edit|open|close|list|participants|checkin (-h for flags)", runTraining)
	addService("reminders", runReminders)
}

// runReminders sends training reminders and the notices the CLI queued
// (owners promoted by a capacity raise), polling every 30 seconds.
func runReminders(ctx context.Context, a *App) error {
	r := &bot.Reminders{Store: a.Store, Notifier: a.Outbox, Compose: flows.TrainingNotice,
		Every: 30 * time.Second, Log: a.Log.With("service", "reminders")}
	return r.Run(ctx)
}

const trainingUsage = `usage:
  umkmbot training add --title T --topic C --start "2026-12-01 09:00" --end "2026-12-01 12:00" --capacity N
                       (--place ADDRESS | --online LINK) [--organiser O] [--deadline "…"] [--description D]
                       [--requirements R] [--kecamatan A,B] [--sectors A,B] [--sizes mikro,kecil]
  umkmbot training edit ID [any add flag; --capacity below the seats taken is refused, above promotes]
  umkmbot training open|close ID
  umkmbot training list [--all]
  umkmbot training participants ID --format csv [--include-phone]
  umkmbot training checkin ID CODE
Times are WIB ("2006-01-02 15:04"). Topics: ` + "%s" + `.`

func runTraining(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf(trainingUsage, strings.Join(bot.TrainingTopics, ", "))
	}
	verb, args := args[0], args[1:]
	run := map[string]func(context.Context, *Env, []string) error{
		"add": trainingAdd, "edit": trainingEdit, "open": trainingStatus(bot.TrainingOpen), "close": trainingStatus(bot.TrainingClosed),
		"list": trainingList, "participants": trainingParticipants, "checkin": trainingCheckIn,
	}[verb]
	if run == nil {
		return fmt.Errorf("unknown training command %q\n"+trainingUsage, verb, strings.Join(bot.TrainingTopics, ", "))
	}
	return run(ctx, env, args)
}

// trainingFlags are the flags of add and edit.
type trainingFlags struct {
	fs                                                 *flag.FlagSet
	title, topic, organiser, place, online, desc, reqs *string
	start, end, deadline                               *string
	kecamatan, sectors, sizes                          *string
	capacity                                           *int
}

func newTrainingFlags(name string, env *Env) *trainingFlags {
	fs := flagSet("training "+name, env)
	return &trainingFlags{
		fs:        fs,
		title:     fs.String("title", "", "title, as owners will see it"),
		topic:     fs.String("topic", "", "topic code: "+strings.Join(bot.TrainingTopics, ", ")),
		organiser: fs.String("organiser", "", "who runs it (the Dinas, a partner)"),
		place:     fs.String("place", "", "address of the venue"),
		online:    fs.String("online", "", "meeting link, for an online training (instead of --place)"),
		desc:      fs.String("description", "", "what the training covers"),
		reqs:      fs.String("requirements", "", "what to bring or have (HP Android, NIB, …)"),
		start:     fs.String("start", "", `start, WIB: "2026-12-01 09:00"`),
		end:       fs.String("end", "", `end, WIB: "2026-12-01 12:00"`),
		deadline:  fs.String("deadline", "", `sign-up deadline, WIB (default: the start)`),
		kecamatan: fs.String("kecamatan", "", "only businesses in these kecamatan (comma-separated; empty: all; - to clear)"),
		sectors:   fs.String("sectors", "", "only these sector codes: "+strings.Join(flows.SectorCodes(), ", ")+" (- to clear)"),
		sizes:     fs.String("sizes", "", "only these size classes: mikro, kecil, menengah (- to clear)"),
		capacity:  fs.Int("capacity", 0, "number of seats"),
	}
}

// apply copies the flags that were given onto t.
func (f *trainingFlags) apply(t *bot.Training, region bot.Region) error {
	var errs []error
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	str := func(name string, dst *string, v string) {
		if set[name] {
			*dst = strings.TrimSpace(v)
		}
	}
	str("title", &t.Title, *f.title)
	str("topic", &t.Topic, *f.topic)
	str("organiser", &t.Organiser, *f.organiser)
	str("description", &t.Description, *f.desc)
	str("requirements", &t.Requirements, *f.reqs)
	if set["place"] {
		t.Place, t.Online, t.Link = strings.TrimSpace(*f.place), false, ""
	}
	if set["online"] {
		t.Online, t.Link, t.Place = true, strings.TrimSpace(*f.online), ""
	}
	when := func(name, v string, dst *time.Time) {
		if !set[name] {
			return
		}
		tm, err := parseWIB(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("--%s: %w", name, err))
		}
		*dst = tm
	}
	when("start", *f.start, &t.Start)
	when("end", *f.end, &t.End)
	when("deadline", *f.deadline, &t.Deadline)
	if set["capacity"] {
		t.Capacity = *f.capacity
	}
	if set["kecamatan"] {
		ks, err := kecamatanList(region, *f.kecamatan)
		errs = append(errs, err)
		t.Kecamatan = ks
	}
	if set["sectors"] {
		t.Sectors = codeList(*f.sectors)
		for _, s := range t.Sectors {
			if !slices.Contains(flows.SectorCodes(), s) {
				errs = append(errs, fmt.Errorf("--sectors: %q is not one of %s", s, strings.Join(flows.SectorCodes(), ", ")))
			}
		}
	}
	if set["sizes"] {
		t.SizeClasses = codeList(*f.sizes)
	}
	return errors.Join(errs...)
}

func parseWIB(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, bot.Jakarta); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a WIB time like \"2026-12-01 09:00\"", s)
}

// codeList splits "a, B" into lower-case codes; "-" or "" is the empty list.
func codeList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" && p != "-" {
			out = append(out, p)
		}
	}
	return out
}

// kecamatanList resolves names (or aliases, any case) to the region's names.
func kecamatanList(region bot.Region, s string) ([]string, error) {
	var out []string
	var errs []error
	for _, p := range codeList(s) {
		i := slices.IndexFunc(region.Kecamatan, func(k bot.Kecamatan) bool {
			return bot.Normalize(k.Name) == bot.Normalize(p) || slices.ContainsFunc(k.Aliases, func(a string) bool { return bot.Normalize(a) == bot.Normalize(p) })
		})
		if i < 0 {
			errs = append(errs, fmt.Errorf("--kecamatan: %q is not a kecamatan of %s", p, region.Name))
			continue
		}
		out = append(out, region.Kecamatan[i].Name)
	}
	return out, errors.Join(errs...)
}

// openTrainingApp loads the configuration and opens the app for a
// training command.
func openTrainingApp(ctx context.Context, env *Env) (*App, error) {
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return nil, err
	}
	return openApp(ctx, cfg, env.Stderr)
}

func trainingAdd(ctx context.Context, env *Env, args []string) error {
	f := newTrainingFlags("add", env)
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	app, err := openTrainingApp(ctx, env)
	if err != nil {
		return err
	}
	defer app.Close()
	t := &bot.Training{Status: bot.TrainingOpen, Organiser: app.Region.Office}
	if err := f.apply(t, app.Region); err != nil {
		return err
	}
	if err := app.Store.CreateTraining(ctx, t); err != nil {
		return fmt.Errorf("add training: %w", err)
	}
	fmt.Fprintf(env.Stdout, "training %s added: %s, %s, %d seats; deep link payload pelatihan_%s\n",
		t.ID, t.Title, t.Start.In(bot.Jakarta).Format("2006-01-02 15:04 WIB"), t.Capacity, t.ID)
	return nil
}

// idArg takes the training id that comes first ("edit 12 --capacity 80").
func idArg(args []string, verb string) (string, []string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", nil, fmt.Errorf("usage: umkmbot training %s ID …", verb)
	}
	return args[0], args[1:], nil
}

func trainingEdit(ctx context.Context, env *Env, args []string) error {
	id, args, err := idArg(args, "edit")
	if err != nil {
		return err
	}
	f := newTrainingFlags("edit", env)
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	return changeTraining(ctx, env, id, f.apply)
}

// changeTraining loads training id, lets change edit it and saves it.
func changeTraining(ctx context.Context, env *Env, id string, change func(*bot.Training, bot.Region) error) error {
	app, err := openTrainingApp(ctx, env)
	if err != nil {
		return err
	}
	defer app.Close()
	t, err := app.Store.Training(ctx, id)
	if err != nil {
		return err
	}
	if err := change(t, app.Region); err != nil {
		return err
	}
	return saveTraining(ctx, env, app, t)
}

// saveTraining writes t and queues the promoted owners' notices for serve.
func saveTraining(ctx context.Context, env *Env, app *App, t *bot.Training) error {
	promoted, err := trainingSaver{app.Store}.SaveTraining(ctx, t)
	var ce *bot.CapacityError
	if errors.As(err, &ce) {
		return fmt.Errorf("training %s: capacity %d refused: %d seats are already taken (cancel participants first)", t.ID, t.Capacity, ce.Confirmed)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "training %s saved (%s, %d seats)\n", t.ID, t.Status, t.Capacity)
	if promoted > 0 {
		fmt.Fprintf(env.Stdout, "%d owners moved from the waitlist to a seat; `umkmbot serve` tells them\n", promoted)
	}
	return nil
}

// trainingSaver saves a training for the CLI and the web console alike:
// the store write, then the notices of owners promoted from the waitlist,
// which serve's reminders job sends.
type trainingSaver struct{ s *store.Store }

func (ts trainingSaver) SaveTraining(ctx context.Context, t *bot.Training) (int, error) {
	promoted, err := ts.s.UpdateTraining(ctx, t)
	if err != nil || len(promoted) == 0 {
		return 0, err
	}
	notices := make([]bot.TrainingNotice, len(promoted))
	for i, e := range promoted {
		notices[i] = bot.TrainingNotice{Kind: bot.NoticePromoted, Enrolment: e}
	}
	if err := ts.s.PushNotices(ctx, notices...); err != nil {
		return len(promoted), fmt.Errorf("%d owners got a seat but their notices were not queued: %w", len(promoted), err)
	}
	return len(promoted), nil
}

func trainingStatus(status bot.TrainingStatus) func(context.Context, *Env, []string) error {
	return func(ctx context.Context, env *Env, args []string) error {
		id, _, err := idArg(args, string(status))
		if err != nil {
			return err
		}
		return changeTraining(ctx, env, id, func(t *bot.Training, _ bot.Region) error {
			t.Status = status
			return nil
		})
	}
}

func trainingList(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("training list", env)
	all := fs.Bool("all", false, "include trainings that have ended")
	if err := fs.Parse(args); err != nil {
		return err
	}
	app, err := openTrainingApp(ctx, env)
	if err != nil {
		return err
	}
	defer app.Close()
	var ts []*bot.Training
	if *all {
		ts, err = app.Store.AllTrainings(ctx)
	} else {
		ts, err = app.Store.Trainings(ctx, time.Now())
	}
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTART (WIB)\tSTATUS\tSEATS\tWAITLIST\tTOPIC\tTITLE")
	for _, t := range ts {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d/%d\t%d\t%s\t%s\n", t.ID, t.Start.In(bot.Jakarta).Format("2006-01-02 15:04"),
			t.Status, t.Confirmed, t.Capacity, t.Waitlisted, t.Topic, t.Title)
	}
	return w.Flush()
}

// participantColumns is the participants CSV header, in order.
var participantColumns = []string{"training_id", "status", "waitlist_position", "registration_id", "owner_name",
	"business_name", "kecamatan", "channel", "phone", "attendance_code", "updated_at"}

func trainingParticipants(ctx context.Context, env *Env, args []string) error {
	id, args, err := idArg(args, "participants")
	if err != nil {
		return err
	}
	fs := flagSet("training participants", env)
	format := fs.String("format", "csv", "output format (csv)")
	withPhone := fs.Bool("include-phone", false, "write phone numbers in full instead of masked (authorised use only)")
	withCancelled := fs.Bool("include-cancelled", false, "also list cancelled sign-ups")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format != "csv" {
		return fmt.Errorf("unknown format %q: only csv", *format)
	}
	app, err := openTrainingApp(ctx, env)
	if err != nil {
		return err
	}
	defer app.Close()
	if _, err := app.Store.Training(ctx, id); err != nil {
		return err
	}
	ps, err := app.Store.Participants(ctx, id)
	if err != nil {
		return err
	}
	w := csv.NewWriter(env.Stdout)
	if err := w.Write(participantColumns); err != nil {
		return err
	}
	n := 0
	for _, p := range ps {
		if p.Status == bot.StatusCancelled && !*withCancelled {
			continue
		}
		var r *bot.Registration
		if p.Registration != "" {
			if r, err = app.Store.Registration(ctx, p.Registration); err != nil && !errors.Is(err, bot.ErrNotFound) {
				return err
			}
		}
		if err := w.Write(participantRow(p, r, *withPhone)); err != nil {
			return err
		}
		n++
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	app.Log.Info("exported participants", "training", id, "count", n, "phone", *withPhone)
	return nil
}

func participantRow(p bot.Enrolment, r *bot.Registration, withPhone bool) []string {
	if r == nil {
		r = &bot.Registration{}
	}
	phone := bot.MaskPhone(r.Phone)
	if withPhone {
		phone = r.Phone
	}
	pos := ""
	if p.Position > 0 {
		pos = strconv.Itoa(p.Position)
	}
	return []string{p.Training, string(p.Status), pos, p.Registration, r.OwnerName, r.BusinessName, r.Kecamatan,
		string(p.Conv.Channel), phone, p.Code, rfc3339WIB(p.At)}
}

func trainingCheckIn(ctx context.Context, env *Env, args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: umkmbot training checkin ID CODE")
	}
	code, ok := bot.ParseAttendanceCode(args[1])
	if !ok {
		return fmt.Errorf("%q is not an attendance code (6 letters/digits)", args[1])
	}
	app, err := openTrainingApp(ctx, env)
	if err != nil {
		return err
	}
	defer app.Close()
	e, err := app.Store.CheckIn(ctx, args[0], code, bot.Conversation{})
	if err != nil {
		return fmt.Errorf("check in %s: %w", code, err)
	}
	fmt.Fprintf(env.Stdout, "checked in: %s (%s)\n", e.Registration, e.Conv.Channel)
	return nil
}
