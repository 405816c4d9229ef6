package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/jobs"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
)

func init() {
	addGroup("broadcast", "Dinas broadcasts to segments of registered owners; they go out while `umkmbot serve` runs",
		leaf("create", "", "create a broadcast: preview, recipient counts, schedule", broadcastCreate),
		leaf("list", "", "list broadcasts with their audience and progress", broadcastListCmd),
		leaf("status", "ID", "progress of one broadcast: sent/failed/skipped/unknown/remaining, rate, ETA", broadcastStatus),
		leaf(umkm.BroadcastPause, "ID", "pause a broadcast", broadcastControl(umkm.BroadcastPause)),
		leaf(umkm.BroadcastResume, "ID", "resume a paused broadcast", broadcastControl(umkm.BroadcastResume)),
		leaf(umkm.BroadcastCancel, "ID", "cancel a broadcast for good", broadcastControl(umkm.BroadcastCancel)))
	addService("broadcasts", runBroadcasts)
}

// BroadcastConfig is who may broadcast and how fast broadcasts go out.
type BroadcastConfig struct {
	AdminTelegram map[string]bool // ADMIN_TELEGRAM_IDS: Telegram user ids, comma-separated
	AdminWhatsApp map[string]bool // ADMIN_WHATSAPP_NUMBERS: phone numbers (any usual form), comma-separated
	RateTelegram  store.Rate      // BROADCAST_RATE_TELEGRAM (default 25/s)
	RateWhatsApp  store.Rate      // BROADCAST_RATE_WHATSAPP (default 6/m, spread with jitter)
	Workers       int             // BROADCAST_WORKERS: Telegram senders per process (default 4)
	ConsoleOwner  bool            // chat --as-owner: the terminal chat is an owner, not an admin (chat.go)
}

// loadBroadcastConfig reads the broadcast settings; problems are appended
// to errs.
func loadBroadcastConfig(getenv func(string) string, errs *[]string) BroadcastConfig {
	c := BroadcastConfig{AdminTelegram: map[string]bool{}, AdminWhatsApp: map[string]bool{}, Workers: 4,
		RateTelegram: store.Rate{N: 25, Per: time.Second},
		RateWhatsApp: store.Rate{N: 6, Per: time.Minute, Spread: true, Jitter: 0.5}}
	for _, id := range codeList(getenv("ADMIN_TELEGRAM_IDS")) {
		if !bot.AllDigits(strings.TrimPrefix(id, "-")) {
			*errs = append(*errs, fmt.Sprintf("ADMIN_TELEGRAM_IDS: %q is not a Telegram user id (digits)", id))
			continue
		}
		c.AdminTelegram[id] = true
	}
	for _, n := range codeList(getenv("ADMIN_WHATSAPP_NUMBERS")) {
		e164, err := phone.Normalize(n)
		if err != nil {
			*errs = append(*errs, fmt.Sprintf("ADMIN_WHATSAPP_NUMBERS: %q is not an Indonesian mobile number", n))
			continue
		}
		c.AdminWhatsApp[strings.TrimPrefix(e164, "+")] = true
	}
	rate := func(name string, r *store.Rate) {
		if v := getenv(name); v != "" {
			parsed, err := store.ParseRate(v)
			if err != nil {
				*errs = append(*errs, fmt.Sprintf("%s: %v", name, err))
				return
			}
			parsed.Spread, parsed.Jitter = r.Spread, r.Jitter
			*r = parsed
		}
	}
	rate("BROADCAST_RATE_TELEGRAM", &c.RateTelegram)
	rate("BROADCAST_RATE_WHATSAPP", &c.RateWhatsApp)
	if v := getenv("BROADCAST_WORKERS"); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &c.Workers); err != nil || c.Workers < 1 || c.Workers > 64 {
			*errs = append(*errs, fmt.Sprintf("BROADCAST_WORKERS=%q must be a whole number from 1 to 64", v))
		}
	}
	return c
}

// newFanout builds the broadcast delivery of the app: workers, pace and
// bulk permission per registered channel.
func newFanout(a *App) *jobs.Fanout {
	src := umkm.AudienceSource{Region: a.Region.Code, Registrations: umkm.ServedRegistrations(a.Region, a.Store), Enrolments: a.Store}
	return jobs.NewFanout(jobs.FanoutConfig{Owner: a.Cfg.Instance, Channels: a.Channels},
		a.Store, a.Store, src, a.Store, a.Outbox, &channelLimiter{store: a.Store, channels: a.Channels}, a.Log)
}

// runBroadcasts is serve's broadcast delivery.
func runBroadcasts(ctx context.Context, a *App) error { return newFanout(a).Run(ctx) }

func broadcastListCmd(ctx context.Context, env *Env, args []string) error {
	if _, err := parseArgs(flagSet("broadcast list", env), args, 0, 0); err != nil {
		return err
	}
	return withApp(ctx, env, false, func(a *App) error { return broadcastList(ctx, env.Stdout, a) })
}

