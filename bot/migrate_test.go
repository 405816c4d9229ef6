package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
)

// tagFlow is a two-question flow whose second step reads the list answer
// "tags" the first stored: version 1 of it wrote "a|b", version 2 writes
// the one list encoding, and migrate (when given) upgrades 1 to 2.
func tagFlow(version int, migrate bot.Migrate) *bot.Flow {
	return &bot.Flow{ID: "tag", Title: "tag.title", Triggers: []string{"tag"}, Menu: 1, Draft: true, Version: version, Migrate: migrate,
		Steps: []*bot.Step{
			{ID: "a", Prompt: "tag.a", Numbered: true, Parse: func(_ context.Context, _ *bot.Turn, in bot.In) (string, bot.Text, error) {
				return bot.ListValue(strings.Fields(in.Text)), bot.Text{}, nil
			}, Next: "b"},
			{ID: "b", Prompt: "tag.b", Numbered: true, Handle: func(_ context.Context, t *bot.Turn, _ bot.In) (bot.Result, error) {
				return bot.Finish(bot.Say(bot.Raw("tags: " + strings.Join(t.List("a"), "+")))), nil
			}},
		}}
}

var tagMessages = []string{"tag.title", "tag.a", "tag.b", "core.flow_changed"}

// saveOld writes the state a previous version of the flow left: at step b,
// answers in the old encoding.
func (w *draftWorld) saveOld(st bot.State) {
	w.t.Helper()
	st.Updated = w.now
	if _, err := w.store.SaveState(context.Background(), w.conv, st); err != nil {
		w.t.Fatal(err)
	}
}

// TestStateMigration: a state saved by the previous version of a flow is
// resumed with its answers migrated; without a migration (or when it
// fails) the flow restarts politely at its first question, and a draft of
// the old version does too instead of offering to continue.
func TestStateMigration(t *testing.T) {
	old := bot.State{Flow: "tag", FlowVer: 1, Step: "b", Answers: map[string]string{"a": "kopi|teh"}, History: []bot.StepID{"a"}}
	migrate := func(from int, answers map[string]string) error {
		if from != 1 {
			return errors.New("unknown version")
		}
		bot.MigrateList(answers, "a", "|", "none")
		return nil
	}

	t.Run("migrated", func(t *testing.T) {
		w := newEngineWorld(t, tagMessages, tagFlow(2, migrate))
		w.saveOld(old)
		if got := w.say("ok"); !strings.HasPrefix(got, "tags: kopi+teh") {
			t.Fatalf("resumed old state said %q, want the migrated list", got)
		}
	})
	t.Run("migrated mid-flow keeps going", func(t *testing.T) {
		w := newEngineWorld(t, tagMessages, tagFlow(2, migrate))
		st := old
		st.Step, st.History = "a", nil
		w.saveOld(st)
		if got := w.say("kopi susu"); got != "tag.b" {
			t.Fatalf("answer in a migrated state said %q", got)
		}
		if st := w.state(); st.FlowVer != 2 || strings.Contains(st.Answers["a"], "|") {
			t.Fatalf("state after the turn: version %d answers %q", st.FlowVer, st.Answers)
		}
	})
	for name, f := range map[string]*bot.Flow{
		"no migration":    tagFlow(2, nil),
		"migration fails": tagFlow(2, func(int, map[string]string) error { return errors.New("cannot") }),
		"step gone": {ID: "tag", Title: "tag.title", Triggers: []string{"tag"}, Menu: 1, Version: 2, Migrate: migrate,
			Steps: []*bot.Step{{ID: "a", Prompt: "tag.a", Parse: func(context.Context, *bot.Turn, bot.In) (string, bot.Text, error) { return "", bot.Text{}, nil }}}},
		"version lowered?": tagFlow(0, nil),
	} {
		t.Run(name, func(t *testing.T) {
			w := newEngineWorld(t, tagMessages, f)
			w.saveOld(old)
			if got := w.say("ok"); got != "core.flow_changed | tag.a" {
				t.Fatalf("old state said %q, want the polite restart and the first question", got)
			}
			if st := w.state(); st.Flow != "tag" || st.Step != "a" || st.FlowVer != f.Version || len(st.Answers) != 0 {
				t.Fatalf("after the restart: %+v", st)
			}
		})
	}
	t.Run("draft of the old version", func(t *testing.T) {
		w := newEngineWorld(t, tagMessages, tagFlow(2, nil))
		w.saveOld(bot.State{Stack: []bot.Frame{{Flow: "tag", Version: 1, Step: "b",
			Answers: map[string]string{"a": "kopi|teh", "_draft": "1"}, History: []bot.StepID{"a"}}}})
		if got := w.say("tag"); got != "core.flow_changed | tag.a" {
			t.Fatalf("old draft said %q, want the polite restart, not the offer to continue", got)
		}
		if st := w.state(); len(st.Stack) != 0 || st.FlowVer != 2 {
			t.Fatalf("after the restart: %+v", st)
		}
	})
	t.Run("draft migrated", func(t *testing.T) {
		w := newEngineWorld(t, tagMessages, tagFlow(2, migrate))
		w.saveOld(bot.State{Stack: []bot.Frame{{Flow: "tag", Version: 1, Step: "b",
			Answers: map[string]string{"a": "kopi|teh", "_draft": "1"}, History: []bot.StepID{"a"}}}})
		if got := w.say("tag"); !strings.Contains(got, "core.resume.question") {
			t.Fatalf("migrated draft said %q, want the offer to continue", got)
		}
		if got := w.say("lanjut"); got != "tag.b" {
			t.Fatalf("continue said %q", got)
		}
		if got := w.say("ok"); !strings.HasPrefix(got, "tags: kopi+teh") {
			t.Fatalf("continued draft said %q", got)
		}
	})
}

