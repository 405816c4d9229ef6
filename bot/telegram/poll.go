package telegram

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/umkmbot/umkmbot/bot"
)

// allowedUpdates are the update kinds the bot asks for.
var allowedUpdates = []string{"message", "callback_query"}

// runPoll long-polls while this process holds the lease, and waits for it
// otherwise, until ctx ends.
func (a *Adapter) runPoll(ctx context.Context, sub Submitter) error {
	// A webhook left by an earlier webhook deployment makes getUpdates
	// answer 409; polling mode removes it (keeping pending updates).
	if _, err := a.call(ctx).Request(tgbotapi.DeleteWebhookConfig{}); err != nil && ctx.Err() == nil {
		a.log.Warn("delete webhook before polling", "err", a.redact(err))
	}
	if a.cfg.Leaser == nil {
		a.startPolling()
		err := a.poll(ctx, sub)
		a.confirm(ctx)
		return err
	}
	retry := a.cfg.LeaseTTL / 3
	for ctx.Err() == nil {
		ok, err := a.cfg.Leaser.ClaimLease(ctx, a.cfg.LeaseKey, a.cfg.Owner, a.cfg.LeaseTTL)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("claim polling lease", "err", err)
		}
		if err != nil || !ok {
			if err == nil {
				a.role.Store(roleStandby) // another process polls
			}
			bot.Sleep(ctx, retry)
			continue
		}
		a.log.Info("polling lease taken", "owner", a.cfg.Owner)
		a.startPolling()
		if err := a.pollHeld(ctx, sub); err != nil {
			return err
		}
	}
	return nil
}

// startPolling marks this process as the poller; it counts as answered
// from now until the first getUpdates says otherwise.
func (a *Adapter) startPolling() {
	a.lastOK.Store(time.Now().UnixNano())
	a.role.Store(rolePolling)
}

// pollHeld polls until ctx ends or the lease is lost, renewing it every
// TTL/3, then releases it.
func (a *Adapter) pollHeld(ctx context.Context, sub Submitter) error {
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // renewer: owned here, waited for below
		defer wg.Done()
		defer stop()
		every := a.cfg.LeaseTTL / 3
		held := time.Now()
		for bot.Sleep(pctx, every) {
			ok, err := a.cfg.Leaser.ClaimLease(pctx, a.cfg.LeaseKey, a.cfg.Owner, a.cfg.LeaseTTL)
			switch {
			case err == nil && ok:
				held = time.Now()
			case err == nil:
				a.log.Warn("polling lease lost to another process")
				return
			case pctx.Err() != nil:
				return
			default:
				a.log.Warn("renew polling lease", "err", err)
				if time.Since(held) > a.cfg.LeaseTTL*2/3 {
					return // it may lapse before we can renew: stop polling first
				}
			}
		}
	}()
	err := a.poll(pctx, sub)
	stop()
	wg.Wait()
	a.confirm(ctx)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if rerr := a.cfg.Leaser.ReleaseLease(rctx, a.cfg.LeaseKey, a.cfg.Owner); rerr != nil {
		a.log.Warn("release polling lease", "err", rerr)
	}
	return err
}

// confirm tells Telegram, best effort, that the updates before the offset
// were taken, so the next poller (or this one after a restart) does not
// get them again. Updates it returns are not confirmed by this call.
func (a *Adapter) confirm(ctx context.Context) {
	if a.offset == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	cfg := tgbotapi.UpdateConfig{Offset: a.offset, Limit: 1, AllowedUpdates: allowedUpdates}
	if _, err := a.call(cctx).GetUpdates(cfg); err != nil {
		a.log.Debug("confirm updates at stop", "err", a.redact(err))
	}
}

