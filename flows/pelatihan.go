package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

func init() { register("pelatihan", newPelatihan) }

// pageSize is how many trainings one list message shows.
const pageSize = 5

// Words that pick a training topic when filtering the list.
var topicAliases = map[string][]string{
	"ecommerce":    {"e-commerce", "ecommerce", "jualan online", "marketplace", "toko online", "bisnis online"},
	"konten":       {"konten", "konten digital", "foto produk", "video", "content"},
	"broadcasting": {"broadcasting", "siaran", "live", "live streaming"},
	"elearning":    {"e-learning", "elearning", "belajar online"},
	"afiliasi":     {"afiliasi", "affiliate", "bisnis afiliasi"},
	"kemasan":      {"kemasan", "packaging", "label"},
	"mutu":         {"mutu", "kualitas", "mutu produk", "kualitas produk"},
	"kurasi":       {"kurasi", "ritel", "ritel modern", "minimarket", "indomaret", "alfamart"},
	"produksi":     {"produksi", "keterampilan", "menjahit", "jahit", "bengkel", "roti", "olahan", "olahan pangan"},
	"lainnya":      {"lainnya", "lain"},
}

var (
	nextWords  = setOfWords("lagi", "berikutnya", "selanjutnya", "next", "more", "lanjut", "halaman berikutnya")
	topicWords = setOfWords("topik", "topic", "filter", "saring", "cari topik", "pilih topik")
	allWords   = setOfWords("semua", "all", "semua topik", "semua pelatihan")
	mineWords  = setOfWords("saya", "pelatihan saya", "jadwal saya", "my trainings", "jadwal")
)

func setOfWords(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// SectorCodes lists the sector codes registration uses, for the Dinas to
// name in a training's eligibility.
func SectorCodes() []string {
	out := make([]string, len(sectors))
	for i, s := range sectors {
		out[i] = s.code
	}
	return out
}

// newPelatihan builds the training catalogue: a paged list of trainings
// open for sign-up (filterable by topic), a training's details, and the
// sign-up itself with registration first for owners who are not yet
// registered, the eligibility check and the waitlist when full.
func newPelatihan(d Deps) *bot.Flow {
	return &bot.Flow{
		ID:       "pelatihan",
		Title:    "pelatihan.title",
		Triggers: []string{"pelatihan", "training", "trainings", "kelas", "pelatihan umkm"},
		Menu:     20,
		Entries:  []bot.StepID{"detail"},
		Begin:    pelatihanBegin(d),
		Calls:    []string{"pelatihan_saya"},
		Steps: []*bot.Step{
			pelatihanKatalog(d),
			pelatihanTopik(d),
			pelatihanDetail(d),
			pelatihanLanjut(d),
			pelatihanTunggu(d),
		},
	}
}

// pelatihanKatalog is the paged catalogue of open trainings: a number opens
// one, the next-page word pages, a topic filters.
func pelatihanKatalog(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "katalog",
		Prompt: "pelatihan.list",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			all, err := d.openTrainings(ctx, t)
			if err != nil {
				return nil, err
			}
			page, pages := pageOf(t, len(all))
			data := map[string]any{"Count": len(all), "Page": page + 1, "Pages": pages, "More": page+1 < pages, "Topic": bot.T("pelatihan.list.all")}
			if tp := t.Get("topic"); tp != "" {
				data["Topic"] = bot.T("pelatihan.topic." + tp)
			}
			switch {
			case len(all) == 0 && t.Get("topic") != "":
				data["Empty"] = bot.T("pelatihan.list.empty_topic", "Topic", data["Topic"])
			case len(all) == 0:
				data["Empty"] = bot.T("pelatihan.list.empty")
			}
			return data, nil
		},
		Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) {
			all, err := d.openTrainings(ctx, t)
			if err != nil {
				return nil, err
			}
			page, _ := pageOf(t, len(all))
			var opts []bot.Option
			for i := page * pageSize; i < len(all) && i < (page+1)*pageSize; i++ {
				opts = append(opts, bot.Option{Key: strconv.Itoa(i + 1), Value: all[i].ID, Label: listLabel(all[i])})
			}
			return opts, nil
		},
		Targets: []bot.StepID{"detail", "katalog", "topik"},
		Calls:   []string{"pelatihan_saya"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			switch {
			case in.Choice != nil:
				t.Set("id", in.Choice.Value)
				return bot.Goto("detail"), nil
			case nextWords[in.Norm]:
				all, err := d.openTrainings(ctx, t)
				if err != nil {
					return bot.Result{}, err
				}
				page, pages := pageOf(t, len(all))
				if page+1 >= pages {
					return bot.Retry(bot.T("pelatihan.list.last")), nil
				}
				t.Set("page", strconv.Itoa(page+1))
				return bot.Goto("katalog"), nil
			case topicWords[in.Norm]:
				return bot.Goto("topik"), nil
			case allWords[in.Norm]:
				t.Del("topic")
				t.Del("page")
				return bot.Goto("katalog"), nil
			case mineWords[in.Norm]:
				return bot.Result{Call: "pelatihan_saya", Next: "katalog"}, nil
			}
			if id, ok := trainingID(in.Text); ok {
				if _, err := d.Trainings.Training(ctx, id); err == nil {
					t.Set("id", id)
					return bot.Goto("detail"), nil
				}
			}
			if topic, ok := matchTopic(in.Norm); ok {
				t.Set("topic", topic)
				t.Del("page")
				return bot.Goto("katalog"), nil
			}
			return bot.Retry(bot.T("pelatihan.list.unclear")), nil
		},
	}
}

