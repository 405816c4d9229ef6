package flows

import (
	"context"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
)

func init() {
	register("langganan", func(d Deps) *bot.Flow { return newLangganan(d.Profiles) })
}

// optOuts keeps whether an owner receives broadcasts (bot.FieldOptOut):
// all langganan needs (a bot.ProfileStore).
type optOuts interface {
	SetProfile(ctx context.Context, c bot.Conversation, field, value string) error
}

// Words that stop broadcasts and words that start them again.
var (
	stopWords      = []string{"berhenti", "stop", "unsubscribe", "berhenti langganan", "stop siaran", "berhenti siaran"}
	subscribeWords = []string{"langganan", "subscribe", "berlangganan", "langganan siaran", "mulai siaran"}
)

// newLangganan lets an owner stop receiving Dinas broadcasts (after a
// confirmation) and start again. It changes nothing else: an owner who
// opted out still uses every other feature.
func newLangganan(profiles optOuts) *bot.Flow {
	return &bot.Flow{
		ID:       "langganan",
		Title:    "langganan.title",
		Triggers: append(append([]string{}, stopWords...), subscribeWords...),
		Begin: func(ctx context.Context, t *bot.Turn, arg string) (bot.Result, error) {
			if profiles == nil {
				return bot.Finish(bot.Say(bot.T("langganan.unavailable"))), nil
			}
			word := strings.TrimPrefix(bot.Normalize(t.Msg.Text), "/")
			for _, w := range subscribeWords {
				if word == w || strings.HasPrefix(word, w+" ") {
					return subscribe(ctx, profiles, t)
				}
			}
			if t.Profile.OptOut {
				return bot.Finish(bot.Say(bot.T("langganan.stop.already"))), nil
			}
			return bot.Goto("berhenti"), nil
		},
		Steps: []*bot.Step{{
			ID:      "berhenti",
			Prompt:  "langganan.stop.confirm",
			Options: yesNoOptions("langganan.stop.yes", "langganan.stop.no"),
			Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
				yes, ok := answerYes(in)
				if !ok {
					return bot.Retry(bot.T("langganan.stop.unclear")), nil
				}
				if !yes {
					return bot.Finish(bot.Say(bot.T("langganan.stop.kept"))), nil
				}
				if err := profiles.SetProfile(ctx, t.Conv, bot.FieldOptOut, "1"); err != nil {
					return bot.Result{}, err
				}
				return bot.Finish(bot.Say(bot.T("langganan.stop.done"))), nil
			},
		}},
	}
}

// subscribe starts broadcasts again.
func subscribe(ctx context.Context, profiles optOuts, t *bot.Turn) (bot.Result, error) {
	if !t.Profile.OptOut {
		return bot.Finish(bot.Say(bot.T("langganan.start.already"))), nil
	}
	if err := profiles.SetProfile(ctx, t.Conv, bot.FieldOptOut, ""); err != nil {
		return bot.Result{}, err
	}
	return bot.Finish(bot.Say(bot.T("langganan.start.done"))), nil
}
