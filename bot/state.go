package bot

import (
	"context"
	"errors"
	"maps"
	"time"
)

// ErrNotFound is returned by stores for a record that does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned by StateStore.SaveState when the state changed
// since it was loaded: another goroutine or process handled a message of the
// same conversation in between. The engine reloads and runs the turn again.
var ErrConflict = errors.New("conversation state changed concurrently")

// State is one conversation's progress. It is plain data (no closures), so a
// restart or another process can continue it.
type State struct {
	Version int64 `json:"-"` // compare-and-set version, kept by the store

	Flow    string            `json:"flow,omitempty"`
	FlowVer int               `json:"flow_version,omitempty"` // the Flow.Version the answers were written by
	Step    StepID            `json:"step,omitempty"`
	Answers map[string]string `json:"answers,omitempty"`
	History []StepID          `json:"history,omitempty"` // steps answered in this flow, for "kembali"
	Stack   []Frame           `json:"stack,omitempty"`   // flows to return to when this one is done
	Pending string            `json:"pending,omitempty"` // a question of the engine's own: "resume", "lang"
	Updated time.Time         `json:"updated"`
	Misses  int               `json:"misses,omitempty"` // messages in a row the bot did not understand
	Missed  []string          `json:"missed,omitempty"` // those messages, numbers masked, for a hand-over to an officer

	// The last message applied. The dispatcher's turn store takes a
	// message off its queue in the same step that commits its turn, so it
	// never applies one twice; Engine.Handle, which has no queue, checks
	// this instead. Its replies wait in the store's outbox.
	LastMsg string `json:"last_msg,omitempty"`
}

// Frame is a flow waiting for another one to finish (a training sign-up
// waiting for the registration it needs).
type Frame struct {
	Flow    string            `json:"flow"`
	Version int               `json:"version,omitempty"` // the Flow.Version of Answers
	Step    StepID            `json:"step"`
	Answers map[string]string `json:"answers,omitempty"`
	History []StepID          `json:"history,omitempty"`
}

// IsDraft reports whether fr is a flow's answers kept aside as a draft
// (the person left the flow unfinished) rather than a flow waiting for
// the one running.
func (fr Frame) IsDraft() bool { return isDraft(fr) }

// StateStore keeps conversation state with compare-and-set.
type StateStore interface {
	// LoadState returns the conversation's state, or a zero State (Version
	// 0) when there is none.
	LoadState(ctx context.Context, c Conversation) (State, error)
	// SaveState writes s if the stored version is still s.Version and
	// returns the new version; ErrConflict otherwise.
	SaveState(ctx context.Context, c Conversation, s State) (int64, error)
}

// Profile is what the bot remembers about a person beyond one conversation
// (no idle expiry).
type Profile struct {
	Lang        string    `json:"lang,omitempty"`
	OptOut      bool      `json:"optout,omitempty"`      // no broadcasts
	Unreachable bool      `json:"unreachable,omitempty"` // the channel says we cannot reach them (blocked the bot)
	Phone       string    `json:"phone,omitempty"`       // E.164, when the channel told us
	Name        string    `json:"name,omitempty"`
	Seen        time.Time `json:"seen,omitempty"`
	// Draft is the flow whose unfinished answers the conversation state
	// holds ("daftar"), kept here because the state expires (STATE_TTL)
	// and the profile does not: a person whose state expired mid-flow is
	// told so instead of "belum mengerti".
	Draft string `json:"draft,omitempty"`
}

// Profile fields for SetProfile.
const (
	FieldLang        = "lang"
	FieldOptOut      = "optout"
	FieldUnreachable = "unreachable"
	FieldPhone       = "phone"
	FieldDraft       = "draft"
)

// ProfileStore keeps profiles.
type ProfileStore interface {
	Profile(ctx context.Context, c Conversation) (Profile, error)
	SetProfile(ctx context.Context, c Conversation, field, value string) error
}

// TurnLoader is an optional capability of a store that is both the
// StateStore and the ProfileStore: it reads a person's profile and
// conversation state in one round trip.
type TurnLoader interface {
	LoadTurn(ctx context.Context, c Conversation) (Profile, State, error)
}

// Clone returns a copy of s that shares no maps or slices with it.
func (s State) Clone() State {
	s.Answers = cloneMap(s.Answers)
	s.History = append([]StepID(nil), s.History...)
	if s.Stack != nil {
		st := make([]Frame, len(s.Stack))
		for i, f := range s.Stack {
			f.Answers = cloneMap(f.Answers)
			f.History = append([]StepID(nil), f.History...)
			st[i] = f
		}
		s.Stack = st
	}
	return s
}

// cloneMap copies m with maps.Clone, which copies the table as it is
// instead of inserting every answer again (the stores clone each state
// they keep or write).
func cloneMap(m map[string]string) map[string]string { return maps.Clone(m) }
