package flows

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

func init() { register("hadir", newHadir) }

// checkInOpens is how long before the start an owner may check in.
const checkInOpens = 3 * time.Hour

// newHadir checks an owner in at the venue: "hadir K7M3QX" (or "hadir",
// then the code) marks their seat attended.
func newHadir(d Deps) *bot.Flow {
	return &bot.Flow{
		ID:       "hadir",
		Title:    "hadir.title",
		Triggers: []string{"hadir", "check in", "checkin", "absen", "presensi"},
		Anywhere: true,
		Begin: func(ctx context.Context, t *bot.Turn, arg string) (bot.Result, error) {
			if arg == "" {
				return bot.Goto("kode"), nil
			}
			return d.checkIn(ctx, t, arg)
		},
		Steps: []*bot.Step{{
			ID:      "kode",
			Prompt:  "hadir.code",
			Targets: []bot.StepID{"kode"},
			Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
				return d.checkIn(ctx, t, in.Text)
			},
		}},
	}
}

// checkIn finds the owner's seat holding the code typed and marks it
// attended; anything else re-asks with the reason.
func (d Deps) checkIn(ctx context.Context, t *bot.Turn, typed string) (bot.Result, error) {
	code, ok := umkm.ParseAttendanceCode(typed)
	if !ok {
		// Six letters/digits with one the codes never use ("ABCDEF"): the
		// real reason is that no seat holds it, not its form.
		if code = sixAlnum(typed); code == "" {
			return bot.Goto("kode", bot.Say(bot.T("hadir.invalid"))), nil
		}
	}
	mine, err := d.mine(ctx, t)
	if err != nil {
		return bot.Result{}, err
	}
	if len(mine) == 0 {
		return bot.Finish(bot.Say(bot.T("hadir.no_seats"))), nil
	}
	for _, m := range mine {
		if m.e.Code != code {
			continue
		}
		switch {
		case m.e.Status == umkm.StatusAttended:
			return bot.Finish(bot.Say(bot.T("hadir.already", "Title", m.tr.Title))), nil
		case m.e.Status != umkm.StatusConfirmed:
			return bot.Finish(bot.Say(bot.T("hadir.not_seated", "Title", m.tr.Title))), nil
		case t.Now.Before(m.tr.Start.Add(-checkInOpens)):
			return bot.Finish(bot.Say(bot.T("hadir.too_early", "Title", m.tr.Title, "When", when(m.tr.Start)))), nil
		case t.Now.After(m.tr.End):
			return bot.Finish(bot.Say(bot.T("hadir.over", "Title", m.tr.Title))), nil
		}
		_, err := d.Trainings.CheckIn(ctx, m.tr.ID, code, t.Conv)
		if errors.Is(err, bot.ErrNotFound) {
			break
		}
		if err != nil {
			return bot.Result{}, err
		}
		return bot.Finish(bot.Say(bot.T("hadir.done", "Title", m.tr.Title, "Place", place(m.tr)))), nil
	}
	return bot.Goto("kode", bot.Say(bot.T("hadir.wrong", "Code", code))), nil
}

// sixAlnum returns text that is six ASCII letters or digits (spaces and
// dashes aside, "kode" in front allowed) in upper case, else "".
func sixAlnum(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "KODE"), "CODE"))
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
	if len(s) != 6 || strings.IndexFunc(s, func(r rune) bool { return r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) }) >= 0 {
		return ""
	}
	return s
}
