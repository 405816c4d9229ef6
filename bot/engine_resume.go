package bot

// Drafts kept aside and the question to continue a half-done flow.

import (
	"context"
	"maps"
	"slices"
)

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
	st.Stack = append([]Frame{{Flow: id, Version: st.FlowVer, Step: st.Step, Answers: answers, History: st.History}}, st.Stack...)
	word := id
	if len(t.Flow.Triggers) > 0 {
		word = t.Flow.Triggers[0]
	}
	return T("core.draft.saved", "Flow", e.cat.Render(t.Lang, T(t.Flow.Title)), "Word", word)
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
	o, ok := MatchOption(norm, e.labelled(t.Lang, q.Options))
	if !ok {
		if yes, ok2 := YesNo(norm); ok2 && yes {
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

// upgrade brings the answers of a state written by another version of the
// running flow (State.FlowVer) to the flow's Version with its Migrate.
// When there is none, it fails, or the step the person was at is gone,
// the flow starts again, and the person hears that its questions changed
// and that they are at its first question now: restarted is true and outs
// is what to say. Drafts and waiting flows meet this when they resume.
func (e *Engine) upgrade(ctx context.Context, t *Turn) (outs []Out, restarted bool) {
	st, f := t.State, t.Flow
	if f == nil || st.FlowVer == f.Version {
		return nil, false
	}
	if f.Migrate != nil {
		answers := maps.Clone(st.Answers)
		if answers == nil {
			answers = map[string]string{}
		}
		err := f.Migrate(st.FlowVer, answers)
		if err == nil && (st.Step == "" || f.Step(st.Step) != nil) {
			e.log.Debug("answers migrated", "flow", f.ID, "from", st.FlowVer, "to", f.Version)
			st.Answers, st.FlowVer = answers, f.Version
			return nil, false
		}
		e.log.Warn("answers of an older flow version not migrated", "flow", f.ID, "from", st.FlowVer, "to", f.Version, "step", st.Step, "err", err)
	}
	e.log.Info("flow changed since the conversation began, starting it again", "flow", f.ID, "from", st.FlowVer, "to", f.Version)
	say := Say(T("core.flow_changed", "Flow", e.cat.Render(t.Lang, T(f.Title))))
	return append([]Out{say}, e.begin(ctx, t, f, "")...), true
}

// runKeepingDrafts runs the turn between two looks at the person's
// unfinished answers. Before: when the state expired (STATE_TTL) while the
// profile says it held unfinished answers (Profile.Draft), the person is
// told that they expired and what to type, instead of "belum mengerti"
// for an answer sent as if the question were still open. After: the
// profile's marker follows the state when it changed (a first answer, an
// ending, a cancel), which is a write only on those turns.
func (e *Engine) runKeepingDrafts(ctx context.Context, t *Turn) []Out {
	if id := t.Profile.Draft; id != "" && t.State.Updated.IsZero() && t.State.Flow == "" && len(t.State.Stack) == 0 {
		t.expired = e.flows.Flow(id)
	}
	outs := e.run(ctx, t)
	if t.err != nil {
		return outs
	}
	if t.expired != nil { // not told by idle: before whatever was answered
		outs = append([]Out{Say(e.expiredNotice(t))}, outs...)
	}
	e.markDraft(ctx, t)
	return outs
}

// expiredNotice tells that t.expired's answers expired: with what to type,
// or, when this very turn starts that flow again, that it starts afresh.
func (e *Engine) expiredNotice(t *Turn) Text {
	f := t.expired
	t.expired = nil
	word := f.ID
	if len(f.Triggers) > 0 {
		word = f.Triggers[0]
	}
	id := "core.draft.expired"
	if t.State.Flow == f.ID {
		id = "core.draft.expired_restart"
	}
	return T(id, "Flow", e.cat.Render(t.Lang, T(f.Title)), "Word", word)
}

// unfinished is the flow whose answers st holds unfinished: the running
// flow when it keeps drafts and something was answered, else the first
// draft kept aside; "" when none.
func (e *Engine) unfinished(st *State) string {
	if st.Flow != "" && len(st.History) > 0 {
		if f := e.flows.Flow(st.Flow); f != nil && f.Draft {
			return st.Flow
		}
	}
	for _, fr := range st.Stack {
		if isDraft(fr) {
			return fr.Flow
		}
	}
	return ""
}

// markDraft brings Profile.Draft in line with the state the turn leaves:
// the change rides in the turn's result and is written with the state, in
// the same commit (no round trip of its own).
func (e *Engine) markDraft(_ context.Context, t *Turn) {
	if want := e.unfinished(t.State); want != t.Profile.Draft {
		t.Profile.Draft = want
		t.draft = new(string) // not &want: that moves want to the heap on every turn
		*t.draft = want
	}
}
