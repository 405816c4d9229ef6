package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// EngineConfig tunes the engine.
type EngineConfig struct {
	DefaultLang string        // language for people who chose none (default "id")
	ResumeAfter time.Duration // idle time after which a half-done flow asks to continue or restart (default 1h)
	MaxText     int           // longest message taken, in characters (default 1000)
	Now         func() time.Time
}

// Engine runs one turn: it loads the conversation, applies the message to
// the current flow step (or the main menu), saves the state with
// compare-and-set and returns the rendered replies.
type Engine struct {
	cfg      EngineConfig
	flows    *Registry
	states   StateStore
	profiles ProfileStore
	cat      *Catalog
	log      *slog.Logger
}

// NewEngine builds an engine.
func NewEngine(cfg EngineConfig, flows *Registry, states StateStore, profiles ProfileStore, cat *Catalog, log *slog.Logger) *Engine {
	if cfg.DefaultLang == "" {
		cfg.DefaultLang = DefaultLang
	}
	if cfg.ResumeAfter == 0 {
		cfg.ResumeAfter = time.Hour
	}
	if cfg.MaxText == 0 {
		cfg.MaxText = 1000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Engine{cfg: cfg, flows: flows, states: states, profiles: profiles, cat: cat, log: log}
}

// Catalog returns the engine's message catalog.
func (e *Engine) Catalog() *Catalog { return e.cat }

// DefaultLang is the language of people who chose none.
func (e *Engine) DefaultLang() string { return e.cfg.DefaultLang }

// maxAttempts bounds compare-and-set retries of one turn. Two processes
// handling the same person at the same moment is rare (the dispatcher
// serialises a conversation), so a handful is plenty.
const maxAttempts = 8

// Handle runs the turn for msg on the engine's own stores and returns the
// replies to send: load, Turn, compare-and-set (golden transcripts and
// one-off callers; the dispatcher uses Turn with its turn store).
//
// Steps may write to stores (a registration, a seat); when a concurrent
// change forces the turn to run again those writes run again too, so the
// stores make them idempotent.
func (e *Engine) Handle(ctx context.Context, msg Message) ([]Reply, error) {
	prof, st, err := e.loadTurn(ctx, msg.Conv)
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			if st, err = e.states.LoadState(ctx, msg.Conv); err != nil {
				return nil, fmt.Errorf("load conversation %s: %w", msg.Conv.Masked(), err)
			}
		}
		if msg.ID != "" && st.LastMsg == msg.ID {
			return nil, nil // applied before
		}
		res, err := e.Turn(ctx, &Loaded{Msg: msg, State: st, Profile: prof})
		if err != nil {
			return nil, err
		}
		if _, err := e.states.SaveState(ctx, msg.Conv, res.State); errors.Is(err, ErrConflict) {
			e.log.Debug("turn raced, running again", "conv", msg.Conv.Channel, "attempt", attempt+1)
			continue
		} else if err != nil {
			return nil, fmt.Errorf("save conversation %s: %w", msg.Conv.Masked(), err)
		}
		for _, f := range [][2]string{{FieldPhone, res.Phone}, {FieldLang, res.Lang}} {
			if f[1] == "" {
				continue
			}
			if err := e.profiles.SetProfile(ctx, msg.Conv, f[0], f[1]); err != nil {
				return nil, fmt.Errorf("save %s %s: %w", f[0], msg.Conv.Masked(), err)
			}
		}
		return res.Replies, nil
	}
	return nil, fmt.Errorf("conversation %s: %w after %d attempts", msg.Conv.Masked(), ErrConflict, maxAttempts)
}

