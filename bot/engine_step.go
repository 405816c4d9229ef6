package bot

// Moving through a flow: answering a step, applying its Result, asking the next question, going back.

import (
	"context"
	"maps"
	"slices"
)

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
		opts = e.stepOptions(ctx, t, s)
		if s.Multi {
			in.Choices, matched = MatchOptions(text, opts)
		} else {
			var o Option
			if o, matched = e.stepChoice(ctx, t, s, norm); matched {
				in.Choice = &o
			}
		}
	}
	t.optsOf = nil // the step's hooks may change what its options are
	var res Result
	switch {
	case s.Handle != nil:
		var err error
		if res, err = s.Handle(ctx, t, in); t.fail(err) {
			return nil
		}
		if !s.allows(res.Next) {
			return e.undeclared(ctx, t, s.ID, res.Next)
		}
		if res.Call != "" && !slices.Contains(s.Calls, res.Call) {
			return e.undeclared(ctx, t, s.ID, StepID("call "+res.Call))
		}
	case s.Options != nil && !matched && s.Parse == nil:
		res = Retry(T("core.choice.invalid"))
	default:
		var value string
		var problem Text
		if s.Parse != nil {
			var err error
			if value, problem, err = s.Parse(ctx, t, in); t.fail(err) {
				return nil
			}
		} else if s.Multi {
			vals := make([]string, len(in.Choices))
			for i, c := range in.Choices {
				vals[i] = c.Value
			}
			value = ListValue(vals)
		} else {
			value = in.Choice.Value
		}
		if !problem.IsZero() {
			res = Retry(problem)
			break
		}
		t.Set(string(s.ID), value)
		res = Result{Next: s.Next}
		if s.Confirm != nil {
			if c := s.Confirm(t, value); !c.IsZero() { // zero: nothing to confirm this time
				res.Say = []Out{Say(c)}
			}
		}
		if res.Next == "" {
			res.Next = f.after(s.ID)
		}
	}
	return e.apply(ctx, t, s, res)
}

// stepOptions is labelled(options of s), once while the turn only reads:
// answer forgets it before running the step's hooks.
func (e *Engine) stepOptions(ctx context.Context, t *Turn, s *Step) []Option {
	if t.optsOf == s && t.optsLang == t.Lang {
		return t.opts
	}
	opts := e.stepLabelled(t.Lang, s, e.options(ctx, t, s))
	t.optsOf, t.optsLang, t.opts, t.choiceSet = s, t.Lang, opts, false
	return opts
}

// stepLabelled is labelled(lang, opts) for the options of step s, kept
// for the next turn while s gives the very same options: most steps'
// options are built once (the sectors, the brackets, the marketplaces),
// and a copy of them with their labels rendered was the largest
// allocation of their turns (a sixth of a registration's bytes,
// BenchmarkEngineDaftar). A step that builds its options anew each time
// is marked so once and not kept. What is kept is shared: read only.
func (e *Engine) stepLabelled(lang string, s *Step, opts []Option) []Option {
	if len(opts) == 0 {
		return opts
	}
	key := labelsKey{s, lang}
	var kept *keptLabels
	if v, ok := e.labels.Load(key); ok {
		kept = v.(*keptLabels)
		if kept.fresh {
			return e.labelled(lang, opts)
		}
		if &kept.of[0] == &opts[0] && len(kept.of) == len(opts) {
			return kept.labelled
		}
	}
	out := e.labelled(lang, opts)
	switch {
	case &out[0] == &opts[0]: // labelled made no copy: nothing to keep
	case kept != nil: // other options than last time: built anew each time
		e.labels.Store(key, &keptLabels{fresh: true})
	default:
		e.labels.Store(key, &keptLabels{of: opts, labelled: out})
	}
	return out
}

// labelsKey names the labelled options of a step in a language.
type labelsKey struct {
	step *Step
	lang string
}

// keptLabels are the options a step gave (of, kept so that their array
// stays theirs) with their labels rendered; fresh marks a step whose
// options are new each time.
type keptLabels struct {
	of, labelled []Option
	fresh        bool
}

// stepChoice is MatchOption(norm, stepOptions(s)), matched once with them.
func (e *Engine) stepChoice(ctx context.Context, t *Turn, s *Step, norm string) (Option, bool) {
	opts := e.stepOptions(ctx, t, s)
	if !t.choiceSet || t.choiceNorm != norm {
		t.choice, t.chosen = matchOption(norm, opts)
		t.choiceNorm, t.choiceSet = norm, true
	}
	if !t.chosen {
		return Option{}, false
	}
	return opts[t.choice], true
}