func broadcastStatus(ctx context.Context, env *Env, args []string) error {
	pos, err := parseArgs(flagSet("broadcast status", env), args, 1, 1)
	if err != nil {
		return err
	}
	return withApp(ctx, env, false, func(a *App) error {
		b, err := a.Store.Broadcast(ctx, strings.TrimPrefix(pos[0], "#"))
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, broadcastProgress(b, time.Now()))
		return nil
	})
}

// broadcastControl pauses, resumes or cancels a broadcast.
func broadcastControl(action string) func(context.Context, *Env, []string) error {
	return func(ctx context.Context, env *Env, args []string) error {
		pos, err := parseArgs(flagSet("broadcast "+action, env), args, 1, 1)
		if err != nil {
			return err
		}
		id := strings.TrimPrefix(pos[0], "#")
		return withApp(ctx, env, true, func(a *App) error {
			st, err := a.Store.ControlBroadcast(ctx, id, action)
			if errors.Is(err, umkm.ErrBroadcastState) {
				return fmt.Errorf("broadcast %s is %s: cannot %s it", id, st, action)
			}
			if err != nil {
				return err
			}
			a.Log.Info("broadcast controlled from the CLI", "broadcast", id, "action", action)
			fmt.Fprintf(env.Stdout, "broadcast %s is now %s\n", id, st)
			return nil
		})
	}
}

func broadcastCreate(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("broadcast create", env)
	textFile := fs.String("text-file", "", "file with the broadcast text (- for standard input)")
	kab := fs.String("kabupaten-kota", "", "kabupaten/kota codes or names, comma-separated (a deployment of several)")
	kec := fs.String("kecamatan", "", "kecamatan names, comma-separated")
	sector := fs.String("sector", "", "sector codes (kuliner, fesyen, kriya, pertanian, jasa, perdagangan, lainnya)")
	size := fs.String("size", "", "size classes (mikro, kecil, menengah)")
	training := fs.String("training", "", "training ids: their confirmed and attended participants")
	channel := fs.String("channel", "", "channel ids, comma-separated: telegram, whatsapp, console")
	at := fs.String("at", "", "start time in WIB, e.g. '2026-12-01 09:00' (default now)")
	dry := fs.Bool("dry-run", false, "show the preview and the recipient counts, create nothing")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	if *textFile == "" {
		return usageFor(fs, "broadcast create: --text-file is required")
	}
	text, err := readText(env.Stdin, *textFile)
	if err != nil {
		return err
	}
	start, err := parseWIB(*at)
	if err != nil {
		return fmt.Errorf("--at: %w", err)
	}
	now := time.Now()
	if start.IsZero() {
		start = now
	}
	return withApp(ctx, env, !*dry, func(a *App) error {
		aud, err := audienceFlags(a.Region, a.Channels, *kab, *kec, *sector, *size, *training, *channel)
		if err != nil {
			return err
		}
		src := umkm.AudienceSource{Region: a.Region.Code, Registrations: umkm.ServedRegistrations(a.Region, a.Store), Enrolments: a.Store}
		counts, err := src.CountOn(ctx, aud, a.Channels.IDs())
		if err != nil {
			return err
		}
		b := &umkm.Broadcast{Region: a.Region.Code, Text: text, Audience: aud, CreatedAt: now, At: start}
		fmt.Fprintf(env.Stdout, "preview (as an Indonesian reader receives it):\n----\n%s\n----\n", a.Catalog.Out("id", umkm.BroadcastMessage(b)).Text)
		total, per := 0, make([]string, 0, len(counts))
		for _, ch := range a.Channels.IDs() {
			total += counts[ch]
			per = append(per, fmt.Sprintf("%s %d", ch, counts[ch]))
		}
		fmt.Fprintf(env.Stdout, "recipients: %d (%s); opted-out owners are skipped at send time\n", total, strings.Join(per, ", "))
		if *dry {
			return nil
		}
		if total == 0 {
			return errors.New("nobody matches this audience: nothing created")
		}
		if err := a.Store.CreateBroadcast(ctx, b); err != nil {
			return err
		}
		a.Log.Info("broadcast created from the CLI", "broadcast", b.ID, "audience", total)
		fmt.Fprintf(env.Stdout, "broadcast %s scheduled for %s; it goes out while `umkmbot serve` runs\n",
			b.ID, start.In(bot.Jakarta).Format("2006-01-02 15:04 WIB"))
		return nil
	})
}

// readText reads the broadcast text from a file or standard input.
func readText(stdin io.Reader, path string) (string, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, 1<<16))
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("read --text-file: %w", err)
	}
	text := strings.TrimSpace(string(data))
	if n := utf8.RuneCountInString(text); n < 5 || n > 3500 {
		return "", fmt.Errorf("the broadcast text has %d characters; it must have 5 to 3500 (the footer is added)", n)
	}
	return text, nil
}

