package bot

import (
	"context"
	"time"
)

// StepID names a step of a flow. Besides the flow's own steps, a Result
// may name Stay and Done, which are no step: the registry refuses a step
// with either id (or any control character), and neither is ever the
// current step of a state.
type StepID string

const (
	// Stay asks the current question again (after Result.Say). It is the
	// zero StepID, so a Result that names no step stays.
	Stay StepID = ""
	// Done ends the flow: the calling flow resumes, else the main menu.
	// A flow waiting for another (Result.Call) may wait to resume at Done,
	// so this value is saved in states: it must not change.
	Done StepID = "\x00end"
)

// Flow is one conversation, declared as data: an id, the words that start
// it, its place in the main menu and its steps, each naming the steps it
// may go to. Every hook (Visible, Begin, Data, Options, Skip, Parse,
// Handle, …) returns an error for what it could not do (a store down): the
// turn fails, nothing of it is saved, and the dispatcher tells the person
// and runs the message again.
type Flow struct {
	ID       string
	Title    string   // message id of its main-menu label
	Triggers []string // words that start it when no flow runs, or as a command at any time
	Menu     int      // position in the main menu; 0 keeps it out of the menu
	// Visible says whether the flow is offered to this person now (admins
	// only, registered owners only). nil means always.
	Visible func(ctx context.Context, t *Turn) (bool, error)
	// Begin, if set, runs when the flow starts, with the deep-link or
	// command argument ("pelatihan 12" → "12"). It may go to the first
	// step or one of Entries.
	Begin func(ctx context.Context, t *Turn, arg string) (Result, error)
	// Intent, if set, is asked about free text that no trigger or menu
	// choice matched while no flow runs ("jam buka galeri menong?"): ok
	// starts the flow with arg passed to Begin. Flows are asked in menu
	// order; keep intents to a few clear keywords.
	Intent func(norm string) (arg string, ok bool)
	// Draft keeps the answers typed so far when the person leaves the flow
	// for the menu or another flow; starting the flow again offers to
	// continue them.
	Draft bool
	// Anywhere lets a trigger with its argument ("hadir K7M3QX") start the
	// flow in the middle of another one, which continues when it is done.
	Anywhere bool
	// Interrupt lets the flow's trigger word alone start it in the middle
	// of another flow, as main-menu flows do (the draft is kept): the
	// hand-over ("petugas"), "data saya", "hapus data".
	Interrupt bool
	// Quiet flows take every message at their step: only menu and batal
	// reach the engine, which calls Leave (if set) and shows the menu.
	Quiet bool
	Leave func(ctx context.Context, t *Turn) ([]Out, error)
	// Gate, if set, is asked on each message while no flow runs: true
	// starts this flow before anything else (consent asked again after
	// the consent text changed).
	Gate  func(ctx context.Context, t *Turn) (bool, error)
	Steps []*Step // the first is where the flow starts
	// Version is the schema of the flow's answers and steps, saved in the
	// state when the flow starts. Raise it when a change makes the answers
	// of a conversation under way read wrong (a new list encoding, a
	// removed step); a state of an older version is then upgraded by
	// Migrate, or, without Migrate or when it fails, the flow starts again
	// with a polite word (core.flow_changed).
	Version int
	Migrate Migrate
	// Entries are the steps besides the first that Begin may go to.
	Entries []StepID
	// Calls are the flows Begin may start (Result.Call), as Step.Calls.
	Calls []string
}

// Step is one question of a flow.
type Step struct {
	ID     StepID
	Prompt string // message id of the question
	// Data fills the Prompt's template; Options lists numbered choices.
	// The engine only reads the options, so a list that does not change
	// may be built once and returned every time.
	Data    func(ctx context.Context, t *Turn) (map[string]any, error)
	Options func(ctx context.Context, t *Turn) ([]Option, error)
	Multi   bool   // several options may be picked at once ("1,3")
	Ask     Ask    // channel affordance for the answer
	Help    string // message id for "bantuan" at this step (optional)
	Accept  []Kind // message kinds the step takes; default text only
	// Numbered steps count in "langkah 5 dari 13"; the rest (consent,
	// summary) do not.
	Numbered bool
	// Yield marks a menu-like step ("anything else about the galeri?"):
	// there, a trigger word of any flow ("produk saya") starts that flow
	// as it would with no flow running.
	Yield bool
	// Optional marks a step that offers skipping: "lewati", "skip" are
	// answers there, not words the conversation layer explains.
	Optional bool
	// Verbatim marks a step whose answer is prose taken as written (a
	// broadcast text): greetings, questions and FAQ words in it are left
	// to the step.
	Verbatim bool

	// Skip, if it returns true, passes this step by (a phone number the
	// channel already knows).
	Skip func(ctx context.Context, t *Turn) (bool, error)

	// The declarative way: Parse validates and normalises the answer; the
	// value is stored under Answers[ID] and the flow goes on to Next (or the
	// following step). A non-zero problem re-asks with that reason.
	Parse func(ctx context.Context, t *Turn, in In) (value string, problem Text, err error)
	Next  StepID
	// Confirm, if set, is said after a valid answer (a NIK shown back
	// masked); a zero Text says nothing.
	Confirm func(t *Turn, value string) Text

	// The general way: Handle decides everything in place of Parse; it
	// may go to Next (when set) or one of Targets.
	Handle func(ctx context.Context, t *Turn, in In) (Result, error)
	// Targets are the steps Handle may go to (besides Stay and Done). The
	// registry checks that each exists and that every step is reachable;
	// the engine refuses a Result naming a step not declared here.
	Targets []StepID
	// Calls are the flows Handle may start (Result.Call). The registry
	// refuses a flow not registered; the engine refuses a call not
	// declared here.
	Calls []string
}

