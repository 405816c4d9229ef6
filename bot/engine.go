package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
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
	triggers map[string][]triggerWord // the flows' trigger words by their first word (Engine.trigger)
	labels   sync.Map                 // labelsKey → *keptLabels (Engine.stepLabelled)
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
	e := &Engine{cfg: cfg, flows: flows, states: states, profiles: profiles, cat: cat, log: log}
	if flows != nil {
		e.triggers = indexTriggers(flows.Flows())
	}
	return e
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
		fields := [][2]string{{FieldPhone, res.Phone}, {FieldLang, res.Lang}}
		if res.Draft != nil {
			fields = append(fields, [2]string{FieldDraft, *res.Draft})
		}
		for _, f := range fields {
			if f[1] == "" && f[0] != FieldDraft {
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
	// The turn, its state and room for its replies in one allocation: all
	// outlive this frame (the flows' hooks keep *Turn and *State as they
	// please; the replies are the result). Most turns say one thing or
	// two; the replies' own allocation was one in fifteen of a turn's
	// (BenchmarkEngineDaftar).
	ts := &struct {
		t       Turn
		st      State
		replies [2]Reply
	}{st: l.State}
	st := &ts.st
	ts.t = Turn{Conv: msg.Conv, Msg: msg, Lang: lang, Now: e.cfg.Now(), Profile: prof, State: st}
	t := &ts.t
	outs := e.runKeepingDrafts(ctx, t) // engine_resume.go
	if t.err != nil {
		return TurnResult{}, fmt.Errorf("turn of %s: %w", msg.Conv.Channel, t.err)
	}
	res.Replies = ts.replies[:0]
	if len(outs) > len(ts.replies) {
		res.Replies = make([]Reply, 0, len(outs))
	}
	for _, o := range outs {
		res.Replies = append(res.Replies, e.cat.Out(t.Lang, o))
	}
	st.LastMsg, st.Updated = msg.ID, t.Now
	res.State, res.Draft = *st, t.draft
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
		changed := t.Flow != nil && st.FlowVer != t.Flow.Version // upgrade below
		if t.Flow == nil || (!changed && st.Step != "" && t.Flow.Step(st.Step) == nil) {
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
	// Readers that normalize what they read (MatchOption, YesNo) are given
	// norm below, not text: Normalize is idempotent, and normalizing the
	// same message again in each of them cost more than the rest of them.
	norm := Normalize(text)

	if outs, restarted := e.upgrade(ctx, t); restarted {
		return outs
	}
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
			st.Stack = append(st.Stack, Frame{Flow: st.Flow, Version: st.FlowVer, Step: st.Step, Answers: st.Answers, History: st.History})
			return e.begin(ctx, t, f, arg)
		}
	}

	switch st.Pending {
	case pendingLang:
		o, ok := MatchOption(norm, e.langQuestion().Options)
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
			if f.Gate == nil {
				continue
			}
			if gate, err := f.Gate(ctx, t); t.fail(err) {
				return nil
			} else if gate {
				return e.start(ctx, t, f, "")
			}
		}
	}
	if msg.Command || (msg.Kind == KindText && (st.Flow == "" || e.yields(t))) {
		if f, arg := e.trigger(norm); f != nil && !e.faqFirst(t, f, arg, text, norm) && e.startable(ctx, t, f) {
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