// TestListAnswers: one encoding for lists, the empty list absent.
func TestListAnswers(t *testing.T) {
	tr := &bot.Turn{State: &bot.State{}}
	if got := tr.List("x"); got != nil {
		t.Fatalf("absent list = %q", got)
	}
	tr.SetList("x", []string{"a, b", "c|d", "e\nf"})
	if got := tr.List("x"); len(got) != 3 || got[0] != "a, b" || got[1] != "c|d" || got[2] != "e\nf" {
		t.Fatalf("List = %q", got)
	}
	tr.SetList("x", nil)
	if _, ok := tr.State.Answers["x"]; ok {
		t.Fatal("an empty list is stored")
	}
	a := map[string]string{"m": "shopee,tokopedia", "n": "none", "k": ""}
	bot.MigrateList(a, "m", ",", "none")
	bot.MigrateList(a, "n", ",", "none")
	bot.MigrateList(a, "k", ",")
	bot.MigrateList(a, "absent", ",")
	if got := bot.SplitList(a["m"]); len(got) != 2 || got[1] != "tokopedia" {
		t.Fatalf("migrated list = %q", got)
	}
	if _, ok := a["n"]; ok || len(a) != 1 {
		t.Fatalf("migrated empties = %q", a)
	}
}

// TestDoneSavedInFrames: a flow that called another to end when it ends
// (Result{Call, Next: Done}) waits in a frame saved as "\x00end"; a state
// saved so by an earlier build still ends cleanly.
func TestDoneSavedInFrames(t *testing.T) {
	w := newDraftWorld(t)
	w.saveOld(bot.State{Flow: "lain", Step: "ask", Stack: []bot.Frame{{Flow: "isi", Step: "\x00end"}}})
	if got := w.say("jawaban"); strings.Contains(got, "core.error") {
		t.Fatalf("finishing with a frame at Done said %q", got)
	}
	if st := w.state(); st.Flow != "" || len(st.Stack) != 0 {
		t.Fatalf("after the end: %+v", st)
	}
}
