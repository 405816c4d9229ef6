package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/jobs"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/store"
)

func init() {
	addGroup("training", "manage the Dinas's trainings (times are WIB, \"2006-01-02 15:04\")",
		leaf("add", "", "add a training, open for sign-up (needs --title, --topic, --start, --end, --capacity and --place or --online)", trainingAdd),
		leaf("edit", "ID", "change a training: any add flag; a capacity below the seats taken is refused, above promotes from the waitlist", trainingEdit),
		leaf("open", "ID", "open a training for sign-up", trainingStatus(umkm.TrainingOpen)),
		leaf("close", "ID", "close a training's sign-up", trainingStatus(umkm.TrainingClosed)),
		leaf("list", "", "list trainings that have not ended", trainingList),
		leaf("participants", "ID", "participants as CSV: confirmed, waitlisted and attended; phone masked", trainingParticipants),
		leaf("checkin", "ID CODE", "check an owner in by the attendance code they were given", trainingCheckIn))
	addService("reminders", runReminders)
}

// runReminders sends training reminders and the notices the CLI queued
// (owners promoted by a capacity raise), polling every 30 seconds.
func runReminders(ctx context.Context, a *App) error {
	r := &jobs.Reminders{Store: a.Store.TrainingStore, Notifier: a.Outbox, Compose: flows.TrainingNotice,
		Every: 30 * time.Second, Log: a.Log.With("service", "reminders")}
	return r.Run(ctx)
}

// trainingFlags are the flags of add and edit.
type trainingFlags struct {
	fs                                                 *flag.FlagSet
	title, topic, organiser, place, online, desc, reqs *string
	start, end, deadline                               *string
	kabkota, kecamatan, sectors, sizes                 *string
	capacity                                           *int
	adding                                             bool // add: --start and --end are required
}

func newTrainingFlags(name string, env *Env) *trainingFlags {
	fs := flagSet("training "+name, env)
	return &trainingFlags{
		fs:        fs,
		title:     fs.String("title", "", "title, as owners will see it"),
		topic:     fs.String("topic", "", "topic code: "+strings.Join(umkm.TrainingTopics, ", ")),
		organiser: fs.String("organiser", "", "who runs it (the Dinas, a partner)"),
		place:     fs.String("place", "", "address of the venue"),
		online:    fs.String("online", "", "meeting link, for an online training (instead of --place)"),
		desc:      fs.String("description", "", "what the training covers"),
		reqs:      fs.String("requirements", "", "what to bring or have (HP Android, NIB, …)"),
		start:     fs.String("start", "", `start, WIB: "2026-12-01 09:00"`),
		end:       fs.String("end", "", `end, WIB: "2026-12-01 12:00"`),
		deadline:  fs.String("deadline", "", `sign-up deadline, WIB (default: the start)`),
		kabkota:   fs.String("kabupaten-kota", "", "only businesses in these kabupaten/kota, codes or names (a deployment of several; - to clear)"),
		kecamatan: fs.String("kecamatan", "", "only businesses in these kecamatan (comma-separated; empty: all; - to clear)"),
		sectors:   fs.String("sectors", "", "only these sector codes: "+strings.Join(flows.SectorCodes(), ", ")+" (- to clear)"),
		sizes:     fs.String("sizes", "", "only these size classes: mikro, kecil, menengah (- to clear)"),
		capacity:  fs.Int("capacity", 0, "number of seats"),
	}
}