// Turn applies l.Msg to l.State and returns the new state, the rendered
// replies and the profile changes, without writing anything of its own
// (steps may write their domain data). The caller commits the result.
func (e *Engine) Turn(ctx context.Context, l *Loaded) (TurnResult, error) {
	msg, prof := l.Msg, l.Profile
	var res TurnResult
	if msg.Phone != "" && prof.Phone != msg.Phone {
		res.Phone, prof.Phone = msg.Phone, msg.Phone
	}
	lang := prof.Lang
	if lang == "" {
		lang = e.cfg.DefaultLang
	}
	st := l.State
	t := &Turn{Conv: msg.Conv, Msg: msg, Lang: lang, Now: e.cfg.Now(), Profile: prof, State: &st}
	outs := e.run(ctx, t)
	if t.err != nil {
		return TurnResult{}, fmt.Errorf("turn of %s: %w", msg.Conv.Channel, t.err)
	}
	res.Replies = make([]Reply, 0, len(outs))
	for _, o := range outs {
		res.Replies = append(res.Replies, e.cat.Out(t.Lang, o))
	}
	st.LastMsg, st.Updated = msg.ID, t.Now
	res.State = st
	if t.Lang != prof.Lang && (prof.Lang != "" || t.Lang != e.cfg.DefaultLang) {
		res.Lang = t.Lang
	}
	return res, nil
}

// loadTurn reads the profile and the state, in one round trip when the
// store can.
func (e *Engine) loadTurn(ctx context.Context, c Conversation) (Profile, State, error) {
	if tl, ok := e.states.(TurnLoader); ok && any(e.states) == any(e.profiles) {
		p, st, err := tl.LoadTurn(ctx, c)
		if err != nil {
			return Profile{}, State{}, fmt.Errorf("load conversation %s: %w", c.Masked(), err)
		}
		return p, st, nil
	}
	p, err := e.profiles.Profile(ctx, c)
	if err != nil {
		return Profile{}, State{}, fmt.Errorf("load profile %s: %w", c.Masked(), err)
	}
	st, err := e.states.LoadState(ctx, c)
	if err != nil {
		return Profile{}, State{}, fmt.Errorf("load conversation %s: %w", c.Masked(), err)
	}
	return p, st, nil
}

// global words work at any step.
type global int

const (
	gNone global = iota
	gMenu
	gCancel
	gBack
	gHelp
	gLang
	gAgain
)

var globals = map[string]global{
	"menu": gMenu, "/menu": gMenu, "/start": gMenu, "menu utama": gMenu, "main menu": gMenu, "home": gMenu,
	"batal": gCancel, "/batal": gCancel, "cancel": gCancel, "/cancel": gCancel, "keluar": gCancel,
	"kembali": gBack, "/kembali": gBack, "back": gBack, "/back": gBack, "balik": gBack,
	"bantuan": gHelp, "/bantuan": gHelp, "help": gHelp, "/help": gHelp, "tolong": gHelp, "?": gHelp,
	"gmn": gHelp, "gimana": gHelp, "bagaimana": gHelp, "caranya": gHelp, "bingung": gHelp,
	"bahasa": gLang, "/bahasa": gLang, "language": gLang, "/language": gLang,
	"pilihan": gAgain, "lihat pilihan": gAgain, "pilihannya": gAgain, "list": gAgain, "options": gAgain,
	"ulangi pertanyaan": gAgain, "pertanyaannya apa": gAgain, "apa pertanyaannya": gAgain,
}

// Pending questions of the engine's own.
const (
	pendingResume = "resume"
	pendingLang   = "lang"
)

