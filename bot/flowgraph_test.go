package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
)

// TestEngineRefusesUndeclaredTarget: a Handle result naming a step the step
// did not declare in Targets is refused at run time, as a step that does
// not exist is: the fault reply with the menu, the flow left, nothing of
// the undeclared step asked.
func TestEngineRefusesUndeclaredTarget(t *testing.T) {
	text := func(context.Context, *bot.Turn, bot.In) (string, bot.Text, error) { return "x", bot.Text{}, nil }
	w := newEngineWorld(t, []string{"lompat.title", "lompat.a", "lompat.b", "lompat.c"}, &bot.Flow{
		ID: "lompat", Title: "lompat.title", Triggers: []string{"lompat"}, Menu: 1,
		Steps: []*bot.Step{
			{ID: "a", Prompt: "lompat.a", Targets: []bot.StepID{"b"},
				Handle: func(_ context.Context, _ *bot.Turn, in bot.In) (bot.Result, error) {
					if in.Text == "c" {
						return bot.Goto("c"), nil // declared nowhere
					}
					return bot.Goto("b"), nil
				}},
			{ID: "b", Prompt: "lompat.b", Parse: text},
			{ID: "c", Prompt: "lompat.c", Parse: text},
		},
	})
	if got := w.say("lompat"); got != "lompat.a" {
		t.Fatalf("lompat said %q", got)
	}
	if got := w.say("c"); strings.Contains(got, "lompat.c") || !strings.Contains(got, "core.error") {
		t.Fatalf("undeclared move said %q, want the fault reply and not lompat.c", got)
	}
	if st := w.state(); st.Flow != "" {
		t.Fatalf("after an undeclared move the state is in flow %q step %q", st.Flow, st.Step)
	}
	w.say("lompat")
	if got := w.say("b"); got != "lompat.b" {
		t.Fatalf("declared move said %q", got)
	}
}

// TestHookErrorFailsTurn: an error a hook returns fails the turn (the
// dispatcher then tells the person and retries) and nothing of the turn is
// saved.
func TestHookErrorFailsTurn(t *testing.T) {
	boom := errors.New("store down")
	fail := false
	w := newEngineWorld(t, []string{"rusak.title", "rusak.a", "rusak.b"}, &bot.Flow{
		ID: "rusak", Title: "rusak.title", Triggers: []string{"rusak"}, Menu: 1,
		Steps: []*bot.Step{
			{ID: "a", Prompt: "rusak.a", Parse: func(context.Context, *bot.Turn, bot.In) (string, bot.Text, error) { return "x", bot.Text{}, nil }},
			{ID: "b", Prompt: "rusak.b",
				Data: func(context.Context, *bot.Turn) (map[string]any, error) {
					if fail {
						return nil, boom
					}
					return nil, nil
				},
				Handle: func(context.Context, *bot.Turn, bot.In) (bot.Result, error) { return bot.Finish(), nil }},
		},
	})
	w.say("rusak")
	fail = true
	_, err := w.eng.Handle(context.Background(), bot.Message{ID: "boom", Conv: w.conv, Kind: bot.KindText, Text: "jawab"})
	if !errors.Is(err, boom) {
		t.Fatalf("Handle = %v, want the hook's error", err)
	}
	if st := w.state(); st.Step != "a" {
		t.Fatalf("after a failed turn the state is at step %q, want a (unchanged)", st.Step)
	}
	fail = false
	if got := w.say("jawab"); got != "rusak.b" {
		t.Fatalf("the retried turn said %q", got)
	}
}

// TestEngineRefusesUndeclaredEntry: Begin may go to the first step or one
// of Flow.Entries, nowhere else.
func TestEngineRefusesUndeclaredEntry(t *testing.T) {
	text := func(context.Context, *bot.Turn, bot.In) (string, bot.Text, error) { return "x", bot.Text{}, nil }
	begin := func(_ context.Context, _ *bot.Turn, arg string) (bot.Result, error) {
		return bot.Goto(bot.StepID(arg)), nil
	}
	w := newEngineWorld(t, []string{"masuk.title", "masuk.a", "masuk.b", "masuk.c"}, &bot.Flow{
		ID: "masuk", Title: "masuk.title", Triggers: []string{"masuk"}, Menu: 1, Begin: begin, Entries: []bot.StepID{"b"},
		Steps: []*bot.Step{
			{ID: "a", Prompt: "masuk.a", Parse: text},
			{ID: "b", Prompt: "masuk.b", Parse: text},
			{ID: "c", Prompt: "masuk.c", Parse: text},
		},
	})
	if got := w.say("masuk b"); got != "masuk.b" {
		t.Fatalf("a declared entry said %q", got)
	}
	w.say("batal")
	if got := w.say("masuk c"); strings.Contains(got, "masuk.c") || !strings.Contains(got, "core.error") {
		t.Fatalf("an undeclared entry said %q, want the fault reply", got)
	}
}

// TestEngineRefusesUndeclaredCall: a step (or Begin) may start only the
// flows it declared in Calls; another registered flow is refused at run
// time like an undeclared step, and a declared one runs and returns.
func TestEngineRefusesUndeclaredCall(t *testing.T) {
	text := func(context.Context, *bot.Turn, bot.In) (string, bot.Text, error) { return "x", bot.Text{}, nil }
	w := newEngineWorld(t, []string{"panggil.title", "panggil.a", "panggil.b", "kedua.title", "kedua.a", "rahasia.title", "rahasia.a"},
		&bot.Flow{ID: "panggil", Title: "panggil.title", Triggers: []string{"panggil"}, Menu: 1,
			Begin: func(_ context.Context, _ *bot.Turn, arg string) (bot.Result, error) {
				if arg != "" {
					return bot.Result{Call: arg, Next: "b"}, nil // only "kedua" declared
				}
				return bot.Goto("a"), nil
			}, Calls: []string{"kedua"}, Entries: []bot.StepID{"b"},
			Steps: []*bot.Step{
				{ID: "a", Prompt: "panggil.a", Calls: []string{"kedua"}, Targets: []bot.StepID{"b"},
					Handle: func(_ context.Context, _ *bot.Turn, in bot.In) (bot.Result, error) {
						return bot.Result{Call: map[string]string{"1": "kedua", "2": "rahasia"}[in.Norm], Next: "b"}, nil
					}},
				{ID: "b", Prompt: "panggil.b", Parse: text},
			}},
		&bot.Flow{ID: "kedua", Title: "kedua.title", Triggers: []string{"kedua"}, Menu: 2, Steps: []*bot.Step{{ID: "a", Prompt: "kedua.a", Parse: text, Next: bot.Done}}},
		&bot.Flow{ID: "rahasia", Title: "rahasia.title", Triggers: []string{"rahasia"}, Menu: 3, Steps: []*bot.Step{{ID: "a", Prompt: "rahasia.a", Parse: text}}},
	)
	w.say("panggil")
	if got := w.say("2"); strings.Contains(got, "rahasia.a") || !strings.Contains(got, "core.error") {
		t.Fatalf("an undeclared call said %q, want the fault reply", got)
	}
	if got := w.say("panggil rahasia"); strings.Contains(got, "rahasia.a") || !strings.Contains(got, "core.error") {
		t.Fatalf("an undeclared call from Begin said %q, want the fault reply", got)
	}
	w.say("panggil")
	if got := w.say("1"); got != "kedua.a" {
		t.Fatalf("a declared call said %q", got)
	}
	if got := w.say("jawab"); !strings.Contains(got, "panggil.b") {
		t.Fatalf("after the called flow said %q, want the caller's step b", got)
	}
}