// apply copies the flags that were given onto t.
func (f *trainingFlags) apply(t *umkm.Training, region umkm.Region) error {
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
	if len(errs) == 0 {
		errs = append(errs, checkSchedule(t, set, f.adding, time.Now()))
	}
	if set["capacity"] {
		t.Capacity = *f.capacity
	}
	if set["kabupaten-kota"] {
		ks, err := kabKotaList(region, *f.kabkota)
		errs = append(errs, err)
		t.KabKota = ks
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

// checkSchedule says which of the times given (set) is wrong and why: a
// training needs a start and an end after it, and owners need time to sign
// up, so a start or deadline that has passed is refused, as is a deadline
// after the start.
func checkSchedule(t *umkm.Training, set map[string]bool, adding bool, now time.Time) error {
	wib := func(tm time.Time) string { return tm.In(bot.Jakarta).Format("2006-01-02 15:04") }
	var errs []error
	if adding && t.Start.IsZero() {
		errs = append(errs, errors.New(`--start is required: when the training begins, WIB, e.g. "2026-12-01 09:00"`))
	}
	if adding && t.End.IsZero() {
		errs = append(errs, errors.New(`--end is required: when the training ends, WIB, e.g. "2026-12-01 12:00"`))
	}
	if (set["start"] || set["end"]) && !t.Start.IsZero() && !t.End.IsZero() && !t.End.After(t.Start) {
		errs = append(errs, fmt.Errorf("--end %s is not after the start %s: a training must end after it begins", wib(t.End), wib(t.Start)))
	}
	if set["start"] && !t.Start.IsZero() && t.Start.Before(now) {
		errs = append(errs, fmt.Errorf("--start %s has already passed (now %s WIB): give a future time", wib(t.Start), wib(now)))
	}
	if set["deadline"] && !t.Deadline.IsZero() && t.Deadline.Before(now) {
		errs = append(errs, fmt.Errorf("--deadline %s has already passed (now %s WIB): owners could not sign up; "+
			"give a future time, or leave it out to take sign-ups until the start", wib(t.Deadline), wib(now)))
	}
	if (set["deadline"] || set["start"]) && !t.Deadline.IsZero() && !t.Start.IsZero() && t.Deadline.After(t.Start) {
		errs = append(errs, fmt.Errorf("--deadline %s is after the start %s: sign-up must close by the start", wib(t.Deadline), wib(t.Start)))
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

// kecamatanList resolves names (or aliases, any case) to the region's
// names, in any kabupaten/kota it serves.
func kecamatanList(region umkm.Region, s string) ([]string, error) {
	var all []umkm.Kecamatan
	for _, u := range region.Served() {
		all = append(all, u.Kecamatan...)
	}
	var out []string
	var errs []error
	for _, p := range codeList(s) {
		i := slices.IndexFunc(all, func(k umkm.Kecamatan) bool {
			return bot.Normalize(k.Name) == bot.Normalize(p) || slices.ContainsFunc(k.Aliases, func(a string) bool { return bot.Normalize(a) == bot.Normalize(p) })
		})
		if i < 0 {
			errs = append(errs, fmt.Errorf("--kecamatan: %q is not a kecamatan of %s", p, region.Name))
			continue
		}
		out = append(out, all[i].Name)
	}
	return out, errors.Join(errs...)
}

// kabKotaList resolves kabupaten/kota codes or names ("36.73", "Kota
// Serang") to the codes of those the region serves.
func kabKotaList(region umkm.Region, s string) ([]string, error) {
	var out []string
	var errs []error
	for _, p := range codeList(s) {
		i := slices.IndexFunc(region.Served(), func(u umkm.Region) bool {
			return u.Code == p || bot.Normalize(u.Name) == bot.Normalize(p)
		})
		if i < 0 {
			errs = append(errs, fmt.Errorf("--kabupaten-kota: %q is not a kabupaten/kota served here (%s)", p, region.Name))
			continue
		}
		out = append(out, region.Served()[i].Code)
	}
	return out, errors.Join(errs...)
}

func trainingAdd(ctx context.Context, env *Env, args []string) error {
	f := newTrainingFlags("add", env)
	f.adding = true
	if _, err := parseArgs(f.fs, args, 0, 0); err != nil {
		return err
	}
	return withApp(ctx, env, true, func(app *App) error {
		t := &umkm.Training{Status: umkm.TrainingOpen, Organiser: app.Region.Office}
		if err := f.apply(t, app.Region); err != nil {
			return err
		}
		if err := app.Store.CreateTraining(ctx, t); err != nil {
			return fmt.Errorf("add training: %w", err)
		}
		fmt.Fprintf(env.Stdout, "training %s added: %s, %s, %d seats; deep link payload pelatihan_%s\n",
			t.ID, t.Title, t.Start.In(bot.Jakarta).Format("2006-01-02 15:04 WIB"), t.Capacity, t.ID)
		return nil
	})
}

func trainingEdit(ctx context.Context, env *Env, args []string) error {
	f := newTrainingFlags("edit", env)
	pos, err := parseArgs(f.fs, args, 1, 1)
	if err != nil {
		return err
	}
	return changeTraining(ctx, env, pos[0], f.apply)
}

// changeTraining loads training id, lets change edit it and saves it.
func changeTraining(ctx context.Context, env *Env, id string, change func(*umkm.Training, umkm.Region) error) error {
	return withApp(ctx, env, true, func(app *App) error {
		t, err := app.Store.Training(ctx, id)
		if err != nil {
			return err
		}
		if err := change(t, app.Region); err != nil {
			return err
		}
		return saveTraining(ctx, env, app, t)
	})
}

// saveTraining writes t and queues the promoted owners' notices for serve.
func saveTraining(ctx context.Context, env *Env, app *App, t *umkm.Training) error {
	promoted, err := trainingSaver{app.Store.TrainingStore}.SaveTraining(ctx, t)
	var ce *umkm.CapacityError
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
type trainingSaver struct{ s *store.TrainingStore }

func (ts trainingSaver) SaveTraining(ctx context.Context, t *umkm.Training) (int, error) {
	promoted, err := ts.s.UpdateTraining(ctx, t)
	if err != nil || len(promoted) == 0 {
		return 0, err
	}
	notices := make([]umkm.TrainingNotice, len(promoted))
	for i, e := range promoted {
		notices[i] = umkm.TrainingNotice{Kind: umkm.NoticePromoted, Enrolment: e}
	}
	if err := ts.s.PushNotices(ctx, notices...); err != nil {
		return len(promoted), fmt.Errorf("%d owners got a seat but their notices were not queued: %w", len(promoted), err)
	}
	return len(promoted), nil
}

func trainingStatus(status umkm.TrainingStatus) func(context.Context, *Env, []string) error {
	name := "open"
	if status == umkm.TrainingClosed {
		name = "close"
	}
	return func(ctx context.Context, env *Env, args []string) error {
		pos, err := parseArgs(flagSet("training "+name, env), args, 1, 1)
		if err != nil {
			return err
		}
		return changeTraining(ctx, env, pos[0], func(t *umkm.Training, _ umkm.Region) error {
			t.Status = status
			return nil
		})
	}
}

func trainingList(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("training list", env)
	all := fs.Bool("all", false, "include trainings that have ended")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	return withApp(ctx, env, false, func(app *App) error {
		var ts []*umkm.Training
		var err error
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
	})
}

// participantColumns is the participants CSV header, in order.
var participantColumns = []string{"training_id", "status", "waitlist_position", "registration_id", "owner_name",
	"business_name", "kecamatan", "channel", "phone", "attendance_code", "updated_at"}

func trainingParticipants(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("training participants", env)
	ef := addExportFlags(fs)
	withPhone := fs.Bool("include-phone", false, "write phone numbers in full instead of masked (authorised use only; audited)")
	withCancelled := fs.Bool("include-cancelled", false, "also list cancelled sign-ups")
	pos, err := parseExportArgs(fs, ef, args, 1)
	if err != nil {
		return err
	}
	id := pos[0]
	return withApp(ctx, env, false, func(app *App) error {
		if _, err := app.Store.Training(ctx, id); err != nil {
			return err
		}
		ps, err := app.Store.Participants(ctx, id)
		if err != nil {
			return err
		}
		spec := exportSpec{subject: "training " + id + " participants", sheet: "Peserta pelatihan " + id, header: participantColumns}
		if *withPhone {
			spec.detail = append(spec.detail, "phone=full")
			spec.reveals = append(spec.reveals, umkm.AuditRevealPhone)
		}
		return writeExport(ctx, app, env, ef, spec, func(_ func(string) string, emit func([]string) error) error {
			for _, p := range ps {
				if p.Status == umkm.StatusCancelled && !*withCancelled {
					continue
				}
				var r *umkm.Registration
				if p.Registration != "" {
					if r, err = app.Store.Registration(ctx, p.Registration); err != nil && !errors.Is(err, bot.ErrNotFound) {
						return err
					}
				}
				if err := emit(participantRow(p, r, *withPhone)); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

func participantRow(p umkm.Enrolment, r *umkm.Registration, withPhone bool) []string {
	if r == nil {
		r = &umkm.Registration{}
	}
	phone := phone.Mask(r.Phone)
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
	pos, err := parseArgs(flagSet("training checkin", env), args, 2, 2)
	if err != nil {
		return err
	}
	id, given := pos[0], pos[1]
	code, ok := umkm.ParseAttendanceCode(given)
	if !ok {
		return fmt.Errorf("%q is not a valid attendance code: %s", given, codeProblem(given))
	}
	return withApp(ctx, env, true, func(app *App) error {
		if _, err := app.Store.Training(ctx, id); err != nil {
			return err
		}
		e, err := app.Store.CheckIn(ctx, id, code, bot.Conversation{})
		if errors.Is(err, bot.ErrNotFound) {
			return fmt.Errorf("code %s is not an attendance code of training %s: check the training number and the code the owner was given", code, id)
		}
		if err != nil {
			return fmt.Errorf("check in %s: %w", code, err)
		}
		fmt.Fprintf(env.Stdout, "checked in: %s (%s)\n", e.Registration, e.Conv.Channel)
		return audit(ctx, app, env, umkm.AuditCheckIn, "training "+id, 1, e.Registration)
	})
}

// codeProblem says why s cannot be an attendance code: its length, or the
// characters codes never contain (look-alikes such as 0/O and 2/Z are
// left out so that codes can be read aloud and typed from paper).
func codeProblem(s string) string {
	var bad []string
	n := 0
	for _, r := range strings.ToUpper(s) {
		switch {
		case strings.ContainsRune(" -:#.\t", r):
		case strings.ContainsRune(umkm.AttendanceAlphabet, r):
			n++
		default:
			n++
			if q := strconv.QuoteRune(r); !slices.Contains(bad, q) {
				bad = append(bad, q)
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Sprintf("codes never contain %s (they use only %s, without look-alikes such as 0/O/D, 1/I/L, 2/Z, 5/S, 8/B)",
			strings.Join(bad, ", "), umkm.AttendanceAlphabet)
	}
	return fmt.Sprintf("it has %d characters; a code has %d", n, umkm.AttendanceCodeLen)
}
