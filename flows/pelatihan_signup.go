package flows

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Signing up for a training: eligibility, the seat or waitlist, and the
// notices about an enrolment.

// eligibility describes who may join.
func eligibility(tr *umkm.Training) bot.Text {
	var parts []bot.Text
	if len(tr.KabKota) > 0 {
		names := make([]string, len(tr.KabKota))
		for i, c := range tr.KabKota {
			names[i] = c
			if n, ok := indexName(c); ok {
				names[i] = n
			}
		}
		parts = append(parts, bot.T("pelatihan.eligible.kabkota", "List", strings.Join(names, ", ")))
	}
	if len(tr.Kecamatan) > 0 {
		parts = append(parts, bot.T("pelatihan.eligible.kecamatan", "List", strings.Join(tr.Kecamatan, ", ")))
	}
	if len(tr.Sectors) > 0 {
		parts = append(parts, bot.T("pelatihan.eligible.sector", "List", labels("sector.", tr.Sectors)))
	}
	if len(tr.SizeClasses) > 0 {
		parts = append(parts, bot.T("pelatihan.eligible.size", "List", labels("class.", tr.SizeClasses)))
	}
	if len(parts) == 0 {
		return bot.T("pelatihan.eligible.all")
	}
	return bot.T("pelatihan.eligible.only", "List", parts)
}

func labels(prefix string, codes []string) []bot.Text {
	out := make([]bot.Text, len(codes))
	for i, c := range codes {
		out[i] = bot.T(prefix + c)
	}
	return out
}

// signUpTargets are where a sign-up question may go: the catalogue, the
// question again after the registration it needed, the waitlist.
var signUpTargets = []bot.StepID{"katalog", "lanjut", "tunggu"}

// signUpOnYes is the Handle of a sign-up question: yes signs up (to the
// waitlist when waitlist), no answers no, anything else asks again.
func (d Deps) signUpOnYes(no bot.Result, waitlist bool) func(context.Context, *bot.Turn, bot.In) (bot.Result, error) {
	return func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
		yes, ok := answerYes(in)
		if !ok {
			return bot.Retry(bot.T("core.choice.invalid")), nil
		}
		if !yes {
			return no, nil
		}
		return d.signUp(ctx, t, waitlist)
	}
}

// signUp takes a seat (or, with waitlist, a waitlist place) in the chosen
// training for a registered owner; an owner not registered yet registers
// first and comes back to step lanjut.
func (d Deps) signUp(ctx context.Context, t *bot.Turn, waitlist bool) (bot.Result, error) {
	tr, err := d.training(ctx, t)
	if err != nil {
		return bot.Result{}, err
	}
	if tr == nil {
		return bot.Goto("katalog", bot.Say(bot.T("pelatihan.not_found", "ID", t.Get("id")))), nil
	}
	if why := tr.Closed(t.Now); why != umkm.ClosedNotClosed {
		return bot.Goto("katalog", bot.Say(bot.T("pelatihan.closed."+why, "Title", tr.Title))), nil
	}
	reg, err := d.registration(ctx, t)
	if err != nil {
		return bot.Result{}, err
	}
	if reg == nil {
		return bot.Result{Say: []bot.Out{bot.Say(bot.T("pelatihan.need_registration", "Title", tr.Title))}, Call: "daftar", Next: "lanjut"}, nil
	}
	if why := tr.Ineligible(reg); why != "" {
		unit, _ := d.Region.Unit(reg.Region)
		mine := map[string]bot.Text{
			umkm.IneligibleKabKota:   bot.Raw(unit.Name),
			umkm.IneligibleKecamatan: bot.Raw(reg.Kecamatan),
			umkm.IneligibleSector:    bot.T("sector." + reg.Sector),
			umkm.IneligibleSize:      bot.T("class." + reg.SizeClass),
		}[why]
		return bot.Goto("katalog", bot.Say(bot.T("pelatihan.ineligible."+why, "Title", tr.Title, "Mine", mine, "Rule", eligibility(tr)))), nil
	}
	mine, err := d.Trainings.EnrolmentsOf(ctx, t.Conv)
	if err != nil {
		return bot.Result{}, err
	}
	for _, e := range mine {
		if e.Training == tr.ID && e.Status != umkm.StatusCancelled {
			return bot.Finish(bot.Say(enrolledText(tr, e, "pelatihan.already."))), nil
		}
	}
	e, err := d.Trainings.Enrol(ctx, umkm.Enrolment{Training: tr.ID, Conv: t.Conv, Registration: reg.ID, At: t.Now}, waitlist)
	switch {
	case errors.Is(err, umkm.ErrTrainingClosed):
		return bot.Goto("katalog", bot.Say(bot.T("pelatihan.closed.closed", "Title", tr.Title))), nil
	case err != nil:
		return bot.Result{}, err
	case e.Status == umkm.StatusFull:
		t.Set("waiting", strconv.Itoa(e.Position))
		return bot.Goto("tunggu"), nil
	}
	return bot.Finish(bot.Say(enrolledText(tr, e, "pelatihan.done."))), nil
}

// enrolledText tells an owner where they stand: <prefix>terdaftar with the
// attendance code, prefix.daftar_tunggu with the position, and so on.
func enrolledText(tr *umkm.Training, e umkm.Enrolment, prefix string) bot.Text {
	return bot.T(prefix+string(e.Status), "Title", tr.Title, "When", when(tr.Start), "Place", place(tr),
		"Code", e.Code, "Position", e.Position)
}

// TrainingNotice is the message for a training notice of kind (a
// reminder, umkm.ReminderDayBefore or umkm.ReminderSoon, or a seat freed for
// a waitlisted owner, umkm.NoticePromoted); the reminder runner and the
// cancel step send it through the Notifier.
func TrainingNotice(kind string, tr *umkm.Training, e umkm.Enrolment) bot.Out {
	return bot.Say(bot.T("pelatihan.notice."+kind, "Title", tr.Title, "When", when(tr.Start), "Place", place(tr),
		"Code", e.Code, "ID", tr.ID))
}