// labelled fills in the rendered label of options labelled by message id,
// so people can answer with the words they see ("kuliner").
// Options whose labels are all raw already (kecamatan, desa) come back as
// they are, not copied.
func (e *Engine) labelled(lang string, opts []Option) []Option {
	i := slices.IndexFunc(opts, func(o Option) bool { return o.Label.Raw == "" && o.Label.ID != "" })
	if i < 0 {
		return opts
	}
	out := slices.Clone(opts)
	for ; i < len(out); i++ {
		if o := &out[i]; o.Label.Raw == "" && o.Label.ID != "" {
			o.Label = Raw(e.cat.Render(lang, o.Label))
		}
	}
	return out
}

// apply carries out a step's Result.
func (e *Engine) apply(ctx context.Context, t *Turn, s *Step, res Result) []Out {
	t.optsOf = nil
	outs := append([]Out(nil), res.Say...)
	if res.Call != "" {
		callee := e.flows.Flow(res.Call)
		if callee == nil {
			e.log.Error("flow calls an unknown flow", "flow", t.Flow.ID, "call", res.Call)
			return append(outs, e.again(ctx, t)...)
		}
		st := t.State
		st.Stack = append(st.Stack, Frame{Flow: st.Flow, Version: st.FlowVer, Step: res.Next, Answers: st.Answers, History: st.History})
		return append(outs, e.begin(ctx, t, callee, res.CallArg)...)
	}
	switch res.Next {
	case Stay:
		if !res.Quiet && s != nil {
			if len(res.Say) > 0 && s.Options != nil {
				// A wrong answer at a list: the reason and one line, not
				// the list again ("pilihan" shows it).
				if n := len(e.options(ctx, t, s)); n > 0 {
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
	if ret := StepID(t.Get(returnKey)); ret != "" && s != nil && s.ID != ret && next != s.ID {
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
func (e *Engine) advance(ctx context.Context, t *Turn, id StepID, outs []Out) []Out {
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
		if e.skips(ctx, t, s) {
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
			st.Flow, st.FlowVer, st.Answers, st.History, st.Step = fr.Flow, fr.Version, fr.Answers, fr.History, ""
			t.Flow = f
			if up, restarted := e.upgrade(ctx, t); restarted {
				return append(outs, up...)
			}
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
	t.optsOf = nil
	st := t.State
	st.Flow, st.FlowVer, st.Step, st.Answers, st.History, st.Pending = f.ID, f.Version, "", nil, nil, ""
	t.Flow = f
	if f.Begin != nil {
		res, err := f.Begin(ctx, t, arg)
		if t.fail(err) {
			return nil
		}
		if res.Next != Stay && res.Next != Done && res.Next != f.Steps[0].ID && !slices.Contains(f.Entries, res.Next) {
			return e.undeclared(ctx, t, "", res.Next)
		}
		if res.Call != "" && !slices.Contains(f.Calls, res.Call) {
			return e.undeclared(ctx, t, "", StepID("call "+res.Call))
		}
		return e.apply(ctx, t, nil, res)
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
			st.Flow, st.FlowVer, st.Step, st.Answers, st.History, st.Pending = f.ID, fr.Version, fr.Step, fr.Answers, fr.History, pendingResume
			t.Flow = f
			if up, restarted := e.upgrade(ctx, t); restarted {
				return append(say, up...)
			}
			return append(say, e.resumeQuestion(t))
		}
	}
	return append(say, e.begin(ctx, t, f, arg)...)
}

func (e *Engine) clear(t *Turn) {
	t.optsOf = nil
	st := t.State
	st.Flow, st.FlowVer, st.Step, st.Answers, st.History, st.Pending = "", 0, "", nil, nil, ""
	st.Stack = drafts(st.Stack)
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
		var err error
		if data, err = s.Data(ctx, t); t.fail(err) {
			return Out{}
		}
	}
	o := Out{Texts: []Text{{ID: s.Prompt, Data: data}}, Ask: s.Ask}
	if s.Options != nil {
		o.Options = e.options(ctx, t, s)
	}
	return o
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

// The hooks of a flow, called so that an error they return fails the turn
// (Turn.fail): the state is not saved and the person hears the fault reply.

func (e *Engine) options(ctx context.Context, t *Turn, s *Step) []Option {
	if s.Options == nil {
		return nil
	}
	opts, err := s.Options(ctx, t)
	if t.fail(err) {
		return nil
	}
	return opts
}

func (e *Engine) skips(ctx context.Context, t *Turn, s *Step) bool {
	if s.Skip == nil {
		return false
	}
	skip, err := s.Skip(ctx, t)
	return !t.fail(err) && skip
}

// undeclared refuses a move to a step the step (or Begin) did not declare
// in Step.Targets (Flow.Entries): a programming error the registry cannot
// see, met as an unknown step is.
func (e *Engine) undeclared(ctx context.Context, t *Turn, from, to StepID) []Out {
	e.log.Error("flow moves to a step it did not declare", "flow", t.Flow.ID, "step", from, "to", to)
	e.clear(t)
	return []Out{e.menu(ctx, t, T("core.error"))}
}