// In is the user's answer as a step sees it.
type In struct {
	Text    string   // trimmed text
	Norm    string   // Normalize(Text)
	Choice  *Option  // the option picked, when the step has options and one matched
	Choices []Option // the options picked, for Multi steps
	Msg     *Message // everything else (location, media, contact)
}

// Result is what a step decided.
type Result struct {
	Say  []Out  // sent before the next question
	Next StepID // a step of Step.Targets, Stay or Done
	// Quiet suppresses the next question's prompt (Say already asks it) or,
	// with Done, the main menu.
	Quiet bool
	// Call starts another flow (one of Step.Calls); when it is done, this
	// flow resumes at Next.
	Call    string
	CallArg string
}

// Goto moves to step id after saying texts.
func Goto(id StepID, say ...Out) Result { return Result{Say: say, Next: id} }

// Retry asks the current question again after explaining why.
func Retry(problem ...Text) Result { return Result{Say: []Out{Say(problem...)}, Next: Stay} }

// Finish ends the flow after saying texts; the main menu follows.
func Finish(say ...Out) Result { return Result{Say: say, Next: Done} }

// Turn is the context a step runs in: who, what they sent, their state.
type Turn struct {
	Conv    Conversation
	Msg     Message
	Lang    string
	Now     time.Time
	Profile Profile
	State   *State
	Flow    *Flow

	err     error
	cache   map[string]any
	misses  int      // messages in a row not understood before this one
	missed  []string // and their texts, masked
	expired *Flow    // the flow whose unfinished answers expired with the state, not yet told
	draft   *string  // Profile.Draft changed to this by the turn (markDraft); nil: unchanged

	// The labelled options of step optsOf in optsLang (Engine.stepOptions),
	// kept while the turn only reads the message: leaving, converse and
	// answer each look at them before anything changes.
	optsOf   *Step
	optsLang string
	opts     []Option
	// and the option the message picks from them (Engine.stepChoice)
	choiceSet  bool
	choiceNorm string
	choice     int // index in opts
	chosen     bool
}

// Cached returns the value load gives for key, loading it once per turn:
// several flows asking "is this person registered?" to build one menu make
// one round trip to Redis, not one each. An error is not cached.
func (t *Turn) Cached(key string, load func() (any, error)) (any, error) {
	if v, ok := t.cache[key]; ok {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return nil, err
	}
	t.Remember(key, v)
	return v, nil
}

// Forget drops a cached value after the turn changed what it reflects.
func (t *Turn) Forget(key string) { delete(t.cache, key) }

// Remember caches v under key for the rest of the turn, as Cached would
// have loaded it: a step that has just written what later hooks read (a
// registration it made) saves them loading it back.
func (t *Turn) Remember(key string, v any) {
	if t.cache == nil {
		t.cache = map[string]any{}
	}
	t.cache[key] = v
}

// fail records the first error a hook returned: the engine does not save
// the state, and the dispatcher tells the person and retries. It reports
// whether err was one.
func (t *Turn) fail(err error) bool {
	if err != nil && t.err == nil {
		t.err = err
	}
	return err != nil
}

// Editing reports whether the current question was reached from a summary
// ("ubah 3") and will return there.
func (t *Turn) Editing() bool { return t.Get(returnKey) != "" }

// Get returns an answer of the current flow.
func (t *Turn) Get(key string) string { return t.State.Answers[key] }

// Set stores an answer of the current flow.
func (t *Turn) Set(key, value string) {
	if t.State.Answers == nil {
		t.State.Answers = map[string]string{}
	}
	t.State.Answers[key] = value
}

// Del forgets an answer.
func (t *Turn) Del(key string) { delete(t.State.Answers, key) }

// EndEdit forgets the summary an edit would return to and returns its id
// ("" when not editing), so a step can ask further questions first (a new
// kecamatan asks its desa) and return there itself.
func (t *Turn) EndEdit() StepID {
	ret := StepID(t.Get(returnKey))
	t.Del(returnKey)
	return ret
}

// ReturnTo makes the next completed step continue at step id instead of its
// own Next: a summary's "ubah 3" edits one answer and comes back.
func (t *Turn) ReturnTo(id StepID) { t.Set(returnKey, string(id)) }

const returnKey = "_return"

// Step returns the step with id, or nil.
func (f *Flow) Step(id StepID) *Step {
	for _, s := range f.Steps {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// after returns the step that follows s in declaration order, or Done.
func (f *Flow) after(id StepID) StepID {
	for i, s := range f.Steps {
		if s.ID == id && i+1 < len(f.Steps) {
			return f.Steps[i+1].ID
		}
	}
	return Done
}

// progress returns the 1-based number of step id among the numbered steps
// and how many there are; n is 0 for an unnumbered step.
func (f *Flow) progress(id StepID) (n, total int) {
	for _, s := range f.Steps {
		if !s.Numbered {
			continue
		}
		total++
		if s.ID == id {
			n = total
		}
	}
	return n, total
}

// Missed returns the messages the bot did not understand just before this
// one (numbers masked), for a hand-over to an officer.
func (t *Turn) Missed() []string { return t.missed }
