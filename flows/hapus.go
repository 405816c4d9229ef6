package flows

import (
	"context"
	"fmt"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

func init() { register("hapus", newHapus) }

// eraseWords start the erasure of the owner's data (UU 27/2022 art. 8 and
// 9: deletion, and withdrawal of consent). Withdrawing consent for
// broadcasts alone is "berhenti" (flow langganan).
var eraseWords = []string{"hapus data", "hapus akun", "tarik persetujuan", "hapus data saya", "delete my data", "delete account"}

// confirmWord is what the owner types to erase: a word, not a number, so
// that nobody erases by a slip of the thumb.
const confirmWord = "hapus"

// newHapus explains what erasure means, asks for the confirmation word,
// erases everything the service holds about the person (their seats go to
// the waitlist) and says what is kept and why.
func newHapus(d Deps) *bot.Flow {
	return &bot.Flow{
		ID:        "hapus",
		Title:     "hapus.title",
		Triggers:  eraseWords,
		Interrupt: true,
		Begin: func(ctx context.Context, t *bot.Turn, arg string) (bot.Result, error) {
			if d.Eraser == nil {
				return bot.Finish(bot.Say(bot.T("hapus.unavailable", "Contact", d.contact(ctx, t)))), nil
			}
			r, err := d.registration(ctx, t)
			if err != nil {
				return bot.Result{}, err
			}
			if r != nil {
				t.Set("reg", r.ID)
			}
			return bot.Goto("konfirmasi"), nil
		},
		Steps: []*bot.Step{{
			ID:     "konfirmasi",
			Prompt: "hapus.confirm",
			Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
				id := t.Get("reg")
				return map[string]any{"Registered": id != "", "ID": id}, nil
			},
			Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
				if in.Norm != confirmWord {
					if yes, ok := bot.YesNo(in.Text); ok && !yes {
						return bot.Finish(bot.Say(bot.T("hapus.kept"))), nil
					}
					return bot.Retry(bot.T("hapus.unclear")), nil
				}
				return erase(ctx, d, t)
			},
		}},
	}
}

// erase carries the erasure out. A turn run again erases nothing more and
// says the same (the registration id was noted before).
func erase(ctx context.Context, d Deps, t *bot.Turn) (bot.Result, error) {
	var regions []string
	for _, u := range d.Region.Served() {
		regions = append(regions, u.Code)
	}
	e, err := d.Eraser.ErasePerson(ctx, regions, t.Conv)
	if err != nil {
		return bot.Result{}, err
	}
	t.Forget(registrationKey)
	d.forgetProducts(t)
	for _, p := range e.Promoted {
		if d.Notifier == nil || d.Trainings == nil {
			break
		}
		if tr, err := d.Trainings.Training(ctx, p.Training); err == nil {
			// The seat is theirs whether or not the message arrives.
			_ = d.Notifier.Notify(ctx, p.Conv, TrainingNotice(umkm.NoticePromoted, tr, p))
		}
	}
	id := t.Get("reg")
	if d.Audit != nil {
		subject := id
		if subject == "" {
			subject = "conversation " + t.Conv.Masked()
		}
		err := d.Audit.Audit(ctx, umkm.AuditEntry{At: e.At, Actor: "owner:" + t.Conv.Masked(), Action: umkm.AuditDeletion,
			Subject: subject, Count: boolInt(e.Registration != "") + e.Trainings + e.Applications + e.Products + e.Broadcasts + e.Tickets,
			Detail: fmt.Sprintf("by owner in chat; trainings=%d applications=%d products=%d broadcast_records=%d tickets=%d",
				e.Trainings, e.Applications, e.Products, e.Broadcasts, e.Tickets)})
		if err != nil {
			return bot.Result{}, err
		}
	}
	t.Profile = bot.Profile{Lang: t.Profile.Lang}
	t.State.Stack = nil // drafts kept when the owner left a flow for this one go too
	return bot.Finish(bot.Say(bot.T("hapus.done", "Registered", id != "", "ID", id))), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
