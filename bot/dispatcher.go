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

// Handler computes one turn from what the turn store loaded. *Engine
// implements it; the dispatcher commits the result.
type Handler interface {
	Turn(ctx context.Context, l *Loaded) (TurnResult, error)
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
	Flood    FloodLimit    // per-person flood limit (zero: none)
	// ShareAbove shares turns between processes (the store must be a
	// Sharer): while this process works on ShareAbove conversations or
	// more, a message of a conversation no process holds is queued and
	// offered to every process, and below it this process takes offers.
	// Zero: no sharing.
	ShareAbove int

	SendPoll     time.Duration // how often due replies are looked for (default 500ms)
	SendClaim    time.Duration // how long a sender owns a conversation's due replies (default 2m)
	SendRetryMax time.Duration // longest wait between attempts while a platform is down (default 5m)
	AckEvery     time.Duration // how often delivered replies are acknowledged in one batch (default 50ms)
	AckHold      time.Duration // how long a delivered reply's ack waits for the conversation's next turn to carry it in its commit (default 1s; negative: none)

	Observer Observer // metrics (default NopObserver)
}

// Stats counts what the dispatcher did. Direct counts the turns committed
// in the step that took their message (SubmitHeld), also in Taken and
// Turns.
type Stats struct {
	Taken, Duplicates, Flooded, Turns, Failed, Panics, Sent, SendFailed, Rejected, FaultNotices, Direct atomic.Int64
	// Offered counts the messages this process queued for any process
	// (DispatcherConfig.ShareAbove); Helped the offered conversations it
	// took to work on (its own offers among them).
	Offered, Helped atomic.Int64
}

// Dispatcher takes messages from channels, drops repeats and floods, queues
// them durably, and runs the turns of one conversation strictly one at a
// time and in order while different conversations run in parallel. A turn
// is two store round trips: Ingest (queue, and take the conversation with
// its state and profile when it was free) and Commit (state, profile,
// replies into the durable outbox, message off the queue, and the next
// message or the lease given up). Replies are then sent at once by the
// conversation's worker; replies left undelivered by a crash or a platform
// outage are resent, in order, by the sender loop of any process.
type Dispatcher struct {
	cfg     DispatcherConfig
	inbox   Inbox
	sharer  Sharer // nil: no sharing
	handler Handler
	out     *Outbox
	cat     *Catalog
	lang    string
	log     *slog.Logger
	obs     Observer
	Stats   Stats

	work    context.Context // turns run under it; cancelled when the grace period ends
	cancel  context.CancelFunc
	stopped atomic.Bool

	mu      sync.Mutex
	active  map[Conversation]bool // a worker runs for the conversation
	again   map[Conversation]bool // taken by a Submit while its worker was finishing: look again
	wg      sync.WaitGroup
	workers Workers // the goroutines the workers run on

	acks    acker
	courier courier

	pace map[Conversation]int64 // per person, when their flood bucket is full again (paced; under mu)

	fmu   sync.Mutex
	told  map[Conversation]bool   // told about the current outage
	langs map[Conversation]string // languages of people seen lately, for notices when the store is down
}

// NewDispatcher builds a dispatcher. inbox is the turn store (it also
// serves as the durable outbox when it implements Outbound); replies go out
// through out; notices are rendered from cat in the person's language,
// else lang.
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
	if cfg.SendPoll == 0 {
		cfg.SendPoll = 500 * time.Millisecond
	}
	if cfg.SendClaim == 0 {
		cfg.SendClaim = 2 * time.Minute
	}
	if cfg.SendRetryMax == 0 {
		cfg.SendRetryMax = 5 * time.Minute
	}
	if cfg.AckEvery == 0 {
		cfg.AckEvery = 50 * time.Millisecond
	}
	if cfg.AckHold == 0 {
		cfg.AckHold = time.Second
	}
	if cfg.AckHold < 0 {
		cfg.AckHold = 0
	}
	if cfg.Observer == nil {
		cfg.Observer = NopObserver{}
	}
	if log == nil {
		log = slog.Default()
	}
	if lang == "" {
		lang = DefaultLang
	}
	work, cancel := context.WithCancel(context.Background())
	d := &Dispatcher{cfg: cfg, inbox: inbox, handler: h, out: out, cat: cat, lang: lang, log: log, obs: cfg.Observer,
		work: work, cancel: cancel, active: map[Conversation]bool{}, again: map[Conversation]bool{}, pace: map[Conversation]int64{},
		told: map[Conversation]bool{}, langs: map[Conversation]string{}}
	if sh, ok := inbox.(Sharer); ok && cfg.ShareAbove > 0 {
		d.sharer = sh
	}
	ob, _ := inbox.(Outbound)
	d.acks = acker{store: ob, hold: cfg.AckHold, pending: map[Conversation]pendingAcks{}}
	d.courier = courier{d: d, store: ob, attempts: map[Conversation]int{}, poke: make(chan struct{}, 1)}
	return d
}

