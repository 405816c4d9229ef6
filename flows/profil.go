package flows

import (
	"context"
	"errors"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

func init() { register("profil", newProfil) }

// newProfil shows a registered owner their data (NIK and phone masked) and
// lets them correct one field at a time; each correction is saved at once.
func newProfil(d Deps) *bot.Flow {
	steps := []*bot.Step{profilLihat(d)}
	fields := registrationFields(d)
	withHelp(fields)
	for _, s := range fields {
		if s.ID == "kabkota" && !d.Region.Multi() {
			continue // one kabupaten/kota: never asked
		}
		steps = append(steps, saveOnAnswer(d, s))
	}
	return &bot.Flow{
		ID:       "profil",
		Version:  1, // one list encoding (bot.ListValue), no "none" or "-"
		Migrate:  migrateRegistration,
		Title:    "profil.title",
		Triggers: []string{"profil", "profile", "ubah data", "ubah profil", "cek data"},
		Menu:     10,
		Visible: func(ctx context.Context, t *bot.Turn) (bool, error) {
			reg, err := d.registration(ctx, t)
			if err != nil {
				return false, err
			}
			return reg != nil, nil
		},
		Begin: profilBegin(d),
		Steps: steps,
	}
}

// profilLihat shows the registration: "ubah 3" edits line 3, saved at once.
func profilLihat(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "lihat",
		Prompt: "profil.show",
		Help:   "profil.show.help",
		Yield:  true, // a view: "pelatihan" or "jualan" goes there
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			r, err := d.registration(ctx, t)
			if err != nil {
				return nil, err
			}
			if r == nil {
				return nil, nil
			}
			return d.summary(r), nil
		},
		Targets: editTargets(d), // "ubah 3"
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if n, ok := editNumber(in.Norm); ok {
				r, err := d.registration(ctx, t)
				if err != nil {
					return bot.Result{}, err
				}
				if r == nil {
					return bot.Finish(), nil
				}
				registrationToAnswers(r, t)
				return bot.Goto(d.editStep(n)), nil
			}
			if editWords[in.Norm] {
				return bot.Result{Next: bot.Stay, Quiet: true, Say: []bot.Out{bot.Say(bot.T("profil.which"))}}, nil
			}
			if yes, ok := bot.YesNo(in.Text); ok && yes || doneWords[in.Norm] {
				return bot.Finish(), nil
			}
			return bot.Result{Next: bot.Stay, Quiet: true, Say: []bot.Out{bot.Say(bot.T("profil.unclear"))}}, nil
		},
	}
}

// editTargets are the questions "ubah n" leads to: every line's, and in a
// deployment of several the kabupaten/kota (the kecamatan's line asks it
// first, see editStep).
func editTargets(d Deps) []bot.StepID {
	if d.Region.Multi() {
		return append([]bot.StepID{"kabkota"}, fieldOrder...)
	}
	return fieldOrder
}

// profilBegin starts the flow, with the deep-link or command argument.
func profilBegin(d Deps) func(context.Context, *bot.Turn, string) (bot.Result, error) {
	return func(ctx context.Context, t *bot.Turn, arg string) (bot.Result, error) {
		reg, err := d.registration(ctx, t)
		if err != nil {
			return bot.Result{}, err
		}
		if reg == nil {
			return bot.Finish(bot.Say(bot.T("profil.not_registered"))), nil
		}
		return bot.Goto("lihat"), nil
	}
}

var doneWords = map[string]bool{"selesai": true, "sudah": true, "cukup": true, "done": true, "finish": true, "ok": true}

// saveOnAnswer turns a registration question into an editor of the stored
// registration: a valid answer is saved at once and the profile shown again.
func saveOnAnswer(d Deps, s *bot.Step) *bot.Step {
	edit := *s
	edit.Skip = nil
	edit.Numbered = false
	edit.Targets = []bot.StepID{"lihat"}
	if f, ok := followUps[s.ID]; ok {
		edit.Targets = append(edit.Targets, f)
	}
	edit.Handle = func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
		old := t.Get(string(s.ID))
		value, retry, ok, err := readAnswer(ctx, t, s, in)
		if !ok {
			return retry, err
		}
		if s.ID == "kabkota" && value != old {
			// A registration's number and records belong to its
			// kabupaten/kota (umkm.ErrRegionMove): the Dinas moves it.
			u, _ := d.Region.Unit(value)
			return bot.Goto("lihat", bot.Say(bot.T("profil.kabkota.move", "KabKota", u.Name, "Contact", d.contact(ctx, t)))), nil
		}
		if next := d.followUp(t, s.ID, old, value); next != "" {
			t.Set(string(s.ID), value) // saved with the answer to next (a new kecamatan's desa)
			return bot.Goto(next), nil
		}
		if old == value && s.ID != "desa_lain" {
			return bot.Goto("lihat", bot.Say(bot.T("profil.unchanged"))), nil
		}
		t.Set(string(s.ID), value)
		r, err := d.registration(ctx, t)
		if err != nil {
			return bot.Result{}, err
		}
		if r == nil {
			return bot.Finish(), nil
		}
		updated := answersToRegistration(d, t)
		updated.ID, updated.RegisteredAt, updated.ConsentAt = r.ID, r.RegisteredAt, r.ConsentAt
		updated.ConsentVersion, updated.ConsentReply, updated.UpdatedAt = r.ConsentVersion, r.ConsentReply, d.now()
		err = d.Registrations.UpdateRegistration(ctx, updated)
		t.Forget(registrationKey)
		var dup *umkm.DuplicateNIKError
		if errors.As(err, &dup) {
			taken, err := nikTaken(ctx, d, t, []string{dup.Existing}, updated.NIK)
			return bot.Retry(taken), err
		}
		if err != nil {
			return bot.Result{}, err
		}
		return bot.Goto("lihat", bot.Say(bot.T("profil.saved"))), nil
	}
	return &edit
}

// stepValue is the value a Parse/Options step takes from an answer, as the
// engine computes it for declarative steps.
func stepValue(ctx context.Context, t *bot.Turn, s *bot.Step, in bot.In) (string, bot.Text, error) {
	if s.Parse != nil {
		return s.Parse(ctx, t, in)
	}
	if in.Choice == nil {
		return "", bot.T("core.choice.invalid"), nil
	}
	return in.Choice.Value, bot.Text{}, nil
}
