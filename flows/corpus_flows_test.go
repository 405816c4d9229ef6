package flows_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/console"
)

// corpusFiles are the corpus of each language.
var corpusFiles = map[string]string{"id": "testdata/corpus/messages.tsv", "en": "testdata/corpus/messages.en.tsv"}

// TestCorpusEveryFlow sends the corpus of each language, in that language,
// at every question of every flow (free text or a list), a registered
// owner's conversation put at the question directly: none of the messages
// is stored, none moves the conversation off the question, which is asked
// again, none gets "belum mengerti", and thanks and FAQ questions are
// answered as such. Where a message is an answer to the question by its
// words (an "ok" at a yes/no question, an amount at a price, "lewati" where
// skipping is offered) it may be taken. Verbatim questions (a broadcast
// text, a message to an officer) take prose as written and are left out.
func TestCorpusEveryFlow(t *testing.T) {
	for _, lang := range []string{"id", "en"} {
		t.Run(lang, func(t *testing.T) {
			msgs := corpus(t, corpusFiles[lang])
			if lang == "en" && len(msgs) < 120 {
				t.Fatalf("English corpus has %d messages, want at least 120", len(msgs))
			}
			testCorpusEveryFlow(t, lang, msgs)
		})
	}
}

func testCorpusEveryFlow(t *testing.T, lang string, msgs [][2]string) {
	w := newWorld(t)
	seed(t, w, "# market setup", &strings.Builder{})
	ctx := context.Background()
	conv, _ := registrationTo(t, w, "corpus-owner-"+lang, "marketplace")
	w.say(conv, console.Parse("belum"))
	w.say(conv, console.Parse("ya"))
	if st := w.state(conv); st.Flow != "" {
		t.Fatalf("registration not finished: at %s/%s", st.Flow, st.Step)
	}
	if lang != "id" {
		w.say(conv, console.Parse("english"))
	}
	render := func(id string) string { return w.catalog.Render(lang, bot.T(id)) }
	unknown, thanks := render("core.unknown"), render("core.talk.thanks")
	// put sets the conversation at flow f's question s and returns the
	// question as the bot asks it ("pilihan"), or false when it cannot be
	// asked without the answers before it.
	// The profile editor loads the registration at "ubah N": its
	// questions are reached that way (put directly, an answer would save
	// a registration made of nothing).
	edits := map[bot.StepID]int{}
	for n := 1; n <= 20; n++ {
		w.say(conv, console.Parse("profil"))
		w.say(conv, console.Parse(fmt.Sprint("ubah ", n)))
		if st := w.state(conv); st.Flow == "profil" && st.Step != "lihat" {
			edits[st.Step] = n
		}
		w.say(conv, console.Parse("batal"))
	}
	if len(edits) < 10 {
		t.Fatalf("profile lines found: %v", edits)
	}
	put := func(f *bot.Flow, s *bot.Step) (string, bool) {
		if n := edits[s.ID]; f.ID == "profil" && n > 0 {
			w.say(conv, console.Parse("batal"))
			w.say(conv, console.Parse("profil"))
			w.say(conv, console.Parse(fmt.Sprint("ubah ", n)))
			return againQuestion(t, w, conv, f, s)
		}
		// Begun by its word, the flow holds what it loads at the start
		// (the profile its registration); then the question is s.
		w.say(conv, console.Parse("batal"))
		answers := map[string]string{}
		if len(f.Triggers) > 0 {
			w.say(conv, console.Parse(f.Triggers[0]))
			if st := w.state(conv); st.Flow == f.ID && st.Answers != nil {
				answers = st.Answers
			}
		}
		st := w.state(conv)
		st.Flow, st.FlowVer, st.Step, st.Answers, st.History, st.Pending, st.Stack = f.ID, f.Version, s.ID, answers, nil, "", nil
		st.Updated = w.now
		if _, err := w.store.SaveState(ctx, conv, st); err != nil {
			t.Fatal(err)
		}
		return againQuestion(t, w, conv, f, s)
	}
	steps := 0
	for _, f := range mustFlows(t, w.deps).Flows() {
		if f.Visible != nil {
			if ok, err := f.Visible(ctx, &bot.Turn{Conv: conv, Lang: lang, Now: w.now, State: &bot.State{}}); err != nil || !ok {
				continue // an officer's flow (siaran)
			}
		}
		for _, s := range f.Steps {
			if s.Verbatim || (f.ID == "daftar" && s.ID == "ringkasan") { // the summary shows answers given before
				continue
			}
			if f.ID == "profil" && s.ID != "lihat" && edits[s.ID] == 0 {
				t.Logf("profil/%s: not a line of the profile, left out", s.ID)
				continue
			}
			question, ok := put(f, s)
			if !ok {
				t.Logf("%s/%s: not reachable from an injected state, left out", f.ID, s.ID)
				continue
			}
			steps++
			before := maps.Clone(w.state(conv).Answers)
			for _, m := range msgs {
				kind, text := m[0], m[1]
				replies := w.say(conv, console.Parse(text))
				st := w.state(conv)
				moved := st.Flow != f.ID || st.Step != s.ID || st.Pending != "" || !maps.Equal(st.Answers, before)
				if moved {
					// At a list the options decide what is an answer ("ga tau"
					// is the "Tidak tahu" bracket, "semua" all topics): the
					// option matcher has its own tests. Thanks and a FAQ
					// question are never an answer.
					answerable := kind == "amount" || kind == "skip" || kind == "ack" ||
						(kind == "yesno" && (s.Handle != nil || s.Optional)) // "tidak" at "ketik HAPUS", "belum" at an optional question
					if answerable || (s.Options != nil && kind != "faq" && kind != "thanks") {
						put(f, s) // an answer here by its words
						before = maps.Clone(w.state(conv).Answers)
						continue
					}
					t.Errorf("at %s/%s, %s %q moved the conversation to %s/%s (answers %v)", f.ID, s.ID, kind, text, st.Flow, st.Step, st.Answers)
					put(f, s)
					before = maps.Clone(w.state(conv).Answers)
					continue
				}
				all := joined(replies)
				// At a list, and at a view-only screen (the profile), a wrong
				// answer gets the reason and one line, not the whole list again.
				if last := replies[len(replies)-1].PlainText(); last != question && s.Options == nil && !s.Yield {
					t.Errorf("at %s/%s, %s %q: the question was not asked again; replies:\n%s", f.ID, s.ID, kind, text, all)
				}
				if strings.Contains(all, unknown) {
					t.Errorf("at %s/%s, %s %q got %q", f.ID, s.ID, kind, text, unknown)
				}
				first := replies[0].PlainText()
				switch kind {
				case "thanks":
					if first != thanks {
						t.Errorf("at %s/%s, thanks %q not answered: %q", f.ID, s.ID, text, first)
					}
				case "faq", "greet":
					if len(replies) < 2 || first == question {
						t.Errorf("at %s/%s, %s %q not answered: %q", f.ID, s.ID, kind, text, first)
					}
				}
			}
		}
	}
	t.Logf("%d messages at each of %d questions", len(msgs), steps)
	if steps < 30 {
		t.Errorf("the corpus ran at %d questions, want at least 30", steps)
	}
}

// againQuestion asks the question conv is at again ("pilihan") and returns
// it as the bot puts it, or false when the conversation is not at f's s.
func againQuestion(t *testing.T, w *world, conv bot.Conversation, f *bot.Flow, s *bot.Step) (string, bool) {
	replies, err := w.engine.Handle(context.Background(), bot.Message{ID: "again-" + w.now.String(), Conv: conv, Kind: bot.KindText, Text: "pilihan"})
	w.now = w.now.Add(1)
	if err != nil || len(replies) == 0 {
		t.Logf("%s/%s: asking again failed: %v", f.ID, s.ID, err)
		return "", false
	}
	if st := w.state(conv); st.Flow != f.ID || st.Step != s.ID {
		return "", false
	}
	return replies[len(replies)-1].PlainText(), true
}