// run applies the message to the state and returns what to say.
func (e *Engine) run(ctx context.Context, t *Turn) []Out {
	st, msg := t.State, t.Msg
	if st.Flow != "" {
		t.Flow = e.flows.Flow(st.Flow)
		if t.Flow == nil || (st.Step != "" && t.Flow.Step(st.Step) == nil) {
			// A flow or step removed by an upgrade: start over cleanly.
			e.log.Warn("conversation in unknown flow step, resetting", "flow", st.Flow, "step", st.Step)
			e.clear(t)
		}
	}
	if msg.Kind == KindOfficer || msg.Kind == KindTicketClosed {
		return e.fromOfficer(ctx, t) // bot/handover.go
	}
	t.misses, st.Misses = st.Misses, 0
	t.missed, st.Missed = st.Missed, nil
	// Control and bidi-override characters never reach a step, so none is
	// stored ("\u202e" would show a name backwards in the Dinas export).
	t.Msg.Text = CleanText(msg.Text)
	text := strings.TrimSpace(t.Msg.Text)
	norm := Normalize(text)

	if utf8.RuneCountInString(text) > e.cfg.MaxText {
		return append([]Out{Say(T("core.too_long", "Max", e.cfg.MaxText))}, e.again(ctx, t)...)
	}
	if t.Flow != nil && t.Flow.Quiet {
		return e.quiet(ctx, t, text, norm) // bot/handover.go
	}
	if msg.StartArg != "" {
		if f, arg := e.deepLink(msg.StartArg); f != nil && e.startable(ctx, t, f) {
			return e.start(ctx, t, f, arg)
		}
	}
	if msg.Kind == KindText {
		switch globals[norm] {
		case gMenu:
			saved := e.park(t)
			e.clear(t)
			if !saved.IsZero() {
				return []Out{Say(saved), e.menu(ctx, t, T("core.menu.title"))}
			}
			return []Out{e.menu(ctx, t, T("core.menu.title"))}
		case gCancel:
			if st.Flow == "" && st.Pending == "" {
				return []Out{e.menu(ctx, t, T("core.cancel.nothing"))}
			}
			e.clear(t)
			return []Out{e.menu(ctx, t, T("core.cancel.done"))}
		case gBack:
			return e.back(ctx, t)
		case gHelp:
			return e.help(ctx, t)
		case gLang:
			st.Pending = pendingLang
			return []Out{e.langQuestion()}
		case gAgain:
			return e.again(ctx, t)
		}
		switch norm {
		case "english", "inggris", "bahasa inggris":
			return e.setLang(ctx, t, "en")
		case "indonesia", "bahasa indonesia", "indonesian":
			return e.setLang(ctx, t, "id")
		}
	}

	if msg.Kind == KindText && !msg.Command && t.Flow != nil && st.Pending != pendingLang {
		// "hadir K7M3QX" in the middle of a registration (or at its resume
		// question): check in, then carry on where the person was.
		if f, arg := e.trigger(norm); f != nil && f.Anywhere && arg != "" && f.ID != st.Flow {
			st.Pending = ""
			st.Stack = append(st.Stack, Frame{Flow: st.Flow, Step: st.Step, Answers: st.Answers, History: st.History})
			return e.begin(ctx, t, f, arg)
		}
	}

	switch st.Pending {
	case pendingLang:
		o, ok := MatchOption(text, e.langQuestion().Options)
		if !ok {
			return []Out{Say(T("core.choice.invalid")), e.langQuestion()}
		}
		st.Pending = ""
		return e.setLang(ctx, t, o.Value)
	case pendingResume:
		return e.resume(ctx, t, text, norm)
	}

	if st.Flow == "" {
		for _, f := range e.flows.Flows() {
			if f.Gate != nil && f.Gate(ctx, t) {
				return e.start(ctx, t, f, "")
			}
		}
	}
	if msg.Command || (msg.Kind == KindText && (st.Flow == "" || e.yields(t))) {
		if f, arg := e.trigger(norm); f != nil && e.startable(ctx, t, f) {
			return e.start(ctx, t, f, arg)
		}
	} else if f := e.leaving(ctx, t, text, norm); f != nil {
		return e.start(ctx, t, f, "")
	}

	if t.Flow == nil {
		return e.idle(ctx, t, text, norm)
	}

	if st.Updated.IsZero() || t.Now.Sub(st.Updated) > e.cfg.ResumeAfter {
		// Back after a while: a valid answer to the question left is taken
		// as it is; anything else hears the resume question.
		if outs, ok := e.answerIfValid(ctx, t, text, norm); ok {
			return outs
		}
		st.Pending = pendingResume
		return []Out{e.resumeQuestion(t)}
	}
	if outs, ok := e.converse(ctx, t, text, norm); ok {
		return outs
	}
	return e.answer(ctx, t, text, norm)
}

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
	if o, ok := MatchOption(text, e.labelled(t.Lang, m.Options)); ok {
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
	if _, ok := YesNo(text); ok { // a stray "ya" or "tidak" at the menu
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
		if _, ok := MatchOption(text, e.labelled(t.Lang, s.Options(ctx, t))); ok {
			return nil
		}
	}
	return f
}