// pelatihanTopik asks which topic to list.
func pelatihanTopik(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "topik",
		Prompt: "pelatihan.topic",
		Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) {
			opts := []bot.Option{{Key: "1", Value: "", Label: bot.T("pelatihan.topic.all"), Alias: []string{"semua", "all"}}}
			for _, tp := range umkm.TrainingTopics {
				opts = append(opts, bot.Option{Key: strconv.Itoa(len(opts) + 1), Value: tp,
					Label: bot.T("pelatihan.topic." + tp), Alias: topicAliases[tp]})
			}
			return opts, nil
		},
		Targets: []bot.StepID{"katalog"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if in.Choice == nil {
				return bot.Retry(bot.T("core.choice.invalid")), nil
			}
			t.Set("topic", in.Choice.Value)
			t.Del("page")
			return bot.Goto("katalog"), nil
		},
	}
}

// pelatihanDetail shows a training's details and offers the sign-up.
func pelatihanDetail(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "detail",
		Prompt: "pelatihan.detail",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			tr, err := d.training(ctx, t)
			if err != nil {
				return nil, err
			}
			if tr == nil {
				return nil, nil
			}
			return detailData(tr, t), nil
		},
		Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) {
			back := bot.Option{Key: "2", Value: "no", Label: bot.T("pelatihan.detail.back"), Alias: []string{"kembali", "lihat lain", "back"}}
			tr, err := d.training(ctx, t)
			if err != nil {
				return nil, err
			}
			if tr != nil && tr.Closed(t.Now) != umkm.ClosedNotClosed {
				back.Key = "1"
				return []bot.Option{back}, nil
			}
			return []bot.Option{
				{Key: "1", Value: "yes", Label: bot.T("pelatihan.detail.signup"), Alias: []string{"daftar", "ikut", "sign up", "join"}},
				back,
			}, nil
		},
		Targets: signUpTargets,
		Calls:   []string{"daftar"}, // registration first, for sign-up
		Handle:  d.signUpOnYes(bot.Goto("katalog"), false),
	}
}

// pelatihanLanjut asks, back from the registration the sign-up needed, whether to sign up now.
func pelatihanLanjut(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "lanjut",
		Prompt: "pelatihan.resume",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			return d.titleData(ctx, t)
		},
		Options: yesNoOptions("pelatihan.resume.yes", "pelatihan.resume.no"),
		Targets: signUpTargets,
		Calls:   []string{"daftar"}, // registration first, for sign-up
		Handle:  d.signUpOnYes(bot.Finish(bot.Say(bot.T("pelatihan.resume.later"))), false),
	}
}

// pelatihanTunggu offers the waitlist of a full training.
func pelatihanTunggu(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "tunggu",
		Prompt: "pelatihan.full",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			data, err := d.titleData(ctx, t)
			if err != nil {
				return nil, err
			}
			data["Waiting"], _ = strconv.Atoi(t.Get("waiting"))
			return data, nil
		},
		Options: yesNoOptions("pelatihan.full.yes", "pelatihan.full.no"),
		Targets: signUpTargets,
		Calls:   []string{"daftar"}, // registration first, for sign-up
		Handle:  d.signUpOnYes(bot.Goto("katalog", bot.Say(bot.T("pelatihan.full.declined"))), true),
	}
}

// pelatihanBegin starts the flow, with the deep-link or command argument.
func pelatihanBegin(d Deps) func(context.Context, *bot.Turn, string) (bot.Result, error) {
	return func(ctx context.Context, t *bot.Turn, arg string) (bot.Result, error) {
		if arg == "" {
			trs, err := d.openTrainings(ctx, t)
			if err != nil {
				return bot.Result{}, err
			}
			if len(trs) == 0 {
				return bot.Finish(bot.Say(bot.T("pelatihan.list.empty"))), nil
			}
			return bot.Goto("katalog"), nil
		}
		if mineWords[bot.Normalize(arg)] { // "pelatihan saya", deep link pelatihan_saya
			return bot.Result{Call: "pelatihan_saya", Next: bot.Done}, nil
		}
		if id, ok := trainingID(arg); ok {
			if _, err := d.Trainings.Training(ctx, id); err == nil {
				t.Set("id", id)
				return bot.Goto("detail"), nil
			} else if !errors.Is(err, bot.ErrNotFound) {
				return bot.Result{}, err
			}
			return bot.Goto("katalog", bot.Say(bot.T("pelatihan.not_found", "ID", id))), nil
		}
		if topic, ok := matchTopic(bot.Normalize(arg)); ok {
			t.Set("topic", topic)
		}
		return bot.Goto("katalog"), nil
	}
}

