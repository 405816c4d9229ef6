package flows

import (
	"context"
	"slices"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
)

func init() { register("persetujuan", newPersetujuan) }

// newPersetujuan asks a registered owner for consent again when the
// consent text (ConsentVersion) changed since they gave it: at their next
// message, before anything else, except the words of their rights (they
// may see or erase their data without consenting first). The new consent
// is recorded with its version, time and reply.
func newPersetujuan(d Deps) *bot.Flow {
	return &bot.Flow{
		ID:       "persetujuan",
		Title:    "persetujuan.title",
		Triggers: []string{"persetujuan", "consent"}, // a registered owner reads and renews it
		Visible: func(ctx context.Context, t *bot.Turn) (bool, error) {
			reg, err := d.registration(ctx, t)
			if err != nil {
				return false, err
			}
			return reg != nil, nil
		},
		Gate: func(ctx context.Context, t *bot.Turn) (bool, error) {
			r, err := d.registration(ctx, t)
			if err != nil {
				return false, err
			}
			if r == nil || r.ConsentVersion == "" || strings.HasPrefix(r.ConsentVersion, ConsentVersion+"/") {
				return false, nil // registrations older than versioned consent are not asked here
			}
			norm := strings.TrimPrefix(bot.Normalize(t.Msg.Text), "/")
			return !slices.Contains(eraseWords, norm) && !slices.Contains(dataWords, norm), nil
		},
		Steps: []*bot.Step{persetujuanTanya(d)},
	}
}

// persetujuanTanya asks a registered owner for consent again after the consent text changed.
func persetujuanTanya(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "tanya",
		Prompt: "persetujuan.ask",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			return map[string]any{"Office": d.Region.Office, "Consent": bot.T("daftar.consent", "Office", d.Region.Office)}, nil
		},
		Options: yesNoOptions("daftar.consent.yes", "daftar.consent.no"),
		Calls:   []string{"hapus"}, // erasure asked for here
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			switch norm := strings.TrimPrefix(in.Norm, "/"); {
			case slices.Contains(dataWords, norm):
				texts, err := d.personalData(ctx, t)
				if err != nil {
					return bot.Result{}, err
				}
				return bot.Finish(bot.Say(texts...)), nil
			case slices.Contains(eraseWords, norm):
				return bot.Result{Call: "hapus", Next: bot.Done}, nil
			case infoWords[in.Norm]:
				return fullConsent(ctx, t, d)
			}
			yes, ok := answerYes(in)
			if !ok {
				return bot.Retry(bot.T("daftar.consent.unclear")), nil
			}
			if !yes {
				return bot.Finish(bot.Say(bot.T("persetujuan.declined"))), nil
			}
			r, err := d.registration(ctx, t)
			if err != nil {
				return bot.Result{}, err
			}
			if r == nil {
				return bot.Finish(), nil
			}
			updated := *r
			updated.ConsentAt, updated.ConsentReply, updated.ConsentVersion = t.Now.UTC(), in.Text, ConsentVersion+"/"+t.Lang
			updated.UpdatedAt = d.now()
			if err := d.Registrations.UpdateRegistration(ctx, &updated); err != nil {
				return bot.Result{}, err
			}
			t.Forget(registrationKey)
			return bot.Finish(bot.Say(bot.T("persetujuan.thanks"))), nil
		},
	}
}
