package flows

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The audience of a broadcast: the filters offered, the registered
// channels with owners, and the preview with its counts.

// audienceOptions are the filters an officer may narrow an audience by.
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
