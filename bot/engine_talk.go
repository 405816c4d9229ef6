package bot

// Small talk at any step: greetings, thanks, FAQ answers, confusion (the words themselves are in talk.go).

import (
	"context"
	"time"
)

// converse answers what is not an answer to the current question: a
// greeting, thanks, "ok", a question of the FAQ, confusion (bot/talk.go).
// Each is answered and the question asked again, so the step is never lost
// and none of it is stored. ok is false when the message is for the step.
func (e *Engine) converse(ctx context.Context, t *Turn, text, norm string) ([]Out, bool) {
	if t.Msg.Kind != KindText || norm == "" {
		return nil, false
	}
	var s *Step
	if t.Flow != nil && t.State.Pending == "" {
		if s = t.Flow.Step(t.State.Step); s == nil {
			return nil, false
		}
		if s.Verbatim {
			return nil, false
		}
		if s.Options != nil {
			opts := e.stepOptions(ctx, t, s)
			if _, ok := e.stepChoice(ctx, t, s, norm); ok && !e.faqOverList(t, text, norm, opts) {
				return nil, false
			}
			if s.Multi {
				if _, ok := MatchOptions(text, opts); ok {
					return nil, false
				}
			}
		}
	}
	kind := ClassifyTalk(text, norm)
	say := func(texts ...Text) ([]Out, bool) { return append([]Out{Say(texts...)}, e.again(ctx, t)...), true }
	if kind != TalkGreeting && kind != TalkSalam && kind != TalkThanks && kind != TalkAck {
		if en := e.flows.talk.faq(t.Lang).Match(text, norm, true); en != nil {
			return say(Raw(en.Render(e.talkData(ctx, t))))
		}
	}
	switch kind {
	case TalkSalam:
		return say(T("core.talk.salam"))
	case TalkGreeting:
		return say(T("core.talk.greeting." + partOfDay(norm, t.Now)))
	case TalkThanks:
		return say(T("core.talk.thanks"))
	case TalkAck:
		if s == nil || (s.Options == nil && s.Parse != nil) {
			return say(T("core.talk.ack"))
		}
	case TalkConfused:
		if s != nil {
			return say(e.stepHelp(s))
		}
	case TalkSkip:
		if s != nil && !s.Optional {
			return say(T("core.talk.no_skip"), e.stepHelp(s))
		}
	}
	// A bare yes or no ("ya", "belum ada") at a question asking for a
	// name, a number or an address is no value to store: the question's
	// help says what to write, and what to do without an answer.
	if s != nil && s.Options == nil && s.Parse != nil && !s.Optional {
		if _, ok := YesNo(norm); ok {
			return say(e.stepHelp(s))
		}
	}
	return nil, false
}

// talkData fills in FAQ answers; Text values (the Dinas contact block) are
// rendered in the person's language first.
func (e *Engine) talkData(ctx context.Context, t *Turn) map[string]any {
	if k := e.flows.talk; k != nil && k.Data != nil {
		data, err := k.Data(ctx, t)
		t.fail(err)
		for key, v := range data {
			if x, ok := v.(Text); ok {
				data[key] = e.cat.Render(t.Lang, x)
			}
		}
		return data
	}
	return nil
}

// spokenPartOfDay is the time of day a greeting names ("selamat pagi"), or "".
func spokenPartOfDay(norm string) string {
	for _, w := range words(norm) {
		switch w = squeeze(w); w {
		case "pagi", "siang", "sore":
			return w
		case "morning":
			return "pagi"
		case "malam", "malem", "evening", "night":
			return "malam"
		case "afternoon":
			return "siang"
		}
	}
	return ""
}

// partOfDay answers a greeting with the person's own time of day, else the
// one of now in WIB.
func partOfDay(norm string, now time.Time) string {
	if said := spokenPartOfDay(norm); said != "" {
		return said
	}
	switch h := now.In(Jakarta).Hour(); {
	case h >= 4 && h < 11:
		return "pagi"
	case h >= 11 && h < 15:
		return "siang"
	case h >= 15 && h < 18:
		return "sore"
	}
	return "malam"
}

// faqFirst reports whether a flow's word followed by more ("daftar bayar
// gak?", "kelas usaha apa?") is a question of the FAQ rather than the
// flow with an argument: it is answered as a question, at the menu and at
// a view-only step alike. A command ("/daftar x") is always the flow's,
// and so is the prose after the word of a flow that takes prose: a
// question for the officer ("petugas berapa biayanya?", a Quiet flow) or
// a broadcast text (a flow that begins with a Verbatim step).
func (e *Engine) faqFirst(t *Turn, f *Flow, arg, text, norm string) bool {
	if arg == "" || t.Msg.Command || f.Quiet || (len(f.Steps) > 0 && f.Steps[0].Verbatim) {
		return false
	}
	return e.flows.talk.faq(t.Lang).Match(text, norm, true) != nil
}

// faqOverList reports whether a message that picks an option only by a
// word inside it ("lupa" of "Tidak tahu" in "lupa nomor UMKM saya") is
// rather a question of the FAQ, by a key of two words or more: it is
// answered, and nothing is chosen. A message that is an option's key,
// label or alias is always the option.
//
// Cheapest first: most answers at a list are a key ("1"), and matching
// them against the FAQ before looking at the keys was 3 % of the engine's
// CPU per turn (BenchmarkEngineDaftar); labels are normalized last, as
// that may build a string.
func (e *Engine) faqOverList(t *Turn, text, norm string, opts []Option) bool {
	for _, o := range opts {
		if norm == Normalize(o.Key) {
			return false
		}
	}
	if _, n := e.flows.talk.faq(t.Lang).match(text, norm, true); n < 2 {
		return false
	}
	for _, o := range opts {
		if norm == Normalize(o.Label.Raw) {
			return false
		}
		for _, a := range o.Alias {
			if norm == Normalize(a) {
				return false
			}
		}
	}
	return true
}