// poll runs getUpdates until ctx ends.
//
// Without a journal the offset moves past an update only after Submit took
// it; a failed Submit ends the batch and the same update is asked for
// again after a pause.
//
// With a journal the loop is pipelined: a fetched batch is kept in the
// journal, the offset moves past it, and it is submitted while the next
// getUpdates is in flight (that call confirms the batch to Telegram: the
// journal, not Telegram, now holds what is not yet taken). Batches are
// submitted one after the other, so a chat's updates keep their order; a
// batch whose updates were all taken is dropped from the journal. What a
// crash leaves in the journal is submitted first by the next poller.
func (a *Adapter) poll(ctx context.Context, sub Submitter) error {
	if a.cfg.Journal != nil && !a.replay(ctx, sub) {
		return nil
	}
	var inflight chan bool // the batch being submitted: true when all of it was taken
	defer func() {
		if inflight != nil {
			<-inflight // finish submitting before the offset is confirmed
		}
	}()
	failures := 0
	timeout := int(a.cfg.PollTimeout / time.Second)
	if timeout < 1 {
		timeout = 1
	}
	for ctx.Err() == nil {
		ups, last, whole, err := a.fetch(ctx, timeout)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			a.lastOK.Store(time.Now().UnixNano())
		}
		if err != nil {
			a.Stats.PollErrors.Add(1)
			a.obs.Event("telegram_poll_error")
			if pe, ok := apiError(err); ok {
				switch pe.Code {
				case http.StatusUnauthorized, http.StatusNotFound:
					return fmt.Errorf("telegram: the bot token was refused (%d %s): %w", pe.Code, pe.Message, err)
				case http.StatusConflict:
					a.Stats.Conflicts.Add(1)
					a.obs.Event("telegram_conflict")
					a.log.Warn("another process or a webhook takes this bot's updates (409)", "err", err)
				case http.StatusTooManyRequests:
					if !bot.Sleep(ctx, time.Duration(max(pe.RetryAfter, 1))*time.Second) {
						return nil
					}
					continue
				}
			} else {
				a.log.Warn("get updates", "err", err)
			}
			if !bot.Sleep(ctx, backoff(a.cfg.Backoff, failures)) {
				return nil
			}
			failures++
			continue
		}
		if a.cfg.Journal == nil || len(ups) == 0 {
			failures = 0
			if a.takeBatch(ctx, sub, updatesOf(ups)) {
				a.offset = max(a.offset, last+1) // past undecodable updates too
			} else if !bot.Sleep(ctx, a.cfg.Backoff) {
				return nil
			}
			continue
		}
		id := ups[0].u.UpdateID
		if whole == nil {
			whole = joinBatch(ups)
		}
		if err := a.cfg.Journal.Keep(ctx, id, whole); err != nil {
			// Not kept: the offset stays, the batch is asked for again.
			a.log.Warn("keep fetched updates in the journal", "err", err)
			if !bot.Sleep(ctx, backoff(a.cfg.Backoff, failures)) {
				return nil
			}
			failures++
			continue
		}
		failures = 0
		a.offset = max(a.offset, last+1)
		if inflight != nil {
			// The batch before first: a chat's updates stay in order. If
			// polling stopped with some of it not taken, this one stays in
			// the journal behind it, for the next poller.
			all := <-inflight
			inflight = nil
			if !all {
				return nil
			}
		}
		done := make(chan bool, 1)
		go func() { // owned: waited for above or by the deferred wait
			done <- a.submitKept(ctx, heldBy(sub), id, ups)
		}()
		inflight = done
	}
	return nil
}

// fetch asks for the updates from the offset on, decoded one by one: an
// update that cannot be decoded is logged (its id and the kind of error),
// counted and skipped. last is the highest update id in the answer,
// undecodable ones included.
//
// When every update of the answer decodes and is new (the usual case),
// whole is the answer's list as it came, which the journal keeps as is,
// and the updates carry no JSON of their own.
func (a *Adapter) fetch(ctx context.Context, timeout int) (ups []fetched, last int, whole []byte, err error) {
	cfg := tgbotapi.UpdateConfig{Offset: a.offset, Limit: 100, Timeout: timeout, AllowedUpdates: allowedUpdates}
	rctx, cancel := context.WithTimeout(ctx, a.cfg.PollTimeout+15*time.Second)
	defer cancel()
	result, err := a.getUpdates(rctx, cfg)
	if err != nil {
		return nil, 0, nil, a.redact(err)
	}
	if ups, last, ok := decodeWhole(result, a.offset); ok {
		return ups, last, result, nil
	}
	all, bad, last, err := decodeUpdates(result, a.offset)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("telegram: get updates: %w", err)
	}
	a.skipUndecodable(bad)
	for _, f := range all {
		if f.u.UpdateID >= a.offset { // else already taken (a server that resends)
			ups = append(ups, f)
		}
	}
	return ups, last, nil, nil
}

// skipUndecodable logs and counts updates that cannot be decoded.
func (a *Adapter) skipUndecodable(bad []undecodable) {
	for _, b := range bad {
		a.Stats.Undecodable.Add(1)
		a.obs.Event("telegram_undecodable")
		a.log.Warn("update skipped: it cannot be decoded", "update", b.id, "error", b.kind)
	}
}

// replay submits the batches a poller left in the journal (a crash, or a
// stop before they were all taken), oldest first, before anything new is
// fetched. False when ctx ended first.
func (a *Adapter) replay(ctx context.Context, sub Submitter) bool {
	var kept [][]byte
	for n := 0; ; n++ {
		var err error
		if kept, err = a.cfg.Journal.Kept(ctx); err == nil {
			break
		}
		a.log.Warn("read the poll journal", "err", err)
		if !bot.Sleep(ctx, backoff(a.cfg.Backoff, n)) {
			return false
		}
	}
	for _, b := range kept {
		ups, _, last, err := decodeUpdates(b, 0)
		if err != nil || len(ups) == 0 {
			a.log.Warn("poll journal entry dropped: it cannot be read", "err", err)
			continue
		}
		a.log.Info("submitting updates a poller left in the journal", "updates", len(ups))
		// Submitted as new, not held: a batch left by a poller that died
		// may hold updates it had taken, and a turn computed before the
		// dedupe would run a step (a registration) again for a repeat.
		if !a.submitKept(ctx, sub, ups[0].u.UpdateID, ups) {
			return false
		}
		a.offset = max(a.offset, last+1)
	}
	return true
}

