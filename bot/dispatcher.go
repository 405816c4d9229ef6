package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Handler runs one turn. *Engine implements it.
type Handler interface {
	Handle(ctx context.Context, msg Message) ([]Reply, error)
}

// Inbox is the durable queue in front of the engine: a channel adapter
// acknowledges a delivery to its platform only once the message is in the
// inbox, so a crash redelivers or recovers instead of losing it.
type Inbox interface {
	// Put appends msg to its conversation's queue unless a message with the
	// same id was put within the dedupe window; dup reports a repeat.
	Put(ctx context.Context, msg Message) (dup bool, err error)
	// Next removes message done ("" for none) from the head of c's queue
	// and returns the new head, taking or extending the lease that lets only
	// owner process c (so a conversation is handled in order even with
	// several processes). ok is false when the queue is empty (the lease is
	// then given up) or another owner holds the lease.
	Next(ctx context.Context, c Conversation, owner, done string, ttl time.Duration) (msg Message, ok bool, err error)
	// Release removes message done ("" for none) and gives the lease up, at
	// shutdown.
	Release(ctx context.Context, c Conversation, owner, done string) error
	// Pending lists conversations with queued messages, for recovery.
	Pending(ctx context.Context) ([]Conversation, error)
}

// ErrStopped is returned by Submit once the dispatcher is shutting down.
var ErrStopped = errors.New("dispatcher stopped")

// DispatcherConfig tunes the dispatcher.
type DispatcherConfig struct {
	Owner    string        // unique name of this process (for leases)
	LeaseTTL time.Duration // how long a conversation lease lasts without renewal (default 30s)
	Sweep    time.Duration // how often queues left by crashed processes are looked for (default 5s)
	Backoff  time.Duration // first wait after a store error (default 250ms, doubling to 30s)
	Grace    time.Duration // how long shutdown waits for turns in flight (default 10s)
}

// Stats counts what the dispatcher did.
type Stats struct {
	Taken, Duplicates, Turns, Failed, Panics, Sent, SendFailed atomic.Int64
}

// Dispatcher takes messages from channels, drops repeats, queues them
// durably, and runs the turns of one conversation strictly one at a time
// and in order while different conversations run in parallel. A panic in a
// turn becomes a polite error reply and a log line.
type Dispatcher struct {
	cfg     DispatcherConfig
	inbox   Inbox
	handler Handler
	out     *Outbox
	cat     *Catalog
	lang    string
	log     *slog.Logger
	Stats   Stats

	work    context.Context // turns run under it; cancelled when the grace period ends
	cancel  context.CancelFunc
	stopped atomic.Bool

	mu     sync.Mutex
	active map[Conversation]bool // a worker runs for the conversation
	again  map[Conversation]bool // more was queued while it ran
	wg     sync.WaitGroup
}

// NewDispatcher builds a dispatcher. Replies go out through out; fault
// messages are rendered from cat in lang.
func NewDispatcher(cfg DispatcherConfig, inbox Inbox, h Handler, out *Outbox, cat *Catalog, lang string, log *slog.Logger) *Dispatcher {
	if cfg.Owner == "" {
		cfg.Owner = "local"
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = 30 * time.Second
	}
	if cfg.Sweep == 0 {
		cfg.Sweep = 5 * time.Second
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 250 * time.Millisecond
	}
	if cfg.Grace == 0 {
		cfg.Grace = 10 * time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	if lang == "" {
		lang = DefaultLang
	}
	work, cancel := context.WithCancel(context.Background())
	return &Dispatcher{cfg: cfg, inbox: inbox, handler: h, out: out, cat: cat, lang: lang, log: log,
		work: work, cancel: cancel, active: map[Conversation]bool{}, again: map[Conversation]bool{}}
}

// Submit durably queues msg and returns. The channel acknowledges the
// delivery only after Submit returned nil. A repeated message id returns nil
// and is dropped. When the queue cannot be written (Redis down) the person
// is told to try again shortly and the error is returned, so the channel
// does not acknowledge and its platform redelivers.
func (d *Dispatcher) Submit(ctx context.Context, msg Message) error {
	if d.stopped.Load() {
		return ErrStopped
	}
	if msg.ID == "" {
		msg.ID = fmt.Sprintf("local-%d", time.Now().UnixNano())
	}
	dup, err := d.inbox.Put(ctx, msg)
	if err != nil {
		d.log.Error("queue message", "channel", msg.Conv.Channel, "user", maskID(msg.Conv.User), "err", err)
		d.fault(msg.Conv, "core.unavailable")
		return fmt.Errorf("queue message %s: %w", msg.ID, err)
	}
	if dup {
		d.Stats.Duplicates.Add(1)
		d.log.Debug("duplicate delivery dropped", "channel", msg.Conv.Channel, "msg", msg.ID)
		return nil
	}
	d.Stats.Taken.Add(1)
	d.kick(msg.Conv)
	return nil
}

// Run recovers queues left by a crash or by other processes, sweeps for
// them periodically, and on ctx's end stops taking messages and waits (up to
// Grace) for turns in flight.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.sweep(ctx)
	tick := time.NewTicker(d.cfg.Sweep)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return d.shutdown()
		case <-tick.C:
			d.sweep(ctx)
		}
	}
}

