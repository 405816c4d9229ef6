package bot

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Registry holds the flows by id. NewRegistry checks their graphs, so a
// registry that exists is one whose every step can be reached and whose
// every declared move leads somewhere.
type Registry struct {
	byID  map[string]*Flow
	order []*Flow
	talk  *Talk
}

// NewRegistry checks flows and returns the registry of them; talk is the
// conversation layer's FAQ (bot/talk.go; nil: none). It refuses (an error
// naming every problem) an empty or duplicate flow id, a flow without
// steps, an empty, duplicate or reserved step id, a step without a way to
// take an answer, a Next, Targets or Entries that names no step, a step
// that cannot be reached from the first (or an entry), and a trigger word
// claimed by two flows. Such a flow is a programming error that must not
// reach users.
func NewRegistry(talk *Talk, flows ...*Flow) (*Registry, error) {
	r := &Registry{byID: map[string]*Flow{}, talk: talk}
	var errs []error
	triggers := map[string]string{}
	for _, f := range flows {
		if f == nil || f.ID == "" {
			errs = append(errs, errors.New("flow with empty id"))
			continue
		}
		if _, dup := r.byID[f.ID]; dup {
			errs = append(errs, fmt.Errorf("flow %q registered twice", f.ID))
			continue
		}
		if err := f.check(); err != nil {
			errs = append(errs, fmt.Errorf("flow %q: %w", f.ID, err))
			continue
		}
		for _, w := range f.Triggers {
			w = Normalize(w)
			if other, ok := triggers[w]; ok {
				errs = append(errs, fmt.Errorf("flows %q and %q both claim the trigger %q", other, f.ID, w))
			}
			triggers[w] = f.ID
		}
		r.byID[f.ID] = f
		r.order = append(r.order, f)
	}
	for _, f := range r.order {
		calls := func(from string, callees []string) {
			for _, callee := range callees {
				if r.byID[callee] == nil {
					errs = append(errs, fmt.Errorf("flow %q: %s calls flow %q, which is not registered", f.ID, from, callee))
				}
			}
		}
		calls("Begin", f.Calls)
		for _, s := range f.Steps {
			calls(fmt.Sprintf("step %q", s.ID), s.Calls)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("bot: flows refused: %w", err)
	}
	sort.SliceStable(r.order, func(i, j int) bool { return r.order[i].Menu < r.order[j].Menu })
	return r, nil
}

// check validates one flow's steps and graph.
func (f *Flow) check() error {
	if len(f.Steps) == 0 {
		return errors.New("no steps")
	}
	var errs []error
	ids := map[StepID]bool{}
	for _, s := range f.Steps {
		if s.ID == Stay || s.ID == Done || strings.ContainsFunc(string(s.ID), unicode.IsControl) || ids[s.ID] {
			errs = append(errs, fmt.Errorf("empty, reserved or duplicate step id %q", s.ID))
		}
		ids[s.ID] = true
		if s.Handle == nil && s.Parse == nil && s.Options == nil {
			errs = append(errs, fmt.Errorf("step %q takes no answer (no Handle, Parse or Options)", s.ID))
		}
		if s.Handle == nil && (len(s.Targets) > 0 || len(s.Calls) > 0) {
			errs = append(errs, fmt.Errorf("step %q declares targets or calls but has no Handle to choose them", s.ID))
		}
	}
	exists := func(from string, id StepID) {
		if id != Done && !ids[id] {
			errs = append(errs, fmt.Errorf("%s: step %q does not exist", from, id))
		}
	}
	for _, id := range f.Entries {
		exists("entry", id)
	}
	for _, s := range f.Steps {
		for _, id := range s.moves(f) {
			exists(fmt.Sprintf("step %q", s.ID), id)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// Every step reachable from the first or an entry.
	seen := map[StepID]bool{}
	todo := append([]StepID{f.Steps[0].ID}, f.Entries...)
	for len(todo) > 0 {
		id := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if id == Done || seen[id] {
			continue
		}
		seen[id] = true
		todo = append(todo, f.Step(id).moves(f)...)
	}
	for _, s := range f.Steps {
		if !seen[s.ID] {
			errs = append(errs, fmt.Errorf("step %q cannot be reached from step %q", s.ID, f.Steps[0].ID))
		}
	}
	return errors.Join(errs...)
}

// moves returns the steps s may lead to: its Next (or, for a step without
// Handle or one that may skip itself, the following step) and its Targets.
func (s *Step) moves(f *Flow) []StepID {
	out := slices.Clone(s.Targets)
	if s.Next != Stay {
		out = append(out, s.Next)
	} else if s.Handle == nil || s.Skip != nil {
		out = append(out, f.after(s.ID))
	}
	return out
}

// allows reports whether s's Handle may go to id.
func (s *Step) allows(id StepID) bool {
	return id == Stay || id == Done || id == s.Next || slices.Contains(s.Targets, id)
}

// Flow returns the flow with id, or nil.
func (r *Registry) Flow(id string) *Flow { return r.byID[id] }

// Flows returns every flow in menu order.
func (r *Registry) Flows() []*Flow { return r.order }