// answerIfValid applies the message to a step that parses its answer when
// the step takes it, and reports false (leaving the state as it was) when
// the step would ask again.
func (e *Engine) answerIfValid(ctx context.Context, t *Turn, text, norm string) ([]Out, bool) {
	s := t.Flow.Step(t.State.Step)
	if s == nil || s.Parse == nil || t.Msg.Kind != KindText || norm == "" {
		return nil, false
	}
	if _, talk := e.converse(ctx, t, text, norm); talk {
		return nil, false // a greeting after a long pause hears the resume question
	}
	saved := *t.State
	saved.Answers = maps.Clone(t.State.Answers)
	saved.History = slices.Clone(t.State.History)
	outs := e.answer(ctx, t, text, norm)
	st := t.State
	if t.err == nil && (st.Flow != saved.Flow || st.Step != saved.Step || len(st.History) != len(saved.History)) {
		return outs, true
	}
	*t.State = saved
	return nil, false
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

// answer applies the message to the current step.
func (e *Engine) answer(ctx context.Context, t *Turn, text, norm string) []Out {
	f := t.Flow
	s := f.Step(t.State.Step)
	if s == nil { // a flow started but not yet at a step: begin it
		return e.advance(ctx, t, f.Steps[0].ID, nil)
	}
	msg := t.Msg
	if !accepts(s, msg.Kind) {
		problem := T("core.wrong_kind")
		if msg.Kind == KindUnsupported || msg.Kind == KindDocument {
			problem = e.unsupported(msg)
		}
		return append([]Out{Say(problem)}, e.prompt(ctx, t, s))
	}
	in := In{Text: text, Norm: norm, Msg: &t.Msg}
	var opts []Option
	matched := true
	if s.Options != nil && msg.Kind == KindText {
		opts = e.labelled(t.Lang, s.Options(ctx, t))
		if s.Multi {
			in.Choices, matched = MatchOptions(text, opts)
		} else {
			var o Option
			if o, matched = MatchOption(text, opts); matched {
				in.Choice = &o
			}
		}
	}
	var res Result
	switch {
	case s.Handle != nil:
		res = s.Handle(ctx, t, in)
	case s.Options != nil && !matched && s.Parse == nil:
		res = Retry(T("core.choice.invalid"))
	default:
		var value string
		var problem Text
		if s.Parse != nil {
			value, problem = s.Parse(ctx, t, in)
		} else if s.Multi {
			vals := make([]string, len(in.Choices))
			for i, c := range in.Choices {
				vals[i] = c.Value
			}
			value = strings.Join(vals, ",")
		} else {
			value = in.Choice.Value
		}
		if !problem.IsZero() {
			res = Retry(problem)
			break
		}
		t.Set(s.ID, value)
		res = Result{Next: s.Next}
		if s.Confirm != nil {
			res.Say = []Out{Say(s.Confirm(t, value))}
		}
		if res.Next == "" {
			res.Next = f.after(s.ID)
		}
	}
	return e.apply(ctx, t, s, res)
}

// labelled fills in the rendered label of options labelled by message id,
// so people can answer with the words they see ("kuliner").
func (e *Engine) labelled(lang string, opts []Option) []Option {
	out := make([]Option, len(opts))
	for i, o := range opts {
		if o.Label.Raw == "" && o.Label.ID != "" {
			o.Label = Raw(e.cat.Render(lang, o.Label))
		}
		out[i] = o
	}
	return out
}

// apply carries out a step's Result.
func (e *Engine) apply(ctx context.Context, t *Turn, s *Step, res Result) []Out {
	outs := append([]Out(nil), res.Say...)
	if res.Call != "" {
		callee := e.flows.Flow(res.Call)
		if callee == nil {
			e.log.Error("flow calls an unknown flow", "flow", t.Flow.ID, "call", res.Call)
			return append(outs, e.again(ctx, t)...)
		}
		st := t.State
		st.Stack = append(st.Stack, Frame{Flow: st.Flow, Step: res.Next, Answers: st.Answers, History: st.History})
		return append(outs, e.begin(ctx, t, callee, res.CallArg)...)
	}
	switch res.Next {
	case Stay:
		if !res.Quiet && s != nil {
			if len(res.Say) > 0 && s.Options != nil {
				// A wrong answer at a list: the reason and one line, not
				// the list again ("pilihan" shows it).
				if n := len(s.Options(ctx, t)); n > 0 {
					line := T("core.reask.choice", "Max", n)
					if last := &outs[len(outs)-1]; len(last.Options) == 0 && last.Ask == "" {
						last.Texts = append(slices.Clip(last.Texts), line)
						return outs
					}
					return append(outs, Say(line))
				}
			}
			outs = append(outs, e.prompt(ctx, t, s))
		}
		return outs
	case Done:
		return e.finish(ctx, t, outs, res.Quiet)
	}
	next := res.Next
	// A step reached from a summary ("ubah 3") returns there once answered;
	// the summary itself, which just asked for the edit, does not.
	if ret := t.Get(returnKey); ret != "" && s != nil && s.ID != ret && next != s.ID {
		t.Del(returnKey)
		next = ret
	}
	if s != nil {
		t.State.History = append(t.State.History, s.ID)
	}
	if res.Quiet {
		t.State.Step = next
		return outs
	}
	return e.advance(ctx, t, next, outs)
}

// advance moves to step id, passing by steps that skip themselves, and asks
// its question.
func (e *Engine) advance(ctx context.Context, t *Turn, id string, outs []Out) []Out {
	for seen := 0; seen <= len(t.Flow.Steps); seen++ {
		if id == Done {
			return e.finish(ctx, t, outs, false)
		}
		s := t.Flow.Step(id)
		if s == nil {
			e.log.Error("flow moves to an unknown step", "flow", t.Flow.ID, "step", id)
			e.clear(t)
			return append(outs, e.menu(ctx, t, T("core.error")))
		}
		if s.Skip != nil && s.Skip(ctx, t) {
			id = s.Next
			if id == "" {
				id = t.Flow.after(s.ID)
			}
			continue
		}
		t.State.Step = id
		return append(outs, e.prompt(ctx, t, s))
	}
	e.log.Error("flow skips in a circle", "flow", t.Flow.ID)
	e.clear(t)
	return append(outs, e.menu(ctx, t, T("core.error")))
}

// finish ends the current flow and returns to the flow that called it, or
// to the main menu.
func (e *Engine) finish(ctx context.Context, t *Turn, outs []Out, quiet bool) []Out {
	st := t.State
	if n := len(st.Stack); n > 0 && !isDraft(st.Stack[n-1]) {
		fr := st.Stack[n-1]
		st.Stack = st.Stack[:n-1]
		if f := e.flows.Flow(fr.Flow); f != nil {
			st.Flow, st.Answers, st.History, st.Step = fr.Flow, fr.Answers, fr.History, ""
			t.Flow = f
			return e.advance(ctx, t, fr.Step, outs)
		}
	}
	e.clear(t)
	if quiet {
		return outs
	}
	return append(outs, e.menu(ctx, t, T("core.menu.next")))
}

// begin enters flow f (keeping the stack).
func (e *Engine) begin(ctx context.Context, t *Turn, f *Flow, arg string) []Out {
	st := t.State
	st.Flow, st.Step, st.Answers, st.History, st.Pending = f.ID, "", nil, nil, ""
	t.Flow = f
	if f.Begin != nil {
		return e.apply(ctx, t, nil, f.Begin(ctx, t, arg))
	}
	return e.advance(ctx, t, f.Steps[0].ID, nil)
}

// start enters flow f afresh, keeping what ran as a draft when it is one
// (Flow.Draft); a draft of f itself is offered to continue.
func (e *Engine) start(ctx context.Context, t *Turn, f *Flow, arg string) []Out {
	var say []Out
	if t.Flow != f {
		if saved := e.park(t); !saved.IsZero() {
			say = append(say, Say(saved))
		}
	}
	t.State.Stack = drafts(t.State.Stack)
	if arg == "" && e.visible(ctx, t, f) {
		if i := slices.IndexFunc(t.State.Stack, func(fr Frame) bool { return fr.Flow == f.ID }); i >= 0 && f.Step(t.State.Stack[i].Step) != nil {
			fr := t.State.Stack[i]
			st := t.State
			st.Stack = slices.Delete(st.Stack, i, i+1)
			delete(fr.Answers, draftKey)
			st.Flow, st.Step, st.Answers, st.History, st.Pending = f.ID, fr.Step, fr.Answers, fr.History, pendingResume
			t.Flow = f
			return append(say, e.resumeQuestion(t))
		}
	}
	return append(say, e.begin(ctx, t, f, arg)...)
}

func (e *Engine) clear(t *Turn) {
	st := t.State
	st.Flow, st.Step, st.Answers, st.History, st.Pending = "", "", nil, nil, ""
	st.Stack = drafts(st.Stack)
	t.Flow = nil
}

// draftKey marks a Frame of State.Stack that is a draft kept aside, not a
// flow waiting for the one running. Drafts sit below the waiting flows.
const draftKey = "_draft"

func isDraft(fr Frame) bool { return fr.Answers[draftKey] != "" }

// drafts returns the drafts of a stack.
func drafts(stack []Frame) []Frame {
	var out []Frame
	for _, fr := range stack {
		if isDraft(fr) {
			out = append(out, fr)
		}
	}
	return out
}

// park keeps the running flow's answers as a draft when it keeps drafts and
// something was answered, and returns the message saying so (zero when
// nothing was kept).
func (e *Engine) park(t *Turn) Text {
	st := t.State
	if t.Flow == nil || !t.Flow.Draft || len(st.History) == 0 || st.Step == "" {
		return Text{}
	}
	answers := maps.Clone(st.Answers)
	if answers == nil {
		answers = map[string]string{}
	}
	answers[draftKey] = "1"
	id := st.Flow
	st.Stack = slices.DeleteFunc(st.Stack, func(fr Frame) bool { return isDraft(fr) && fr.Flow == id })
	st.Stack = append([]Frame{{Flow: id, Step: st.Step, Answers: answers, History: st.History}}, st.Stack...)
	word := id
	if len(t.Flow.Triggers) > 0 {
		word = t.Flow.Triggers[0]
	}
	return T("core.draft.saved", "Flow", e.cat.Render(t.Lang, T(t.Flow.Title)), "Word", word)
}

// back returns to the previous question of the flow.
func (e *Engine) back(ctx context.Context, t *Turn) []Out {
	st := t.State
	st.Pending = ""
	if t.Flow == nil {
		return []Out{e.menu(ctx, t, T("core.menu.title"))}
	}
	if n := len(st.History); n > 0 {
		prev := st.History[n-1]
		st.History = st.History[:n-1]
		if s := t.Flow.Step(prev); s != nil {
			st.Step = prev
			return []Out{e.prompt(ctx, t, s)}
		}
	}
	return append([]Out{Say(T("core.back.first"))}, e.again(ctx, t)...)
}

// help explains the global words and the current question.
func (e *Engine) help(ctx context.Context, t *Turn) []Out {
	if t.Flow == nil || t.State.Pending != "" {
		return []Out{e.menu(ctx, t, T("core.help.menu"))}
	}
	texts := []Text{}
	if s := t.Flow.Step(t.State.Step); s != nil && s.Help != "" {
		texts = append(texts, T(s.Help))
	}
	texts = append(texts, T("core.help.flow"))
	return append([]Out{Say(texts...)}, e.again(ctx, t)...)
}

// stepHelp is the help of step s: its own text, else the general one.
func (e *Engine) stepHelp(s *Step) Text {
	if s.Help != "" {
		return T(s.Help)
	}
	return T("core.help.flow")
}

// again repeats the current question (or the menu).
func (e *Engine) again(ctx context.Context, t *Turn) []Out {
	switch t.State.Pending {
	case pendingLang:
		return []Out{e.langQuestion()}
	case pendingResume:
		return []Out{e.resumeQuestion(t)}
	}
	if t.Flow != nil {
		if s := t.Flow.Step(t.State.Step); s != nil {
			return []Out{e.prompt(ctx, t, s)}
		}
	}
	return []Out{e.menu(ctx, t, T("core.menu.title"))}
}

// prompt asks step s's question.
func (e *Engine) prompt(ctx context.Context, t *Turn, s *Step) Out {
	var data map[string]any
	if s.Data != nil {
		data = s.Data(ctx, t)
	}
	o := Out{Texts: []Text{{ID: s.Prompt, Data: data}}, Ask: s.Ask}
	if s.Options != nil {
		o.Options = s.Options(ctx, t)
	}
	return o
}

// menu lists the flows this person may start.
func (e *Engine) menu(ctx context.Context, t *Turn, title Text) Out {
	o := Out{Texts: []Text{title}}
	n := 0
	for _, f := range e.flows.Flows() {
		if f.Menu == 0 || !e.visible(ctx, t, f) {
			continue
		}
		n++
		o.Options = append(o.Options, Option{Key: fmt.Sprint(n), Value: f.ID, Label: T(f.Title), Alias: f.Triggers})
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
	return f.Visible == nil || f.Visible(ctx, t)
}

// trigger finds the flow a word starts: "daftar", "pelatihan 12".
func (e *Engine) trigger(norm string) (*Flow, string) {
	norm = strings.TrimPrefix(norm, "/")
	for _, f := range e.flows.Flows() {
		for _, w := range f.Triggers {
			if norm == w {
				return f, ""
			}
			if rest, ok := strings.CutPrefix(norm, w+" "); ok {
				return f, strings.TrimSpace(rest)
			}
		}
	}
	return nil, ""
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

func (e *Engine) resumeQuestion(t *Turn) Out {
	n, total := t.Flow.progress(t.State.Step)
	id := "core.resume.question"
	if n == 0 {
		id = "core.resume.question_nostep"
	}
	return Out{
		Texts: []Text{T(id, "Flow", e.cat.Render(t.Lang, T(t.Flow.Title)), "Step", n, "Total", total)},
		Options: []Option{
			{Key: "1", Value: "continue", Label: T("core.resume.continue"),
				Alias: append([]string{"lanjut", "lanjutkan", "continue", "ya", "iya", "yes", "terus", "teruskan"}, t.Flow.Triggers...)},
			{Key: "2", Value: "restart", Label: T("core.resume.restart"), Alias: []string{"ulang", "mulai ulang", "restart", "dari awal"}},
		},
	}
}

// resume takes the answer to the resume question; anything else that is
// not small talk is taken as the answer to the question the person left.
func (e *Engine) resume(ctx context.Context, t *Turn, text, norm string) []Out {
	q := e.resumeQuestion(t)
	o, ok := MatchOption(text, e.labelled(t.Lang, q.Options))
	if !ok {
		if yes, ok2 := YesNo(text); ok2 && yes {
			o, ok = q.Options[0], true
		}
	}
	if !ok {
		t.State.Pending = ""
		if outs, talked := e.converse(ctx, t, text, norm); talked {
			return outs
		}
		if t.Msg.Kind != KindText || norm == "" {
			return e.again(ctx, t)
		}
		return e.answer(ctx, t, text, norm)
	}
	t.State.Pending = ""
	if o.Value == "restart" {
		return e.start(ctx, t, t.Flow, "")
	}
	return e.again(ctx, t)
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

func accepts(s *Step, k Kind) bool {
	if len(s.Accept) == 0 {
		return k == KindText
	}
	for _, a := range s.Accept {
		if a == k {
			return true
		}
	}
	return false
}

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
			opts := e.labelled(t.Lang, s.Options(ctx, t))
			if _, ok := MatchOption(text, opts); ok {
				return nil, false
			}
			if _, ok := MatchOptions(text, opts); ok && s.Multi {
				return nil, false
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
	return nil, false
}

// talkData fills in FAQ answers; Text values (the Dinas contact block) are
// rendered in the person's language first.
func (e *Engine) talkData(ctx context.Context, t *Turn) map[string]any {
	if k := e.flows.talk; k != nil && k.Data != nil {
		data := k.Data(ctx, t)
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
