package flows

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

func init() { register("siaran", newSiaran) }

// Limits of a broadcast's text written in chat (the engine takes at most
// 1000 characters per message anyway).
const (
	siaranMinText = 5
	siaranMaxText = 1000
)

// The audience filters, in the order they are asked.
var siaranFilters = []bot.StepID{"kabkota", "kecamatan", "sektor", "kelas", "pelatihan", "kanal"}

// admin reports whether c may compose and control broadcasts.
func (d Deps) admin(c bot.Conversation) bool { return d.Admins != nil && d.Admins(c) }

func (d Deps) logger() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

// refuse logs a non-admin's attempt at the broadcast features (user id
// masked); the engine then shows them the normal menu.
func (d Deps) refuse(t *bot.Turn) {
	d.logger().Warn("broadcast feature asked for by a non-admin", "channel", t.Conv.Channel, "user", bot.MaskUser(t.Conv.User))
}

// newSiaran lets a Dinas officer compose a broadcast in chat: text, an
// optional photo, the audience, a preview as recipients will see it with
// the recipient count per channel, now or at a time in WIB, confirm. With
// an argument it lists and controls broadcasts: "siaran daftar", "siaran
// status 3", "siaran jeda 3", "siaran lanjut 3", "siaran batal 3". Only
// admins see it; everyone else gets the normal menu.
func newSiaran(d Deps) *bot.Flow {
	src := umkm.AudienceSource{Region: d.Region.Code, Registrations: d.Registrations}
	if d.Trainings != nil {
		src.Enrolments = d.Trainings
	}
	return &bot.Flow{
		ID:       "siaran",
		Version:  1, // one list encoding (bot.ListValue), no "none" or "-"
		Migrate:  migrateSiaran,
		Title:    "siaran.title",
		Triggers: []string{"siaran", "broadcast", "siaran dinas"},
		Visible:  func(ctx context.Context, t *bot.Turn) (bool, error) { return d.admin(t.Conv), nil },
		Begin:    siaranBegin(d),
		Steps: []*bot.Step{
			siaranTeks(d),
			siaranFoto(d),
			siaranSasaran(d, src),
			siaranFilter("kabkota", "siaran.kabkota", fixed(unitOptions(d.Region)...)),
			siaranFilter("kecamatan", "siaran.kecamatan", fixed(kecamatanOptions(d.Region)...)),
			siaranFilter("sektor", "siaran.sector", sectorOptions),
			siaranFilter("kelas", "siaran.size", sizeOptions),
			siaranPelatihan(d),
			siaranFilter("kanal", "siaran.channel", func(ctx context.Context, _ *bot.Turn) ([]bot.Option, error) { return channelOptions(ctx, d, src) }),
			siaranPratinjau(d, src),
			siaranWaktu(d),
			siaranKonfirmasi(d),
		},
	}
}

// siaranFilter is an audience question: id's values, picked from opts,
// narrow the broadcast's audience; the next filter picked (or the preview)
// follows.
func siaranFilter(id bot.StepID, prompt string, opts func(context.Context, *bot.Turn) ([]bot.Option, error)) *bot.Step {
	return &bot.Step{ID: id, Prompt: prompt, Options: opts, Multi: true, Targets: filterTargets,
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if len(in.Choices) == 0 {
				return bot.Retry(bot.T("core.choice.invalid")), nil
			}
			vals := make([]string, len(in.Choices))
			for i, c := range in.Choices {
				vals[i] = c.Value
			}
			t.SetList(string(id), vals)
			return bot.Goto(nextFilter(t, id)), nil
		}}
}

// siaranPratinjau shows the broadcast as recipients will see it with the
// recipient count per channel: send now, schedule, or change the text or
// audience.
func siaranPratinjau(d Deps, src umkm.AudienceSource) *bot.Step {
	return &bot.Step{ID: "pratinjau", Prompt: "siaran.preview",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			return previewData(ctx, d, src, t)
		},
		Options: func(context.Context, *bot.Turn) ([]bot.Option, error) {
			return []bot.Option{
				{Key: "1", Value: "now", Label: bot.T("siaran.preview.now"), Alias: []string{"sekarang", "kirim", "kirim sekarang", "now"}},
				{Key: "2", Value: "later", Label: bot.T("siaran.preview.later"), Alias: []string{"jadwalkan", "nanti", "later", "schedule"}},
				{Key: "3", Value: "text", Label: bot.T("siaran.preview.edit_text"), Alias: []string{"ubah teks", "ganti teks"}},
				{Key: "4", Value: "audience", Label: bot.T("siaran.preview.edit_audience"), Alias: []string{"ubah sasaran", "ganti sasaran"}},
			}, nil
		},
		Targets: []bot.StepID{"konfirmasi", "sasaran", "teks", "waktu"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if in.Choice == nil {
				return bot.Retry(bot.T("core.choice.invalid")), nil
			}
			switch in.Choice.Value {
			case "text":
				return bot.Goto("teks"), nil
			case "audience":
				return bot.Goto("sasaran"), nil
			}
			counts, err := src.CountOn(ctx, audienceOf(t), d.Channels.IDs())
			if err != nil {
				return bot.Result{}, err
			}
			if total(counts) == 0 {
				return bot.Retry(bot.T("siaran.preview.empty")), nil
			}
			t.Set("total", strconv.Itoa(total(counts)))
			if in.Choice.Value == "later" {
				return bot.Goto("waktu"), nil
			}
			t.Del("at")
			return bot.Goto("konfirmasi"), nil
		}}
}

