package bot

// The main menu, what starts a flow (trigger words, deep links, intents) and the language question.

import (
	"context"
	"strconv"
	"strings"
)

// idle handles a message when no flow runs: a menu choice, a greeting or
// something the bot does not understand.
func (e *Engine) idle(ctx context.Context, t *Turn, text, norm string) []Out {
	if t.Msg.Kind == KindUnsupported || t.Msg.Kind == KindDocument {
		return []Out{e.menu(ctx, t, e.unsupported(t.Msg))}
	}
	if t.Msg.Kind != KindText {
		return []Out{e.menu(ctx, t, T("core.menu.title"))}
	}
	m := e.menu(ctx, t, T("core.menu.title"))
	// A specific question ("jam buka galeri menong?") goes to its answer
	// before loose menu matching could pick the flow's own menu instead; an
	// intent without an argument only where nothing else matched.
	f, arg := e.intent(ctx, t, norm)
	if f != nil && arg != "" {
		return e.start(ctx, t, f, arg)
	}
	// A question ("berapa biaya daftar?") is answered before a menu word
	// inside it could start that flow.
	if en := e.flows.talk.faq(t.Lang).Match(text, norm, false); en != nil {
		return []Out{Say(Raw(en.Render(e.talkData(ctx, t)))), m}
	}
	if o, ok := MatchOption(norm, e.labelled(t.Lang, m.Options)); ok {
		return e.start(ctx, t, e.flows.Flow(o.Value), "")
	}
	kind := ClassifyTalk(text, norm)
	switch kind {
	case TalkSalam:
		m.Texts = []Text{T("core.talk.salam"), T("core.welcome")}
		return []Out{m}
	case TalkGreeting:
		m.Texts = []Text{T("core.welcome")}
		if said := spokenPartOfDay(norm); said != "" { // "selamat pagi bu"
			m.Texts = []Text{T("core.talk.greeting." + said), T("core.welcome")}
		}
		return []Out{m}
	case TalkThanks:
		m.Texts = []Text{T("core.talk.thanks"), T("core.talk.menu")}
		return []Out{m}
	case TalkAck:
		m.Texts = []Text{T("core.talk.menu")}
		return []Out{m}
	}
	if _, ok := YesNo(norm); ok { // a stray "ya" or "tidak" at the menu
		m.Texts = []Text{T("core.talk.menu")}
		return []Out{m}
	}
	if (kind == TalkConfused || kind == TalkSkip) && f == nil {
		m.Texts = []Text{T("core.help.menu")}
		return []Out{m}
	}
	if norm == "" {
		m.Texts = []Text{T("core.welcome")}
		return []Out{m}
	}
	if f != nil {
		return e.start(ctx, t, f, arg)
	}
	if t.expired != nil { // an answer to a question whose answers expired with the state
		m.Texts = []Text{e.expiredNotice(t)}
		return []Out{m}
	}
	m.Texts = []Text{T("core.unknown")}
	if e.missedTwice(t) { // bot/handover.go
		m.Texts = []Text{T("petugas.offer_unknown")}
	}
	return []Out{m}
}

// leaving returns the flow a person asks for by its word alone ("pelatihan")
// in the middle of another flow, where that word is no answer: the running
// flow's answers are kept as a draft (Flow.Draft). nil when the message is
// for the current question.
func (e *Engine) leaving(ctx context.Context, t *Turn, text, norm string) *Flow {
	if t.Flow == nil || t.State.Pending != "" || t.Msg.Kind != KindText {
		return nil
	}
	f, arg := e.trigger(norm)
	if f == nil || arg != "" || f == t.Flow || (f.Menu == 0 && !f.Interrupt) || !e.startable(ctx, t, f) {
		return nil // only the main menu's flows and those marked Interrupt: "stop" mid-flow is no unsubscribe
	}
	s := t.Flow.Step(t.State.Step)
	if s == nil || s.Verbatim {
		return nil
	}
	if s.Options != nil {
		if _, ok := e.stepChoice(ctx, t, s, norm); ok {
			return nil
		}
	}
	return f
}

// yields reports whether the current step lets trigger words through.
func (e *Engine) yields(t *Turn) bool {
	if t.Flow == nil || t.State.Pending != "" {
		return false
	}
	s := t.Flow.Step(t.State.Step)
	return s != nil && s.Yield
}

