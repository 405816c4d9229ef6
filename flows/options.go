package flows

// Choices shared by the flows: yes/no questions and fixed option lists.

import (
	"context"

	"github.com/umkmbot/umkmbot/bot"
)

// yesNoOptions is the Options hook of a yes/no question.
func yesNoOptions(yes, no string) func(context.Context, *bot.Turn) ([]bot.Option, error) {
	return fixed(yesNo(yes, no)...)
}

// yesNo is a yes/no choice labelled with message ids yes and no.
func yesNo(yes, no string) []bot.Option {
	return []bot.Option{
		{Key: "1", Value: "yes", Label: bot.T(yes)},
		{Key: "2", Value: "no", Label: bot.T(no)},
	}
}

// fixed is the Options hook of a step whose choices never change.
func fixed(opts ...bot.Option) func(context.Context, *bot.Turn) ([]bot.Option, error) {
	return func(context.Context, *bot.Turn) ([]bot.Option, error) { return opts, nil }
}

// answerYes reads a yes/no answer from a numbered choice or from words.
func answerYes(in bot.In) (yes, ok bool) {
	if in.Choice != nil {
		return in.Choice.Value == "yes", true
	}
	return bot.YesNo(in.Text)
}