// trainingID reads a training number ("12", "#12", "no 12").
func trainingID(s string) (string, bool) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.ToLower(s)), "no"))
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	if s == "" || len(s) > 9 {
		return "", false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	n, _ := strconv.Atoi(s)
	if n < 1 {
		return "", false
	}
	return strconv.Itoa(n), true
}

func matchTopic(norm string) (string, bool) {
	if slices.Contains(umkm.TrainingTopics, norm) {
		return norm, true
	}
	for tp, aliases := range topicAliases {
		if slices.Contains(aliases, norm) {
			return tp, true
		}
	}
	return "", false
}

// pageOf returns the current page (0-based, within range) and the count.
func pageOf(t *bot.Turn, n int) (page, pages int) {
	pages = max((n+pageSize-1)/pageSize, 1)
	page, _ = strconv.Atoi(t.Get("page"))
	return min(max(page, 0), pages-1), pages
}

// openTrainings lists the trainings open for sign-up now, of the chosen
// topic if any.
func (d Deps) openTrainings(ctx context.Context, t *bot.Turn) ([]*umkm.Training, error) {
	all, err := d.Trainings.Trainings(ctx, t.Now)
	if err != nil {
		return nil, err
	}
	topic := t.Get("topic")
	out := all[:0]
	for _, tr := range all {
		if tr.Closed(t.Now) == umkm.ClosedNotClosed && (topic == "" || tr.Topic == topic) {
			out = append(out, tr)
		}
	}
	return out, nil
}

// training loads the chosen training (answer "id"); nil when it is gone.
func (d Deps) training(ctx context.Context, t *bot.Turn) (*umkm.Training, error) {
	tr, err := d.Trainings.Training(ctx, t.Get("id"))
	if errors.Is(err, bot.ErrNotFound) {
		return nil, nil
	}
	return tr, err
}

func (d Deps) titleData(ctx context.Context, t *bot.Turn) (map[string]any, error) {
	data := map[string]any{"Title": "", "When": ""}
	tr, err := d.training(ctx, t)
	if err != nil {
		return nil, err
	}
	if tr != nil {
		data["Title"], data["When"] = tr.Title, when(tr.Start)
	}
	return data, nil
}

// place says where a training is: its address, or online with the link.
func place(tr *umkm.Training) bot.Text {
	if tr.Online {
		return bot.T("pelatihan.place.online", "Link", tr.Link)
	}
	return bot.Raw(tr.Place)
}

// seats says how many seats are left, or that the training is full.
func seats(tr *umkm.Training) bot.Text {
	if left := tr.SeatsLeft(); left > 0 && tr.Waitlisted == 0 {
		return bot.N("pelatihan.seats.left", left, "Capacity", tr.Capacity)
	}
	return bot.N("pelatihan.seats.full", tr.Waitlisted)
}

func listLabel(tr *umkm.Training) bot.Text {
	return bot.T("pelatihan.list.item", "Title", tr.Title, "When", when(tr.Start), "Place", place(tr), "Seats", seats(tr))
}

// until is the end of a training: the clock on the same day, else the date.
func until(tr *umkm.Training) bot.Text {
	s, e := tr.Start.In(bot.Jakarta), tr.End.In(bot.Jakarta)
	if s.YearDay() == e.YearDay() && s.Year() == e.Year() {
		return bot.Raw(fmt.Sprintf("%02d.%02d WIB", e.Hour(), e.Minute()))
	}
	return when(tr.End)
}

func orNone(s string) any {
	if strings.TrimSpace(s) == "" {
		return bot.T("pelatihan.detail.none")
	}
	return s
}

// detailData is the template data of a training's details.
func detailData(tr *umkm.Training, t *bot.Turn) map[string]any {
	deadline := bot.T("pelatihan.detail.until_start")
	if !tr.Deadline.IsZero() {
		deadline = when(tr.Deadline)
	}
	return map[string]any{
		"ID": tr.ID, "Title": tr.Title, "Topic": bot.T("pelatihan.topic." + tr.Topic), "Organiser": orNone(tr.Organiser),
		"Description": strings.TrimSpace(tr.Description), "Requirements": orNone(tr.Requirements),
		"When": when(tr.Start), "Until": until(tr), "Place": place(tr), "Deadline": deadline,
		"Seats": seats(tr), "Eligibility": eligibility(tr), "Closed": tr.Closed(t.Now) != umkm.ClosedNotClosed,
	}
}
