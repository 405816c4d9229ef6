package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Decorators that feed an Observer from the outside of the dispatcher and
// the engine: ObserveTurns times each turn, ObserveInbox counts
// deliveries, and NoteFlows tells ObserveTurns the flow of each turn.

// turnNote is where the engine (or NoteFlows) records the flow of the turn
// ObserveTurns is timing.
type turnNote struct {
	mu           sync.Mutex
	loaded, save string
	saved        bool
}

type turnNoteKey struct{}

// flow is the flow the turn ran in: the one its state was saved in, or,
// when the turn ended the flow (a confirmed registration, "batal"), the
// one it was loaded in.
func (n *turnNote) flow() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.saved && n.save != "" {
		return n.save
	}
	return n.loaded
}

// NoteFlow records, for the Observer, the flow the current turn runs in.
// The engine calls it (or a store wrapped by NoteFlows does); it does
// nothing outside a turn timed by ObserveTurns.
func NoteFlow(ctx context.Context, flow string) {
	if n, ok := ctx.Value(turnNoteKey{}).(*turnNote); ok {
		n.mu.Lock()
		n.save, n.saved = flow, true
		n.mu.Unlock()
	}
}

func noteLoaded(ctx context.Context, flow string) {
	if n, ok := ctx.Value(turnNoteKey{}).(*turnNote); ok {
		n.mu.Lock()
		n.loaded = flow
		n.mu.Unlock()
	}
}

// ObserveTurns wraps h so that each turn is reported to o: its channel,
// its flow (see NoteFlow), how long Handle took (from loading the
// conversation to the state with its replies being committed) and its
// outcome, "ok", "failed" or "panic" (the panic goes on to the caller).
// With log, each turn is also a debug line with the masked user and the
// message id.
func ObserveTurns(h Handler, o Observer, log *slog.Logger) Handler {
	if o == nil && log == nil {
		return h
	}
	if o == nil {
		o = NopObserver{}
	}
	return observedHandler{h: h, o: o, log: log}
}

type observedHandler struct {
	h   Handler
	o   Observer
	log *slog.Logger
}

func (oh observedHandler) Handle(ctx context.Context, msg Message) (replies []Reply, err error) {
	n := &turnNote{}
	ctx = context.WithValue(ctx, turnNoteKey{}, n)
	start := time.Now()
	outcome := "panic"
	defer func() {
		took, flow := time.Since(start), n.flow()
		oh.o.Turn(msg.Conv.Channel, flow, took, outcome)
		if oh.log != nil && oh.log.Enabled(ctx, slog.LevelDebug) {
			ConvLogger(oh.log, msg.Conv, msg.ID).Debug("turn", "flow", flow, "outcome", outcome, "took", took)
		}
	}()
	replies, err = oh.h.Handle(ctx, msg)
	outcome = "ok"
	if err != nil {
		outcome = "failed"
	}
	return replies, err
}

// TurnStore is what the engine keeps conversations in: state and
// profiles, read together in one round trip.
type TurnStore interface {
	StateStore
	ProfileStore
	TurnLoader
}

// NoteFlows wraps the engine's store so that every turn timed by
// ObserveTurns learns its flow from the state the engine loads and saves.
// Pass the result as both the engine's StateStore and its ProfileStore
// (it stays one TurnLoader). An engine that calls NoteFlow itself does not
// need it.
func NoteFlows(s TurnStore) TurnStore { return flowNotes{s} }

type flowNotes struct{ TurnStore }

func (f flowNotes) LoadTurn(ctx context.Context, c Conversation) (Profile, State, error) {
	p, st, err := f.TurnStore.LoadTurn(ctx, c)
	noteLoaded(ctx, st.Flow)
	return p, st, err
}

func (f flowNotes) LoadState(ctx context.Context, c Conversation) (State, error) {
	st, err := f.TurnStore.LoadState(ctx, c)
	noteLoaded(ctx, st.Flow)
	return st, err
}

func (f flowNotes) SaveState(ctx context.Context, c Conversation, s State) (int64, error) {
	v, err := f.TurnStore.SaveState(ctx, c, s)
	if err == nil {
		NoteFlow(ctx, s.Flow)
	}
	return v, err
}

// ObserveInbox wraps an inbox so that every Put is reported to o as
// Ingest: "queued", "duplicate" (dropped by the dedupe window) or "error".
func ObserveInbox(in Inbox, o Observer) Inbox {
	if o == nil {
		return in
	}
	return observedInbox{Inbox: in, o: o}
}

type observedInbox struct {
	Inbox
	o Observer
}

func (oi observedInbox) Put(ctx context.Context, msg Message) (bool, error) {
	dup, err := oi.Inbox.Put(ctx, msg)
	switch {
	case err != nil:
		oi.o.Ingest(msg.Conv.Channel, "error")
	case dup:
		oi.o.Ingest(msg.Conv.Channel, "duplicate")
	default:
		oi.o.Ingest(msg.Conv.Channel, "queued")
	}
	return dup, err
}