// intent asks the visible flows, in menu order, whether free text is
// theirs (Flow.Intent).
func (e *Engine) intent(ctx context.Context, t *Turn, norm string) (*Flow, string) {
	for _, f := range e.flows.Flows() {
		if f.Intent == nil || !e.visible(ctx, t, f) {
			continue
		}
		if arg, ok := f.Intent(norm); ok {
			return f, arg
		}
	}
	return nil, ""
}

// menu lists the flows this person may start.
func (e *Engine) menu(ctx context.Context, t *Turn, title Text) Out {
	o := Out{Texts: []Text{title}}
	for _, f := range e.flows.Flows() {
		if f.Menu == 0 || !e.visible(ctx, t, f) {
			continue
		}
		o.Options = append(o.Options, Option{Key: strconv.Itoa(len(o.Options) + 1), Value: f.ID, Label: T(f.Title), Alias: f.Triggers})
	}
	return o
}

// startable says whether a word may start f: a flow with Begin decides for
// itself (a registered owner typing "daftar" is told their number; a
// non-admin typing "siaran" gets the menu), others start when visible.
func (e *Engine) startable(ctx context.Context, t *Turn, f *Flow) bool {
	return f.Begin != nil || e.visible(ctx, t, f)
}

func (e *Engine) visible(ctx context.Context, t *Turn, f *Flow) bool {
	if f.Visible == nil {
		return true
	}
	ok, err := f.Visible(ctx, t)
	return !t.fail(err) && ok
}

// trigger finds the flow a word starts: "daftar", "pelatihan 12". The
// first trigger in menu order that norm is, or begins with followed by a
// space, wins.
func (e *Engine) trigger(norm string) (*Flow, string) {
	norm = strings.TrimPrefix(norm, "/")
	for _, tw := range e.triggers[firstWord(norm)] {
		w := tw.word
		if norm == w {
			return tw.flow, ""
		}
		// norm starts with "w ": without building w+" " for every
		// trigger on every message.
		if len(norm) > len(w) && norm[len(w)] == ' ' && strings.HasPrefix(norm, w) {
			return tw.flow, strings.TrimSpace(norm[len(w)+1:])
		}
	}
	return nil, ""
}

// triggerWord is one trigger word of a flow.
type triggerWord struct {
	flow *Flow
	word string
}

// indexTriggers lists the flows' trigger words by their first word, in
// menu order. A message is, or begins with, a trigger only when their
// first words are the same, so trigger compares a message with the few
// triggers of its first word: comparing it with every trigger of every
// flow, at least once a turn, was 8 % of the engine's work per turn
// (BenchmarkEngineDaftar).
func indexTriggers(flows []*Flow) map[string][]triggerWord {
	idx := map[string][]triggerWord{}
	for _, f := range flows {
		for _, w := range f.Triggers {
			first := firstWord(w)
			idx[first] = append(idx[first], triggerWord{flow: f, word: w})
		}
	}
	return idx
}

// firstWord is s up to its first space.
func firstWord(s string) string {
	first, _, _ := strings.Cut(s, " ")
	return first
}

// deepLink finds the flow a deep-link payload opens: "pelatihan_12" opens
// flow "pelatihan" with argument "12".
func (e *Engine) deepLink(payload string) (*Flow, string) {
	id, arg, _ := strings.Cut(payload, "_")
	if f := e.flows.Flow(id); f != nil {
		return f, arg
	}
	return e.trigger(Normalize(strings.ReplaceAll(payload, "_", " ")))
}

func (e *Engine) langQuestion() Out {
	return Out{Texts: []Text{T("core.lang.question")}, Options: []Option{
		{Key: "1", Value: "id", Label: T("core.lang.id"), Alias: []string{"indonesia", "bahasa indonesia", "id"}},
		{Key: "2", Value: "en", Label: T("core.lang.en"), Alias: []string{"english", "inggris", "en"}},
	}}
}

func (e *Engine) setLang(ctx context.Context, t *Turn, lang string) []Out {
	t.Lang = e.cat.Supported(lang)
	t.State.Pending = ""
	return append([]Out{Say(T("core.lang.set"))}, e.again(ctx, t)...)
}

func (e *Engine) unsupported(m Message) Text {
	typ := ""
	if m.Media != nil {
		typ = m.Media.Type
	}
	switch typ {
	case "sticker":
		return T("core.unsupported.sticker")
	case "voice", "audio":
		return T("core.unsupported.voice")
	case "document":
		return T("core.unsupported.document")
	}
	return T("core.unsupported.other")
}