func (d *Dispatcher) lease() Lease { return Lease{Owner: d.cfg.Owner, TTL: d.cfg.LeaseTTL} }

// Submit durably queues msg and returns. The channel acknowledges the
// delivery only after Submit returned nil. A repeated message id returns nil
// and is dropped, as does a message over the person's flood limit (the
// first of a flood gets a notice). When the queue cannot be written (Redis
// down) the person is told, once per outage, to try again shortly and the
// error is returned, so the channel does not acknowledge and its platform
// redelivers.
func (d *Dispatcher) Submit(ctx context.Context, msg Message) error {
	if d.stopped.Load() {
		return ErrStopped
	}
	if msg.ID == "" {
		msg.ID = fmt.Sprintf("local-%d", time.Now().UnixNano())
	}
	lease := d.lease()
	lease.Offer = d.offering()
	in, err := d.inbox.Ingest(ctx, msg, lease, d.floodLimit(msg))
	if err != nil {
		return d.ingestFailed(msg, err)
	}
	if d.ingested(msg, in) {
		switch in.Result {
		case Taken:
			d.start(msg.Conv, &in.Loaded)
		case Ours:
			d.kick(msg.Conv) // our lease, from before a restart, or our worker is on it
		case Free:
			d.offer(ctx, msg.Conv)
		}
	}
	return nil
}

// floodLimit is the flood limit msg counts against.
func (d *Dispatcher) floodLimit(msg Message) FloodLimit {
	if msg.Kind == KindOfficer || msg.Kind == KindTicketClosed {
		return FloodLimit{} // the Dinas writing is no flood of the person's
	}
	return d.cfg.Flood
}

// ingestFailed tells the person, once per outage, that msg could not be
// taken, and returns the error for the channel.
func (d *Dispatcher) ingestFailed(msg Message, err error) error {
	c := msg.Conv
	d.obs.Ingest(c.Channel, "error")
	d.obs.Event("redis_error")
	d.log.Error("queue message", "channel", c.Channel, "user", MaskUser(c.User), "err", err)
	d.fault(c, "core.unavailable", "")
	return fmt.Errorf("queue message %s: %w", msg.ID, err)
}

// ingested counts what became of msg; true when it was queued (Queued,
// Taken or Ours), false when dropped.
func (d *Dispatcher) ingested(msg Message, in Ingest) bool {
	c := msg.Conv
	d.recovered(c)
	switch in.Result {
	case Duplicate:
		d.Stats.Duplicates.Add(1)
		d.obs.Ingest(c.Channel, "duplicate")
		d.log.Debug("duplicate delivery dropped", "channel", c.Channel, "user", MaskUser(c.User), "msg_id", msg.ID)
		return false
	case Flooded:
		d.Stats.Flooded.Add(1)
		d.obs.Ingest(c.Channel, "flood")
		if in.Notice {
			d.log.Warn("flood limit reached, dropping messages", "channel", c.Channel, "user", MaskUser(c.User))
			d.notice(c, "core.flood", in.Lang)
		}
		return false
	}
	d.Stats.Taken.Add(1)
	d.obs.Ingest(c.Channel, "queued")
	return true
}