var sectorCodes = []string{"kuliner", "fesyen", "kriya", "pertanian", "jasa", "perdagangan", "lainnya"}

// audienceFlags validates the audience flags against the region and the
// known codes.
func audienceFlags(region umkm.Region, channels *bot.Channels, kab, kec, sector, size, training, channel string) (umkm.Audience, error) {
	var a umkm.Audience
	var errs []error
	var err error
	if a.KabKota, err = kabKotaList(region, kab); err != nil {
		errs = append(errs, err)
	}
	if a.Kecamatan, err = kecamatanList(region, kec); err != nil {
		errs = append(errs, err)
	}
	check := func(flag string, vals, known []string) []string {
		for _, v := range vals {
			if !slices.Contains(known, v) {
				errs = append(errs, fmt.Errorf("--%s: %q is not one of %s", flag, v, strings.Join(known, ", ")))
			}
		}
		return vals
	}
	a.Sectors = check("sector", codeList(sector), sectorCodes)
	a.Sizes = check("size", codeList(size), umkm.SizeClasses)
	a.Trainings = codeList(training)
	var known []string
	for _, id := range channels.IDs() {
		known = append(known, string(id))
	}
	for _, c := range check("channel", codeList(channel), known) {
		a.Channels = append(a.Channels, bot.ChannelID(c))
	}
	return a, errors.Join(errs...)
}

// broadcastList lists the broadcasts. The store counts a broadcast's
// audience when delivery starts (serve expands it then), so for one that
// has not started the audience is counted now, as create's preview does,
// and marked with * (it may still change until the start).
func broadcastList(ctx context.Context, w io.Writer, a *App) error {
	list, err := a.Store.Broadcasts(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(w, "no broadcasts")
		return nil
	}
	src := umkm.AudienceSource{Region: a.Region.Code, Registrations: a.Store, Enrolments: a.Store}
	estimated := false
	fmt.Fprintf(w, "%-5s %-10s %-20s %-9s %-9s %s\n", "ID", "STATUS", "START (WIB)", "AUDIENCE", "DONE", "TEXT")
	for _, b := range list {
		text := strings.Join(strings.Fields(b.Text), " ")
		if utf8.RuneCountInString(text) > 40 {
			text = string([]rune(text)[:39]) + "…"
		}
		audience := strconv.FormatInt(b.Counts.Audience, 10)
		if b.Counts.Started.IsZero() && (b.Status == umkm.BroadcastScheduled || b.Status == umkm.BroadcastPaused || b.Status == umkm.BroadcastDraft) {
			counts, err := src.CountOn(ctx, b.Audience, a.Channels.IDs())
			if err != nil {
				return fmt.Errorf("count the audience of broadcast %s: %w", b.ID, err)
			}
			n := 0
			for _, c := range counts {
				n += c
			}
			audience = strconv.Itoa(n) + "*"
			estimated = true
		}
		fmt.Fprintf(w, "%-5s %-10s %-20s %-9s %-9d %s\n", b.ID, b.Status, b.At.In(bot.Jakarta).Format("2006-01-02 15:04"),
			audience, b.Counts.Done(), text)
	}
	if estimated {
		fmt.Fprintln(w, "* not started: the owners who match now; the audience is fixed when delivery starts")
	}
	return nil
}

// broadcastProgress renders a progress bar with the counts, the rate so
// far and the time left at that rate.
func broadcastProgress(b *umkm.Broadcast, now time.Time) string {
	c := b.Counts
	const width = 30
	filled, pct := 0, 0.0
	if c.Audience > 0 {
		pct = float64(c.Done()) / float64(c.Audience)
		filled = int(pct * width)
	}
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	var sb strings.Builder
	fmt.Fprintf(&sb, "broadcast %s  %s  start %s\n", b.ID, b.Status, b.At.In(bot.Jakarta).Format("2006-01-02 15:04 WIB"))
	fmt.Fprintf(&sb, "[%s] %5.1f%%  %d/%d\n", bar, pct*100, c.Done(), c.Audience)
	fmt.Fprintf(&sb, "sent %d  failed %d  skipped %d  unknown %d  remaining %d", c.Sent, c.Failed, c.Skipped, c.Unknown, c.Remaining())
	if !c.Started.IsZero() && c.Done() > 0 {
		end := now
		if !c.Finished.IsZero() {
			end = c.Finished
		}
		if secs := end.Sub(c.Started).Seconds(); secs > 0 {
			rate := float64(c.Done()) / secs
			fmt.Fprintf(&sb, "\nrate %.1f/s", rate)
			if b.Status == umkm.BroadcastRunning && c.Remaining() > 0 {
				fmt.Fprintf(&sb, "  ETA %s", (time.Duration(float64(c.Remaining())/rate) * time.Second).Round(time.Second))
			}
		}
	}
	return sb.String()
}
