package bot_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// draftWorld is an engine with a two-question flow that keeps drafts
// ("isi"), another main-menu flow ("lain") and one that works anywhere
// ("absen KODE"), on real Redis and a clock the test moves.
type draftWorld struct {
	t     *testing.T
	eng   *bot.Engine
	store *store.Store
	now   time.Time
	conv  bot.Conversation
	n     int
}

// newEngineWorld is an engine on flows, with a catalog that renders each
// message as its id (the core's, and messages).
func newEngineWorld(t *testing.T, messages []string, flows ...*bot.Flow) *draftWorld {
	rdb, prefix := redistest.Client(t)
	w := &draftWorld{t: t, now: time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Jakarta), conv: bot.Conversation{Channel: bot.Console, User: "u"}}
	w.store = store.New(rdb, store.Options{Prefix: prefix, Now: func() time.Time { return w.now }, Rand: rand.NewChaCha8([32]byte{})})
	var b strings.Builder
	for _, id := range []string{"core.error", "core.cancel.done", "core.menu.title", "core.menu.next", "core.unknown", "core.welcome",
		"core.choice.invalid", "core.reask.choice", "core.talk.salam", "core.talk.thanks", "core.talk.ack", "core.talk.menu",
		"core.talk.no_skip", "core.talk.greeting.pagi", "core.talk.greeting.siang", "core.talk.greeting.sore",
		"core.talk.greeting.malam", "core.help.flow", "core.help.menu", "core.resume.question", "core.resume.question_nostep",
		"core.resume.continue", "core.resume.restart", "isi.title", "isi.a", "isi.b", "isi.a.help", "lain.title", "lain.ask",
		"absen.title", "absen.ask"} {
		fmt.Fprintf(&b, "[%q]\nother = %q\n", id, id)
	}
	for _, id := range messages {
		fmt.Fprintf(&b, "[%q]\nother = %q\n", id, id)
	}
	b.WriteString("[\"core.draft.saved\"]\nother = \"draft {{.Flow}} {{.Word}}\"\n")
	cat, err := bot.NewCatalog(fstest.MapFS{"test.id.toml": {Data: []byte(b.String())}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cat.OnMissing = func(lang, id string) { t.Errorf("message %q missing", id) }
	r := mustRegistry(flows...)
	w.eng = bot.NewEngine(bot.EngineConfig{Now: func() time.Time { return w.now }}, r, w.store, w.store, cat, nil)
	return w
}

// newDraftWorld has a two-question flow that keeps drafts ("isi"), another
// main-menu flow ("lain") and one that works anywhere ("absen KODE").
func newDraftWorld(t *testing.T) *draftWorld {
	text := func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
		if len(in.Text) < 3 {
			return "", bot.Raw("too short"), nil
		}
		return in.Text, bot.Text{}, nil
	}
	return newEngineWorld(t, nil,
		&bot.Flow{ID: "isi", Title: "isi.title", Triggers: []string{"isi"}, Menu: 1, Draft: true, Steps: []*bot.Step{
			{ID: "a", Prompt: "isi.a", Help: "isi.a.help", Numbered: true, Parse: text},
			{ID: "b", Prompt: "isi.b", Numbered: true, Parse: text},
		}},
		&bot.Flow{ID: "lain", Title: "lain.title", Triggers: []string{"lain"}, Menu: 2, Steps: []*bot.Step{
			{ID: "ask", Prompt: "lain.ask", Parse: text},
		}},
		&bot.Flow{ID: "absen", Title: "absen.title", Triggers: []string{"absen"}, Anywhere: true,
			Begin: func(ctx context.Context, t *bot.Turn, arg string) (bot.Result, error) {
				return bot.Finish(bot.Say(bot.Raw("checked in " + arg))), nil
			},
			Steps: []*bot.Step{{ID: "ask", Prompt: "absen.ask", Parse: text}}},
	)
}

func (w *draftWorld) say(text string) string {
	w.t.Helper()
	w.now = w.now.Add(time.Minute)
	w.n++
	replies, err := w.eng.Handle(context.Background(), bot.Message{ID: fmt.Sprint(w.n), Conv: w.conv, Kind: bot.KindText, Text: text})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, r := range replies {
		out = append(out, r.PlainText())
	}
	return strings.Join(out, " | ")
}

