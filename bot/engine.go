package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
)

var globals = map[string]global{
	"menu": gMenu, "/menu": gMenu, "/start": gMenu, "menu utama": gMenu, "main menu": gMenu, "home": gMenu,
	"batal": gCancel, "/batal": gCancel, "cancel": gCancel, "/cancel": gCancel, "keluar": gCancel,
	"kembali": gBack, "/kembali": gBack, "back": gBack, "/back": gBack, "balik": gBack,
	"bantuan": gHelp, "/bantuan": gHelp, "help": gHelp, "/help": gHelp, "tolong": gHelp, "?": gHelp,
	"gmn": gHelp, "gimana": gHelp, "bagaimana": gHelp, "caranya": gHelp, "bingung": gHelp,
	"bahasa": gLang, "/bahasa": gLang, "language": gLang, "/language": gLang,
}

var greetings = map[string]bool{
	"halo": true, "hallo": true, "hai": true, "hi": true, "hello": true, "p": true, "ping": true, "tes": true, "test": true,
	"assalamualaikum": true, "assalamu'alaikum": true, "asalamualaikum": true, "salam": true, "permisi": true,
	"pagi": true, "selamat pagi": true, "siang": true, "selamat siang": true, "sore": true, "selamat sore": true,
	"malam": true, "selamat malam": true, "punten": true, "sampurasun": true, "start": true, "mulai": true,
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
	text := strings.TrimSpace(msg.Text)
	norm := Normalize(text)

	if utf8.RuneCountInString(text) > e.cfg.MaxText {
		return append([]Out{Say(T("core.too_long", "Max", e.cfg.MaxText))}, e.again(ctx, t)...)
	}
	if msg.StartArg != "" {
		if f, arg := e.deepLink(msg.StartArg); f != nil && e.startable(ctx, t, f) {
			return e.start(ctx, t, f, arg)
		}
	}
	if msg.Kind == KindText {
		switch globals[norm] {
		case gMenu:
			e.clear(t)
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
		}
		switch norm {
		case "english", "inggris", "bahasa inggris":
			return e.setLang(ctx, t, "en")
		case "indonesia", "bahasa indonesia", "indonesian":
			return e.setLang(ctx, t, "id")
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
		return e.resume(ctx, t, text)
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
	}

	if t.Flow == nil {
		return e.idle(ctx, t, text, norm)
	}

	if st.Updated.IsZero() || t.Now.Sub(st.Updated) > e.cfg.ResumeAfter {
		st.Pending = pendingResume
		return []Out{e.resumeQuestion(t)}
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
	if o, ok := MatchOption(text, e.labelled(t.Lang, m.Options)); ok {
		return e.start(ctx, t, e.flows.Flow(o.Value), "")
	}
	if greetings[norm] || norm == "" {
		m.Texts = []Text{T("core.welcome")}
		return []Out{m}
	}
	if f != nil {
		return e.start(ctx, t, f, arg)
	}
	m.Texts = []Text{T("core.unknown")}
	return []Out{m}
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
	if n := len(st.Stack); n > 0 {
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

// start enters flow f afresh, abandoning whatever ran.
func (e *Engine) start(ctx context.Context, t *Turn, f *Flow, arg string) []Out {
	t.State.Stack = nil
	return e.begin(ctx, t, f, arg)
}

func (e *Engine) clear(t *Turn) {
	st := t.State
	st.Flow, st.Step, st.Answers, st.History, st.Stack, st.Pending = "", "", nil, nil, nil, ""
	t.Flow = nil
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
			{Key: "1", Value: "continue", Label: T("core.resume.continue"), Alias: []string{"lanjut", "lanjutkan", "continue", "ya"}},
			{Key: "2", Value: "restart", Label: T("core.resume.restart"), Alias: []string{"ulang", "mulai ulang", "restart", "dari awal"}},
		},
	}
}

func (e *Engine) resume(ctx context.Context, t *Turn, text string) []Out {
	q := e.resumeQuestion(t)
	o, ok := MatchOption(text, e.labelled(t.Lang, q.Options))
	if !ok {
		if yes, ok2 := YesNo(text); ok2 && yes {
			o, ok = q.Options[0], true
		}
	}
	if !ok {
		return []Out{Say(T("core.choice.invalid")), q}
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