// siaranTeks takes the broadcast text (a photo with a caption too).
func siaranTeks(d Deps) *bot.Step {
	return &bot.Step{ID: "teks", Prompt: "siaran.text", Help: "siaran.text.help", Accept: []bot.Kind{bot.KindText, bot.KindPhoto}, Verbatim: true,
		Targets: []bot.StepID{"foto", "sasaran"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			text := strings.TrimSpace(in.Text)
			if in.Msg.Kind == bot.KindPhoto {
				setPhoto(t, in.Msg)
				if text == "" {
					return bot.Retry(bot.T("siaran.text.photo_saved")), nil
				}
			}
			if n := utf8.RuneCountInString(text); n < siaranMinText || n > siaranMaxText {
				return bot.Retry(bot.T("siaran.text.length", "Min", siaranMinText, "Max", siaranMaxText)), nil
			}
			t.Set("text", text)
			if t.Get("photo") != "" {
				return bot.Goto("sasaran"), nil
			}
			return bot.Goto("foto"), nil
		}}
}

// siaranFoto takes an optional photo.
func siaranFoto(d Deps) *bot.Step {
	return &bot.Step{ID: "foto", Prompt: "siaran.photo", Accept: []bot.Kind{bot.KindText, bot.KindPhoto},
		Options: func(context.Context, *bot.Turn) ([]bot.Option, error) {
			return []bot.Option{{Key: "1", Value: "skip", Label: bot.T("siaran.photo.skip"),
				Alias: []string{"lewati", "skip", "tidak", "tidak ada", "tanpa foto", "gak", "ga", "no"}}}, nil
		},
		Targets: []bot.StepID{"sasaran"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if in.Msg.Kind == bot.KindPhoto {
				setPhoto(t, in.Msg)
				return bot.Goto("sasaran"), nil
			}
			if yes, ok := bot.YesNo(in.Text); in.Choice != nil || (ok && !yes) {
				return bot.Goto("sasaran"), nil
			}
			return bot.Retry(bot.T("siaran.photo.unclear")), nil
		}}
}

// siaranSasaran asks which filters narrow the audience (or everyone).
func siaranSasaran(d Deps, src umkm.AudienceSource) *bot.Step {
	return &bot.Step{ID: "sasaran", Prompt: "siaran.audience", Multi: true,
		Options: func(ctx context.Context, _ *bot.Turn) ([]bot.Option, error) { return audienceOptions(ctx, d, src) },
		Targets: filterTargets,
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if len(in.Choices) == 0 {
				return bot.Retry(bot.T("core.choice.invalid")), nil
			}
			var picked []string
			for _, c := range in.Choices {
				if c.Value == "semua" {
					picked = nil
					break
				}
				picked = append(picked, c.Value)
			}
			for _, f := range siaranFilters {
				t.Del(string(f))
			}
			t.SetList("filters", picked)
			return bot.Goto(nextFilter(t, "")), nil
		}}
}

// siaranPelatihan asks the trainings whose participants are the audience.
func siaranPelatihan(d Deps) *bot.Step {
	return &bot.Step{ID: "pelatihan", Prompt: "siaran.training",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			upcoming, err := upcomingTrainings(ctx, d, t)
			if err != nil {
				return nil, err
			}
			return map[string]any{"Trainings": upcoming}, nil
		},
		Targets: filterTargets,
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			ids := strings.FieldsFunc(in.Norm, func(r rune) bool { return r == ',' || r == ' ' || r == '#' || r == ';' })
			if len(ids) == 0 {
				return bot.Retry(bot.T("siaran.training.invalid")), nil
			}
			for _, id := range ids {
				_, err := d.Trainings.Training(ctx, id)
				if errors.Is(err, bot.ErrNotFound) {
					return bot.Retry(bot.T("siaran.training.unknown", "ID", id)), nil
				}
				if err != nil {
					return bot.Result{}, err
				}
			}
			t.SetList("pelatihan", ids)
			return bot.Goto(nextFilter(t, "pelatihan")), nil
		}}
}