func (w *draftWorld) state() bot.State {
	w.t.Helper()
	st, err := w.store.LoadState(context.Background(), w.conv)
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

// TestDrafts: menu and another flow's word keep the answers typed so far;
// starting the flow again offers them; iya continues; restart forgets them.
func TestDrafts(t *testing.T) {
	w := newDraftWorld(t)
	w.say("isi")
	w.say("Siti Aminah")
	if got := w.say("menu"); !strings.Contains(got, "draft isi.title isi") {
		t.Fatalf("menu mid-flow said %q, want the draft kept", got)
	}
	if st := w.state(); st.Flow != "" || len(st.Stack) != 1 || st.Stack[0].Answers["a"] != "Siti Aminah" {
		t.Fatalf("after menu: flow %q, stack %+v", st.Flow, st.Stack)
	}
	if got := w.say("isi"); !strings.Contains(got, "core.resume.question") {
		t.Fatalf("isi again said %q, want the offer to continue", got)
	}
	if got := w.say("iya"); got != "isi.b" {
		t.Fatalf("iya said %q, want the second question", got)
	}
	if st := w.state(); st.Answers["a"] != "Siti Aminah" || len(st.Stack) != 0 || st.Answers["_draft"] != "" {
		t.Fatalf("continued draft: answers %v, stack %+v", st.Answers, st.Stack)
	}
	// Another main-menu flow's word alone keeps the draft too.
	if got := w.say("lain"); !strings.Contains(got, "draft isi.title") || !strings.Contains(got, "lain.ask") {
		t.Fatalf("lain mid-flow said %q", got)
	}
	w.say("menu")
	w.say("isi")
	if got := w.say("mulai ulang"); got != "isi.a" {
		t.Fatalf("restart said %q", got)
	}
	if st := w.state(); st.Answers["a"] != "" || len(st.Stack) != 0 {
		t.Fatalf("restart kept %v %+v", st.Answers, st.Stack)
	}
	// batal discards, as it says.
	w.say("Budi Santoso")
	w.say("batal")
	if st := w.state(); len(st.Stack) != 0 {
		t.Fatalf("batal kept a draft: %+v", st.Stack)
	}
}

// TestTalkKeepsTheStep: greetings, thanks, ok and confusion at a free-text
// question are answered and the question asked again; nothing is stored.
func TestTalkKeepsTheStep(t *testing.T) {
	w := newDraftWorld(t)
	w.say("isi")
	for in, want := range map[string]string{
		"halo kak":           "core.talk.greeting.pagi | isi.a",
		"Assalamualaikum":    "core.talk.salam | isi.a",
		"makasih kak":        "core.talk.thanks | isi.a",
		"ok":                 "core.talk.ack | isi.a",
		"caranya gimana kak": "isi.a.help | isi.a",
		"wkwk":               "isi.a.help | isi.a",
		"lewati":             "core.talk.no_skip\n\nisi.a.help | isi.a",
	} {
		if got := w.say(in); got != want {
			t.Errorf("%q: said %q, want %q", in, got, want)
		}
		if st := w.state(); st.Step != "a" || st.Answers["a"] != "" {
			t.Fatalf("%q moved to %s or was stored: %v", in, st.Step, st.Answers)
		}
	}
}

// TestResumeTakesAValidAnswer: after a long pause a valid answer to the
// question left is taken; anything else hears the resume question, whose
// answer may itself be the answer to the question.
func TestResumeTakesAValidAnswer(t *testing.T) {
	w := newDraftWorld(t)
	w.say("isi")
	w.now = w.now.Add(3 * time.Hour)
	if got := w.say("Siti Aminah"); got != "isi.b" {
		t.Fatalf("valid answer after a pause said %q", got)
	}
	w.now = w.now.Add(3 * time.Hour)
	if got := w.say("x"); !strings.Contains(got, "core.resume.question") {
		t.Fatalf("invalid answer after a pause said %q", got)
	}
	// The flow's last answer, given at the resume question, finishes it.
	if got := w.say("Jl. Veteran"); !strings.HasPrefix(got, "core.menu.next") || w.state().Flow != "" {
		t.Fatalf("answer at the resume question said %q, state %+v", got, w.state())
	}
}

// TestAnywhere: "absen KODE" in the middle of a flow runs and the flow
// carries on at its question with its answers.
func TestAnywhere(t *testing.T) {
	w := newDraftWorld(t)
	w.say("isi")
	w.say("Siti Aminah")
	if got := w.say("absen K7M3QX"); got != "checked in k7m3qx | isi.b" { // the argument as normalised
		t.Fatalf("absen mid-flow said %q", got)
	}
	if st := w.state(); st.Flow != "isi" || st.Step != "b" || st.Answers["a"] != "Siti Aminah" {
		t.Fatalf("after absen: %+v", st)
	}
	// At the resume question too, and nothing is taken as the answer.
	w.now = w.now.Add(3 * time.Hour)
	w.say("halo")
	if got := w.say("absen ABC123"); got != "checked in abc123 | isi.b" {
		t.Fatalf("absen at the resume question said %q", got)
	}
	if st := w.state(); st.Step != "b" || st.Answers["b"] != "" || st.Pending != "" {
		t.Fatalf("after absen at the resume question: %+v", st)
	}
}