// submitKept submits a kept batch until every update of it was taken,
// then drops it from the journal and returns true. When ctx ends first,
// the batch stays in the journal for the next poller.
func (a *Adapter) submitKept(ctx context.Context, sub Submitter, id int, ups []fetched) bool {
	left := updatesOf(ups)
	for n := 0; ; n++ {
		taken := a.submitBatch(ctx, sub, left)
		rest := left[:0:0]
		for i, u := range left {
			if !taken[i] {
				rest = append(rest, u)
			}
		}
		if left = rest; len(left) == 0 {
			break
		}
		if !bot.Sleep(ctx, backoff(a.cfg.Backoff, n)) {
			return false
		}
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := a.cfg.Journal.Drop(dctx, id); err != nil {
		a.log.Warn("drop submitted updates from the journal (they will be submitted again, as duplicates)", "err", err)
	}
	return true
}

// heldBy is sub for the updates of a kept batch: a HeldSubmitter may run
// their turns before queueing them, since the journal keeps them until
// they are taken.
func heldBy(sub Submitter) Submitter {
	if hs, ok := sub.(HeldSubmitter); ok {
		return held{hs}
	}
	return sub
}

type held struct{ hs HeldSubmitter }

func (h held) Submit(ctx context.Context, msg bot.Message) error { return h.hs.SubmitHeld(ctx, msg) }

// joinBatch is a batch as the journal keeps it: a JSON array of the
// updates as Telegram sent them.
func joinBatch(ups []fetched) []byte {
	b := []byte{'['}
	for i, f := range ups {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.raw...)
	}
	return append(b, ']')
}

func updatesOf(fs []fetched) []tgbotapi.Update {
	ups := make([]tgbotapi.Update, len(fs))
	for i, f := range fs {
		ups[i] = f.u
	}
	return ups
}

// submitTimeout bounds the submission of one fetched batch.
const submitTimeout = 15 * time.Second

// submitWorkers bounds how many chats of one batch are submitted at once:
// a whole batch (getUpdates' limit). The ingests of concurrent chats share
// Redis pipelines, so a batch costs one or two round trips; with 16 at a
// time it took seven in a row, and the poll loop waited for them (under
// the harness the loop was the bottleneck: 8 % more turns a second).
const submitWorkers = 100

// takeBatch submits a batch and moves the offset past the longest run of
// updates that were all taken; false when one was not (it and the rest of
// its chat are offered again; updates of other chats after it come again
// too and are dropped as duplicates by the dispatcher).
func (a *Adapter) takeBatch(ctx context.Context, sub Submitter, ups []tgbotapi.Update) bool {
	var fresh []tgbotapi.Update
	for _, u := range ups {
		if u.UpdateID >= a.offset { // else already taken (a server that resends)
			fresh = append(fresh, u)
		}
	}
	taken := a.submitBatch(ctx, sub, fresh)
	for i, u := range fresh {
		if !taken[i] {
			return false
		}
		a.offset = u.UpdateID + 1
	}
	return true
}

// submitBatch submits updates: the updates of one chat in order, different
// chats in parallel; a chat stops at its first update not taken. taken
// says which were.
func (a *Adapter) submitBatch(ctx context.Context, sub Submitter, ups []tgbotapi.Update) (taken []bool) {
	taken = make([]bool, len(ups))
	groups := map[int64][]int{}
	var order []int64
	for i, u := range ups {
		k := chatOf(u)
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	// A fetched batch is finished even when polling stops meanwhile: a
	// Submit cut short would tell the person the service is down.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), submitTimeout)
	defer cancel()
	sem := make(chan struct{}, submitWorkers)
	var wg sync.WaitGroup
	for _, k := range order {
		idx := groups[k]
		sem <- struct{}{}
		wg.Add(1)
		a.workers.Go(func() { // owned: waited for below
			defer wg.Done()
			defer func() { <-sem }()
			for _, i := range idx {
				if !a.take(ctx, sub, ups[i]) {
					return // the chat's later updates wait, to keep its order
				}
				taken[i] = true
				if cb := ups[i].CallbackQuery; cb != nil {
					a.answerCallback(ctx, cb.ID)
				}
			}
		})
	}
	wg.Wait()
	return taken
}

// chatOf returns the chat an update belongs to (0 when it has none).
func chatOf(u tgbotapi.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		return u.CallbackQuery.From.ID
	}
	return 0
}