// siaranWaktu asks when to send, in WIB.
func siaranWaktu(d Deps) *bot.Step {
	return &bot.Step{ID: "waktu", Prompt: "siaran.when", Next: "konfirmasi",
		Parse: func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
			at, ok := ParseBroadcastTime(in.Text, t.Now)
			switch {
			case !ok:
				return "", bot.T("siaran.when.invalid"), nil
			case !at.After(t.Now.Add(time.Minute)):
				return "", bot.T("siaran.when.past"), nil
			case at.After(t.Now.AddDate(1, 0, 0)):
				return "", bot.T("siaran.when.far"), nil
			}
			t.Set("at", at.Format(time.RFC3339))
			return at.Format(time.RFC3339), bot.Text{}, nil
		}}
}

// siaranKonfirmasi is the last confirmation before the broadcast is stored.
func siaranKonfirmasi(d Deps) *bot.Step {
	return &bot.Step{ID: "konfirmasi", Prompt: "siaran.confirm",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			n, _ := strconv.Atoi(t.Get("total"))
			return map[string]any{"Question": bot.N("siaran.confirm.question", n, "When", whenText(t), "Total", n)}, nil
		},
		Options: yesNoOptions("siaran.confirm.yes", "siaran.confirm.no"),
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			yes, ok := answerYes(in)
			if !ok {
				return bot.Retry(bot.T("siaran.confirm.unclear")), nil
			}
			if !yes {
				return bot.Finish(bot.Say(bot.T("siaran.discarded"))), nil
			}
			return createBroadcast(ctx, d, t)
		}}
}

// filterTargets are the steps nextFilter may name.
var filterTargets = append(slices.Clone(siaranFilters), "pratinjau")

// nextFilter returns the audience question after cur among the filters
// the officer picked, or the preview.
func nextFilter(t *bot.Turn, cur bot.StepID) bot.StepID {
	picked := t.List("filters")
	after := cur == ""
	for _, f := range siaranFilters {
		if f == cur {
			after = true
			continue
		}
		if after && contains(picked, string(f)) {
			return f
		}
	}
	return "pratinjau"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func setPhoto(t *bot.Turn, m *bot.Message) {
	if m.Media != nil && m.Media.Ref != "" {
		t.Set("photo", m.Media.Ref)
		t.Set("photo_mime", m.Media.Mime)
	}
}

// whenText is the chosen time, or "now".
func whenText(t *bot.Turn) bot.Text {
	if at, err := time.Parse(time.RFC3339, t.Get("at")); err == nil {
		return when(at)
	}
	return bot.T("siaran.now")
}

// upcomingTrainings lists trainings an officer may target, as "#12 Title".
func upcomingTrainings(ctx context.Context, d Deps, t *bot.Turn) (string, error) {
	ts, err := d.Trainings.Trainings(ctx, t.Now)
	if err != nil {
		return "", err
	}
	lines := make([]string, 0, len(ts))
	for _, tr := range ts {
		lines = append(lines, "#"+tr.ID+" "+tr.Title)
	}
	return strings.Join(lines, "\n"), nil
}

// createBroadcast stores the composed broadcast. Its token makes a turn
// that runs twice create it once.
func createBroadcast(ctx context.Context, d Deps, t *bot.Turn) (bot.Result, error) {
	at := t.Now
	if v, err := time.Parse(time.RFC3339, t.Get("at")); err == nil {
		at = v
	}
	b := &umkm.Broadcast{Region: d.Region.Code, Text: t.Get("text"), Audience: audienceOf(t),
		CreatedBy: t.Conv, CreatedAt: t.Now, At: at, Token: t.Conv.String() + "/" + t.Msg.ID}
	if ref := t.Get("photo"); ref != "" {
		b.Image, b.ImageFrom = &bot.Media{Type: "photo", Ref: ref, Mime: t.Get("photo_mime")}, t.Conv.Channel
	}
	if err := d.Broadcasts.CreateBroadcast(ctx, b); err != nil {
		return bot.Result{}, err
	}
	d.logger().Info("broadcast created in chat", "broadcast", b.ID, "channel", t.Conv.Channel, "user", bot.MaskUser(t.Conv.User))
	n, _ := strconv.Atoi(t.Get("total"))
	return bot.Finish(bot.Say(bot.N("siaran.created", n, "ID", b.ID, "When", whenText(t), "Total", n))), nil
}
