package telegram

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
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
			sleep(ctx, retry)
			continue
		}
		a.log.Info("polling lease taken", "owner", a.cfg.Owner)
		if err := a.pollHeld(ctx, sub); err != nil {
			return err
		}
	}
	return nil
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
		for sleep(pctx, every) {
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

// poll runs getUpdates until ctx ends. The offset moves past an update only
// after Submit took it; a failed Submit ends the batch and the same update
// is asked for again after a pause.
func (a *Adapter) poll(ctx context.Context, sub Submitter) error {
	failures := 0
	timeout := int(a.cfg.PollTimeout / time.Second)
	if timeout < 1 {
		timeout = 1
	}
	for ctx.Err() == nil {
		cfg := tgbotapi.UpdateConfig{Offset: a.offset, Limit: 100, Timeout: timeout, AllowedUpdates: allowedUpdates}
		rctx, cancel := context.WithTimeout(ctx, a.cfg.PollTimeout+15*time.Second)
		ups, err := a.call(rctx).GetUpdates(cfg)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			err = a.redact(err)
			a.Stats.PollErrors.Add(1)
			if pe, ok := apiError(err); ok {
				switch pe.Code {
				case http.StatusUnauthorized, http.StatusNotFound:
					return fmt.Errorf("telegram: the bot token was refused (%d %s): %w", pe.Code, pe.Message, err)
				case http.StatusConflict:
					a.Stats.Conflicts.Add(1)
					a.log.Warn("another process or a webhook takes this bot's updates (409)", "err", err)
				case http.StatusTooManyRequests:
					if !sleep(ctx, time.Duration(max(pe.RetryAfter, 1))*time.Second) {
						return nil
					}
					continue
				}
			} else {
				a.log.Warn("get updates", "err", err)
			}
			if !sleep(ctx, backoff(a.cfg.Backoff, failures)) {
				return nil
			}
			failures++
			continue
		}
		failures = 0
		if !a.takeBatch(ctx, sub, ups) && !sleep(ctx, a.cfg.Backoff) {
			return nil
		}
	}
	return nil
}

// submitTimeout bounds the submission of one fetched batch.
const submitTimeout = 15 * time.Second

// submitWorkers bounds how many chats of one batch are submitted at once.
const submitWorkers = 16

// takeBatch submits a batch: the updates of one chat in order, different
// chats in parallel. The offset moves past the longest run of updates that
// were all taken; false when one was not (it and the rest of its chat are
// offered again; updates of other chats after it come again too and are
// dropped as duplicates by the dispatcher).
func (a *Adapter) takeBatch(ctx context.Context, sub Submitter, ups []tgbotapi.Update) bool {
	var fresh []tgbotapi.Update
	for _, u := range ups {
		if u.UpdateID >= a.offset { // else already taken (a server that resends)
			fresh = append(fresh, u)
		}
	}
	taken := make([]bool, len(fresh))
	groups := map[int64][]int{}
	var order []int64
	for i, u := range fresh {
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
		go func() { // owned: waited for below
			defer wg.Done()
			defer func() { <-sem }()
			for _, i := range idx {
				if !a.take(ctx, sub, fresh[i]) {
					return // the chat's later updates wait, to keep its order
				}
				taken[i] = true
				if cb := fresh[i].CallbackQuery; cb != nil {
					a.answerCallback(ctx, cb.ID)
				}
			}
		}()
	}
	wg.Wait()
	for i, u := range fresh {
		if !taken[i] {
			return false
		}
		a.offset = u.UpdateID + 1
	}
	return true
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