// Run recovers queues left by a crash or by other processes, sweeps for
// them periodically, acknowledges and resends replies, and on ctx's end
// stops taking messages and waits (up to Grace) for turns in flight.
func (d *Dispatcher) Run(ctx context.Context) error {
	var bg sync.WaitGroup
	bctx, stop := context.WithCancel(context.Background())
	if d.acks.store != nil {
		bg.Add(2)
		go func() { defer bg.Done(); d.acks.run(bctx, d.cfg.AckEvery, d.log) }()
		go func() { defer bg.Done(); d.courier.run(bctx) }()
	}
	if d.sharer != nil {
		bg.Add(1)
		go func() { defer bg.Done(); d.help(bctx) }()
	}
	d.sweep(ctx)
	tick := time.NewTicker(d.cfg.Sweep)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			err := d.shutdown()
			stop()
			bg.Wait()
			d.acks.flush(context.Background(), d.log, 0) // the last acks, after the workers stopped
			d.log.Info("dispatcher stopped", "turns", d.Stats.Turns.Load(), "taken", d.Stats.Taken.Load(),
				"duplicates", d.Stats.Duplicates.Load(), "flooded", d.Stats.Flooded.Load(), "sent", d.Stats.Sent.Load(),
				"send_failed", d.Stats.SendFailed.Load(), "rejected", d.Stats.Rejected.Load())
			return err
		case <-tick.C:
			d.sweep(ctx)
		}
	}
}

// Close stops the dispatcher without Run (tests, one-shot commands).
func (d *Dispatcher) Close() error {
	err := d.shutdown()
	d.acks.flush(context.Background(), d.log, 0)
	return err
}

func (d *Dispatcher) shutdown() error {
	// Under mu: a worker is added (wg.Add) under mu after a look at
	// stopped, so none is added once Wait below begins.
	d.mu.Lock()
	d.stopped.Store(true)
	d.mu.Unlock()
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
	d.workers.Stop()
	return nil
}

// convLog is a conversation's logger, made on first use: most turns log
// nothing, and slog's With (the handler formats the attributes ahead) on
// every worker was 1.5 % of serve's CPU under the bench harness. One
// goroutine uses it at a time.
type convLog struct {
	base *slog.Logger
	c    Conversation
	l    *slog.Logger
}

func (d *Dispatcher) convLog(c Conversation) *convLog { return &convLog{base: d.log, c: c} }

func (cl *convLog) get() *slog.Logger {
	if cl.l == nil {
		cl.l = cl.base.With("channel", cl.c.Channel, "user", MaskUser(cl.c.User))
	}
	return cl.l
}