// Close stops the dispatcher without Run (tests, one-shot commands).
func (d *Dispatcher) Close() error { return d.shutdown() }

func (d *Dispatcher) shutdown() error {
	d.stopped.Store(true)
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d.cfg.Grace):
		d.log.Warn("turns still running at shutdown; they resume from the queue at next start")
		d.cancel()
		<-done
	}
	d.cancel()
	return nil
}

// Idle waits until no conversation is being worked on (tests, console).
func (d *Dispatcher) Idle(ctx context.Context) error {
	for {
		d.mu.Lock()
		n := len(d.active)
		d.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (d *Dispatcher) sweep(ctx context.Context) {
	convs, err := d.inbox.Pending(ctx)
	if err != nil {
		d.log.Warn("look for queued messages", "err", err)
		return
	}
	for _, c := range convs {
		d.kick(c)
	}
}

// kick makes sure a worker drains c's queue.
func (d *Dispatcher) kick(c Conversation) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped.Load() {
		return
	}
	if d.active[c] {
		d.again[c] = true
		return
	}
	d.active[c] = true
	d.wg.Add(1)
	go d.worker(c)
}

func (d *Dispatcher) worker(c Conversation) {
	defer d.wg.Done()
	for {
		d.drain(c)
		d.mu.Lock()
		if d.again[c] && !d.stopped.Load() {
			delete(d.again, c)
			d.mu.Unlock()
			continue
		}
		delete(d.again, c)
		delete(d.active, c)
		d.mu.Unlock()
		return
	}
}

// drain processes c's queue while this process holds its lease.
func (d *Dispatcher) drain(c Conversation) {
	ctx := d.work
	log := d.log.With("channel", c.Channel, "user", maskID(c.User))
	done := "" // the message handled last, removed by the next call
	for attempt := 0; ; {
		if d.stopped.Load() {
			if done != "" {
				if err := d.inbox.Release(context.WithoutCancel(ctx), c, d.cfg.Owner, done); err != nil {
					log.Warn("release conversation", "err", err)
				}
			}
			return
		}
		msg, ok, err := d.inbox.Next(ctx, c, d.cfg.Owner, done, d.cfg.LeaseTTL)
		if err != nil {
			log.Warn("read queue", "err", err)
			if !d.wait(ctx, attempt) {
				return
			}
			attempt++
			continue
		}
		attempt = 0
		if !ok {
			return // empty, or another process is on it
		}
		if !d.process(ctx, log, msg) {
			return // shutting down: the message stays queued
		}
		done = msg.ID
	}
}

// process runs one turn and sends its replies. It returns false when the
// dispatcher stops before the turn could complete (the message stays queued).
func (d *Dispatcher) process(ctx context.Context, log *slog.Logger, msg Message) (done bool) {
	defer func() {
		if r := recover(); r != nil {
			d.Stats.Panics.Add(1)
			log.Error("turn panicked", "msg", msg.ID, "panic", r, "stack", string(debug.Stack()))
			d.fault(msg.Conv, "core.error")
			done = true
		}
	}()
	told := false
	for attempt := 0; ; attempt++ {
		replies, err := d.handler.Handle(ctx, msg)
		if err == nil {
			d.Stats.Turns.Add(1)
			for _, r := range replies {
				if err := d.out.Send(ctx, msg.Conv, r); err != nil {
					d.Stats.SendFailed.Add(1)
					log.Error("send reply", "msg", msg.ID, "err", err)
				} else {
					d.Stats.Sent.Add(1)
				}
			}
			return true
		}
		d.Stats.Failed.Add(1)
		log.Error("turn failed, will retry", "msg", msg.ID, "attempt", attempt+1, "err", err)
		if !told {
			d.fault(msg.Conv, "core.unavailable")
			told = true
		}
		if !d.wait(ctx, attempt) {
			return false
		}
	}
}

// wait sleeps the attempt'th backoff; false when the dispatcher stops.
func (d *Dispatcher) wait(ctx context.Context, attempt int) bool {
	delay := d.cfg.Backoff << min(attempt, 7)
	if delay > 30*time.Second {
		delay = 30 * time.Second
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return !d.stopped.Load()
	}
}

// fault tells a person, best effort, that something went wrong on our side.
func (d *Dispatcher) fault(c Conversation, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(d.work), 5*time.Second)
	defer cancel()
	if err := d.out.Send(ctx, c, d.cat.Out(d.lang, Say(T(id)))); err != nil {
		d.log.Warn("send fault notice", "channel", c.Channel, "err", err)
	}
}

// maskID hides most of a user id in logs (a WhatsApp id is a phone number).
func maskID(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return "****" + s[len(s)-4:]
}
