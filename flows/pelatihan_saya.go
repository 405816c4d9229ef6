package flows

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

func init() { register("pelatihan_saya", newPelatihanSaya) }

// recentDays is how long after a training ended it stays in the owner's list.
const recentDays = 30

// newPelatihanSaya lists the owner's trainings with their status and lets
// them cancel a seat or waitlist place; a freed seat goes to the first
// waitlisted owner, who is told at once on their own channel.
func newPelatihanSaya(d Deps) *bot.Flow {
	return &bot.Flow{
		ID:       "pelatihan_saya",
		Title:    "pelatihan_saya.title",
		Triggers: []string{"pelatihan saya", "jadwal saya", "kelas saya", "my trainings", "batal pelatihan"},
		Begin:    pelatihanSayaBegin(d),
		Steps: []*bot.Step{
			pelatihanSayaSaya(d),
			pelatihanSayaItem(d),
			pelatihanSayaBatal(d),
		},
	}
}

// pelatihanSayaSaya lists the owner's trainings with their status.
func pelatihanSayaSaya(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "saya",
		Prompt: "pelatihan_saya.list",
		Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) {
			var opts []bot.Option
			mine, err := d.mine(ctx, t)
			if err != nil {
				return nil, err
			}
			for i, m := range mine {
				opts = append(opts, bot.Option{Key: strconv.Itoa(i + 1), Value: m.tr.ID,
					Label: bot.T("pelatihan_saya.item", "Title", m.tr.Title, "When", when(m.tr.Start),
						"Status", bot.T("pelatihan_saya.status."+string(m.e.Status)))})
			}
			return opts, nil
		},
		Targets: []bot.StepID{"item"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if in.Choice == nil {
				return bot.Retry(bot.T("core.choice.invalid")), nil
			}
			t.Set("id", in.Choice.Value)
			return bot.Goto("item"), nil
		},
	}
}

// pelatihanSayaItem shows one of them, with the cancellation while it is not started.
func pelatihanSayaItem(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "item",
		Prompt: "pelatihan_saya.detail",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			m, ok, err := d.mineOne(ctx, t)
			if err != nil || !ok {
				return nil, err
			}
			data := detailData(m.tr, t)
			data["Status"] = enrolledText(m.tr, m.e, "pelatihan_saya.status_long.")
			return data, nil
		},
		Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) {
			opts := []bot.Option{{Key: "1", Value: "back", Label: bot.T("pelatihan_saya.back"), Alias: []string{"kembali", "back"}}}
			m, ok, err := d.mineOne(ctx, t)
			if err != nil {
				return nil, err
			}
			if ok && cancellable(m, t.Now) {
				opts = append([]bot.Option{{Key: "1", Value: "cancel", Label: bot.T("pelatihan_saya.cancel"),
					Alias: []string{"batal", "batalkan", "cancel"}}}, bot.Option{Key: "2", Value: "back", Label: opts[0].Label, Alias: opts[0].Alias})
			}
			return opts, nil
		},
		Targets: []bot.StepID{"batal", "saya"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			switch {
			case in.Choice == nil:
				return bot.Retry(bot.T("core.choice.invalid")), nil
			case in.Choice.Value == "cancel":
				return bot.Goto("batal"), nil
			}
			return bot.Goto("saya"), nil
		},
	}
}

// pelatihanSayaBatal confirms giving up a seat or waitlist place.
func pelatihanSayaBatal(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "batal",
		Prompt: "pelatihan_saya.confirm",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			data, err := d.titleData(ctx, t)
			if err != nil {
				return nil, err
			}
			m, ok, err := d.mineOne(ctx, t)
			if err != nil {
				return nil, err
			}
			data["Seat"] = ok && m.e.Status == umkm.StatusConfirmed
			return data, nil
		},
		Options: yesNoOptions("pelatihan_saya.confirm.yes", "pelatihan_saya.confirm.no"),
		Targets: []bot.StepID{"item"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			yes, ok := answerYes(in)
			if !ok {
				return bot.Retry(bot.T("core.choice.invalid")), nil
			}
			if !yes {
				return bot.Goto("item"), nil
			}
			return d.cancel(ctx, t)
		},
	}
}

// pelatihanSayaBegin starts the flow, with the deep-link or command argument.
func pelatihanSayaBegin(d Deps) func(context.Context, *bot.Turn, string) (bot.Result, error) {
	return func(ctx context.Context, t *bot.Turn, arg string) (bot.Result, error) {
		mine, err := d.mine(ctx, t)
		if err != nil {
			return bot.Result{}, err
		}
		if len(mine) == 0 {
			return bot.Finish(bot.Say(bot.T("pelatihan_saya.none"))), nil
		}
		return bot.Goto("saya"), nil
	}
}

// enrolled is one of the owner's enrolments with its training.
type enrolled struct {
	tr *umkm.Training
	e  umkm.Enrolment
}

// mine lists the owner's trainings that have not ended more than
// recentDays ago, soonest first.
func (d Deps) mine(ctx context.Context, t *bot.Turn) ([]enrolled, error) {
	es, err := d.Trainings.EnrolmentsOf(ctx, t.Conv)
	if err != nil {
		return nil, err
	}
	var out []enrolled
	for _, e := range es {
		tr, err := d.Trainings.Training(ctx, e.Training)
		if errors.Is(err, bot.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if tr.End.Before(t.Now.Add(-recentDays * 24 * time.Hour)) {
			continue
		}
		out = append(out, enrolled{tr, e})
	}
	slices.SortStableFunc(out, func(a, b enrolled) int { return a.tr.Start.Compare(b.tr.Start) })
	return out, nil
}

// mineOne is the owner's enrolment in the chosen training (answer "id").
func (d Deps) mineOne(ctx context.Context, t *bot.Turn) (enrolled, bool, error) {
	mine, err := d.mine(ctx, t)
	if err != nil {
		return enrolled{}, false, err
	}
	for _, m := range mine {
		if m.tr.ID == t.Get("id") {
			return m, true, nil
		}
	}
	return enrolled{}, false, nil
}

// cancellable: a seat or waitlist place of a training not started yet.
func cancellable(m enrolled, now time.Time) bool {
	return (m.e.Status == umkm.StatusConfirmed || m.e.Status == umkm.StatusWaitlisted) && now.Before(m.tr.Start)
}

// cancel gives up the owner's place and tells whoever got the seat.
func (d Deps) cancel(ctx context.Context, t *bot.Turn) (bot.Result, error) {
	m, ok, err := d.mineOne(ctx, t)
	if err != nil {
		return bot.Result{}, err
	}
	if !ok || !cancellable(m, t.Now) {
		return bot.Finish(bot.Say(bot.T("pelatihan_saya.not_cancellable"))), nil
	}
	// Cancelling twice (a turn run again) changes nothing and says the same.
	_, promoted, err := d.Trainings.Cancel(ctx, m.tr.ID, t.Conv)
	if err != nil {
		return bot.Result{}, err
	}
	for _, p := range promoted {
		if d.Notifier == nil {
			break
		}
		// The seat is theirs whether or not the message arrives; a failed
		// send is not a reason to fail this owner's cancel.
		_ = d.Notifier.Notify(ctx, p.Conv, TrainingNotice(umkm.NoticePromoted, m.tr, p))
	}
	return bot.Finish(bot.Say(bot.T("pelatihan_saya.cancelled", "Title", m.tr.Title))), nil
}