// Idle waits until no conversation is being worked on and every reply
// handed to the dispatcher was sent or queued for a retry (tests, console).
func (d *Dispatcher) Idle(ctx context.Context) error {
	for {
		d.mu.Lock()
		n := len(d.active)
		d.mu.Unlock()
		if n == 0 && d.courier.busy.Load() == 0 {
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

// start runs a worker on c beginning with (a copy of) l. When a worker is
// already on c (finishing, or it found the message in the queue first) it
// is told to look at the queue again instead: l may be stale by the time
// it gets there.
func (d *Dispatcher) start(c Conversation, l *Loaded) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.active[c] {
		d.again[c] = true
		return
	}
	if d.stopped.Load() {
		go d.release(c)
		return
	}
	d.active[c] = true
	d.wg.Add(1)
	d.workers.goRun(&workerRun{d: d, c: c, l: *l, mode: runLoaded})
}

// kick makes sure a worker drains c's queue if this process can take it.
func (d *Dispatcher) kick(c Conversation) { d.kickRun(c, false) }

// kickRun is kick; a worker it starts acknowledges its replies as soon as
// they are delivered when prompt (see workerRun.prompt).
func (d *Dispatcher) kickRun(c Conversation, prompt bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped.Load() || d.active[c] {
		return
	}
	d.active[c] = true
	d.wg.Add(1)
	d.workers.goRun(&workerRun{d: d, c: c, prompt: prompt})
}

// workerRun is a worker to start on c: one allocation per started worker.
type workerRun struct {
	d     *Dispatcher
	c     Conversation
	mode  runMode
	l     Loaded   // runLoaded: the message taken for it, with state and profile
	acked []string // replies sent and not yet acknowledged, the worker's now
	// runSend: the replies of a turn committed directly, their outbox
	// ids, and whether they wait behind earlier ones (Committed.Backlog)
	replies []Reply
	ids     []string
	backlog bool
	// prompt: the conversation's next message is likely to be taken by
	// another process (this one took it from an offer), so the replies are
	// acknowledged when the worker leaves, not held for a next turn here
	// to carry; held, they would keep the other process's replies back.
	prompt bool
}

// runMode is how a worker starts.
type runMode int

const (
	runTake   runMode = iota // take the conversation first
	runLoaded                // with the message taken for it (workerRun.l)
	runSend                  // with the replies of a turn committed directly to send
)

func (w *workerRun) run() {
	switch w.mode {
	case runLoaded:
		w.d.worker(w.c, &w.l, w.acked, w.prompt)
	case runSend:
		log := w.d.convLog(w.c)
		w.d.worker(w.c, nil, w.d.sendCommitted(w.c, w.replies, w.ids, w.backlog, log), w.prompt)
	default:
		w.d.worker(w.c, w.d.take(w.c, w.d.convLog(w.c)), w.acked, w.prompt)
	}
}

func (d *Dispatcher) release(c Conversation) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.inbox.Release(ctx, c, d.cfg.Owner); err != nil {
		d.log.Warn("release conversation", "channel", c.Channel, "err", err)
	}
}

// worker runs c's turns while this process holds c, starting with l (nil:
// none) and the ids of replies sent and not yet acknowledged in the store;
// prompt: see workerRun.prompt.
func (d *Dispatcher) worker(c Conversation, l *Loaded, acked []string, prompt bool) {
	defer d.wg.Done()
	log := d.convLog(c)
	for {
		if l != nil && d.stopped.Load() {
			d.release(c) // the message stays queued for the next start
			l = nil
		}
		if l != nil {
			if taken := d.acks.take(c); acked == nil {
				acked = taken // ours now: take removed them from the acker
			} else {
				acked = append(acked, taken...)
			}
			l, acked = d.turn(c, l, acked, log)
			continue
		}
		if prompt && len(acked) > 0 {
			acked = d.ackNow(c, acked, log)
		}
		if !d.vacate(c, acked) {
			return
		}
		l = d.take(c, log)
	}
}

// vacate ends the work on c, with acked (the replies sent and not yet
// acknowledged) left for the next turn of c to carry; false when done,
// true when a message was taken for c meanwhile (a Submit told the worker
// to look again): then c stays the caller's, and so do the acked.
func (d *Dispatcher) vacate(c Conversation, acked []string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.again[c] && !d.stopped.Load() {
		delete(d.again, c)
		return true
	}
	delete(d.again, c)
	d.acks.add(c, acked) // before c is free, so the next worker finds them
	delete(d.active, c)
	return false
}

// take takes c with its head message, retrying store errors; nil when c is
// empty, held elsewhere, or the dispatcher stops.
func (d *Dispatcher) take(c Conversation, log *convLog) *Loaded {
	for attempt := 0; ; attempt++ {
		l, ok, err := d.inbox.Acquire(d.work, c, d.lease())
		if err == nil {
			if !ok {
				return nil
			}
			return &l
		}
		d.obs.Event("redis_error")
		log.get().Warn("take conversation", "err", err)
		if !d.wait(d.work, attempt) {
			return nil
		}
	}
}

// turn runs l's turn, commits it, sends its replies and returns the next
// message to handle (nil: none, or c is no longer ours) with the ids of the
// replies sent and not yet acknowledged.
func (d *Dispatcher) turn(c Conversation, l *Loaded, acked []string, log *convLog) (*Loaded, []string) {
	ctx := d.work
	began := time.Now()
	msg := l.Msg
	res, outcome := d.compute(ctx, l, log)
	if outcome == "" {
		return nil, acked // stopping: the message stays queued
	}
	for attempt := 0; ; {
		cm, err := d.inbox.Commit(ctx, c, msg.ID, d.lease(), res, acked)
		if err != nil {
			d.obs.Event("redis_error")
			log.get().Warn("commit turn, will retry", "msg_id", msg.ID, "attempt", attempt+1, "err", err)
			if !d.wait(ctx, attempt) {
				return nil, acked
			}
			attempt++
			continue
		}
		acked = nil // folded into the commit
		switch {
		case cm.Lost:
			d.obs.Event("lease_lost")
			return nil, nil
		case cm.Gone: // handled by another process after our lease expired
			d.obs.Event("lease_takeover")
			return d.take(c, log), nil
		case cm.Conflict:
			if d.log.Enabled(ctx, slog.LevelDebug) {
				log.get().Debug("turn raced, running again", "msg_id", msg.ID)
			}
			next := cm.Next
			next.Msg = msg
			if res, outcome = d.compute(ctx, next, log); outcome == "" {
				return nil, nil
			}
			attempt = 0
			continue
		}
		prof := d.turnDone(l, res, began, outcome, log)
		acked = d.sendCommitted(c, res.Replies, cm.OutIDs, cm.Backlog, log)
		if cm.Next == nil {
			return nil, acked
		}
		st := res.State
		st.Version = cm.Version
		cm.Next.State, cm.Next.Profile = st, prof
		return cm.Next, acked
	}
}

// turnDone counts a committed turn of l that computed res, and returns
// the person's profile after it.
func (d *Dispatcher) turnDone(l *Loaded, res TurnResult, began time.Time, outcome string, log *convLog) Profile {
	c := l.Msg.Conv
	d.Stats.Turns.Add(1)
	flow := res.State.Flow // the flow the turn ran in: the one it left the person in,
	if flow == "" {        // or the one it ended
		flow = l.State.Flow
	}
	took := time.Since(began)
	d.obs.Turn(c.Channel, flow, took, outcome)
	if d.log.Enabled(d.work, slog.LevelDebug) {
		log.get().Debug("turn", "msg_id", l.Msg.ID, "flow", flow, "outcome", outcome, "took", took)
	}
	prof := l.Profile
	if res.Lang != "" {
		prof.Lang = res.Lang
	}
	if res.Phone != "" {
		prof.Phone = res.Phone
	}
	d.remember(c, prof.Lang)
	return prof
}

// sendCommitted sends a committed turn's replies (outbox ids ids) at once
// and returns the ids delivered, unless they wait behind replies not yet
// acknowledged (backlog: another process's, or waiting out a platform
// failure): those are due once their sender acknowledges, so the courier
// looks soon rather than at its next poll.
func (d *Dispatcher) sendCommitted(c Conversation, replies []Reply, ids []string, backlog bool, log *convLog) []string {
	if backlog {
		d.courier.soon()
		return nil
	}
	return d.sendNow(d.work, c, replies, ids, log)
}

// compute runs the handler, retrying failures (store trouble in a step)
// with backoff and telling the person once. A panic becomes a polite error
// reply committed with the unchanged state, so the message is taken off.
// outcome is "" when the dispatcher stopped first.
func (d *Dispatcher) compute(ctx context.Context, l *Loaded, log *convLog) (res TurnResult, outcome string) {
	lang := l.Profile.Lang
	if lang == "" {
		lang = d.lang
	}
	defer func() {
		if r := recover(); r != nil {
			d.Stats.Panics.Add(1)
			log.get().Error("turn panicked", "msg_id", l.Msg.ID, "panic", r, "stack", string(debug.Stack()))
			st := l.State
			st.LastMsg = l.Msg.ID
			res, outcome = TurnResult{State: st, Replies: []Reply{d.cat.Out(lang, Say(T("core.error")))}}, "panic"
		}
	}()
	told := false
	for attempt := 0; ; attempt++ {
		res, err := d.handler.Turn(ctx, l)
		if err == nil {
			if attempt > 0 {
				return res, "failed"
			}
			return res, "ok"
		}
		d.Stats.Failed.Add(1)
		log.get().Error("turn failed, will retry", "msg_id", l.Msg.ID, "attempt", attempt+1, "err", err)
		if !told {
			d.fault(l.Msg.Conv, "core.unavailable", l.Profile.Lang)
			told = true
		}
		if !d.wait(ctx, attempt) {
			return TurnResult{}, ""
		}
	}
}
