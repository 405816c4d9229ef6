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
			siaranFilter("kabkota", "siaran.kabkota", func(context.Context, *bot.Turn) ([]bot.Option, error) { return unitOptions(d.Region), nil }),
			siaranFilter("kecamatan", "siaran.kecamatan", func(context.Context, *bot.Turn) ([]bot.Option, error) { return kecamatanOptions(d.Region), nil }),
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

func audienceOptions(ctx context.Context, d Deps, src umkm.AudienceSource) ([]bot.Option, error) {
	opts := []bot.Option{{Value: "semua", Label: bot.T("siaran.audience.all"), Alias: []string{"semua", "all", "semua terdaftar"}}}
	if d.Region.Multi() {
		opts = append(opts, bot.Option{Value: "kabkota", Label: bot.T("siaran.audience.kabkota"), Alias: []string{"kabupaten/kota", "kabupaten", "kota", "kab"}})
	}
	opts = append(opts,
		bot.Option{Value: "kecamatan", Label: bot.T("siaran.audience.kecamatan"), Alias: []string{"kecamatan", "wilayah"}},
		bot.Option{Value: "sektor", Label: bot.T("siaran.audience.sector"), Alias: []string{"sektor", "bidang", "sector"}},
		bot.Option{Value: "kelas", Label: bot.T("siaran.audience.size"), Alias: []string{"kelas", "skala", "size"}})
	if d.Trainings != nil {
		opts = append(opts, bot.Option{Value: "pelatihan", Label: bot.T("siaran.audience.training"), Alias: []string{"pelatihan", "peserta", "training"}})
	}
	chans, err := ownerChannels(ctx, d, src)
	if err != nil {
		return nil, err
	}
	if len(chans) > 0 {
		opts = append(opts, bot.Option{Value: "kanal", Label: bot.T("siaran.audience.channel", "Channels", channelNames(chans)),
			Alias: []string{"kanal", "channel", "aplikasi"}})
	}
	for i := range opts {
		opts[i].Key = strconv.Itoa(i + 1)
	}
	return opts, nil
}

func sizeOptions(context.Context, *bot.Turn) ([]bot.Option, error) {
	opts := make([]bot.Option, len(umkm.SizeClasses))
	for i, c := range umkm.SizeClasses {
		opts[i] = bot.Option{Key: strconv.Itoa(i + 1), Value: c, Label: bot.T("class." + c), Alias: []string{c}}
	}
	return opts, nil
}

// channelOptions are the registered channels that have registered owners.
func channelOptions(ctx context.Context, d Deps, src umkm.AudienceSource) ([]bot.Option, error) {
	chans, err := ownerChannels(ctx, d, src)
	if err != nil {
		return nil, err
	}
	opts := make([]bot.Option, len(chans))
	for i, c := range chans {
		opts[i] = bot.Option{Key: strconv.Itoa(i + 1), Value: string(c.ID), Label: bot.T(c.Label),
			Alias: append([]string{string(c.ID)}, c.Aliases...)}
	}
	return opts, nil
}

// ownerChannels are the registered channels with registered owners (in
// the kabupaten/kota served), in registration order.
func ownerChannels(ctx context.Context, d Deps, src umkm.AudienceSource) ([]bot.Channel, error) {
	all := d.Channels.All()
	ids := make([]bot.ChannelID, len(all))
	for i, c := range all {
		ids[i] = c.ID
	}
	counts, err := src.CountOn(ctx, umkm.Audience{}, ids)
	if err != nil {
		return nil, err
	}
	var out []bot.Channel
	for _, c := range all {
		if counts[c.ID] > 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// channelNames are channels' names as people read them.
func channelNames(chans []bot.Channel) []bot.Text {
	names := make([]bot.Text, len(chans))
	for i, c := range chans {
		names[i] = bot.T(c.Label)
	}
	return names
}

// audienceOf builds the audience from the answers.
func audienceOf(t *bot.Turn) umkm.Audience {
	a := umkm.Audience{KabKota: t.List("kabkota"), Kecamatan: t.List("kecamatan"), Sectors: t.List("sektor"), Sizes: t.List("kelas"), Trainings: t.List("pelatihan")}
	for _, c := range t.List("kanal") {
		a.Channels = append(a.Channels, bot.ChannelID(c))
	}
	return a
}

// audienceData describes an audience for a template.
func audienceData(d Deps, a umkm.Audience) map[string]any {
	texts := func(prefix string, codes []string) []bot.Text {
		out := make([]bot.Text, len(codes))
		for i, c := range codes {
			out[i] = bot.T(prefix + c)
		}
		return out
	}
	chans := make([]bot.Text, len(a.Channels))
	for i, id := range a.Channels {
		chans[i] = bot.Raw(string(id)) // a channel no longer in the program, by its id
		if c, ok := d.Channels.Get(id); ok {
			chans[i] = bot.T(c.Label)
		}
	}
	kab := make([]string, len(a.KabKota))
	for i, c := range a.KabKota {
		kab[i], _ = indexName(c)
	}
	return map[string]any{
		"All":       a.IsZero(),
		"KabKota":   strings.Join(kab, ", "),
		"Kecamatan": strings.Join(a.Kecamatan, ", "),
		"Sectors":   texts("sector.", a.Sectors),
		"Sizes":     texts("class.", a.Sizes),
		"Trainings": strings.Join(a.Trainings, ", "),
		"Channels":  chans,
	}
}

// previewData is the preview: the message as recipients receive it, the
// audience and the recipient count per channel.
func previewData(ctx context.Context, d Deps, src umkm.AudienceSource, t *bot.Turn) (map[string]any, error) {
	a := audienceOf(t)
	counts, err := src.CountOn(ctx, a, d.Channels.IDs())
	if err != nil {
		return nil, err
	}
	data := audienceData(d, a)
	data["Message"] = bot.Raw(t.Get("text"))
	data["Footer"] = bot.T("broadcast.footer")
	data["Total"] = total(counts)
	chans, err := ownerChannels(ctx, d, src)
	if err != nil {
		return nil, err
	}
	var per []bot.Text // the count on each channel that has owners
	for _, c := range chans {
		per = append(per, bot.T("siaran.preview.count", "Channel", bot.T(c.Label), "N", counts[c.ID]))
	}
	data["PerChannel"] = per
	// A picture goes out as one when a channel the audience names (or
	// any, when it names none) can send pictures.
	_, photos := d.Notifier.(bot.PhotoNotifier)
	photos = photos && slices.ContainsFunc(d.Channels.All(), func(c bot.Channel) bool {
		return c.Media.Photos && (len(a.Channels) == 0 || slices.Contains(a.Channels, c.ID))
	})
	data["Photo"] = t.Get("photo") != "" && photos
	data["PhotoDropped"] = t.Get("photo") != "" && !photos
	return data, nil
}

func total(counts map[bot.ChannelID]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
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
