package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// CurationNoticeQueue is the storage of curation status changes waiting to
// be told to their owners: taking one moves it to a busy list until done;
// requeueing puts busy ones (a process died mid-send) back.
type CurationNoticeQueue interface {
	NextCurationNotice(ctx context.Context, region string, wait time.Duration) (n umkm.CurationNotice, done func(context.Context) error, ok bool, err error)
	RequeueCurationNotices(ctx context.Context, region string) (int, error)
}

// CurationNotices tells owners that the Dinas changed the status of their
// curation application (an officer set it in the web console or the CLI,
// where no channel runs).
type CurationNotices struct {
	Store    CurationNoticeQueue
	Region   string
	Notifier bot.Notifier
	// Compose builds the owner's message; the flows own the words.
	Compose func(app, target, status, note string) bot.Out
	Log     *slog.Logger
}

// Run sends queued notices until ctx ends.
func (c *CurationNotices) Run(ctx context.Context) error {
	if n, err := c.Store.RequeueCurationNotices(ctx, c.Region); err != nil {
		if ctx.Err() != nil { // stopped before the job started: not a failure
			return nil
		}
		return err
	} else if n > 0 {
		c.Log.Info("requeued curation notices left unsent", "count", n)
	}
	// Block a second at a time: go-redis does not abort a blocking BLMOVE
	// when ctx is cancelled, and serve should stop promptly.
	for ctx.Err() == nil {
		if _, err := c.Drain(ctx, time.Second); err != nil {
			if ctx.Err() != nil {
				break
			}
			c.Log.Warn("curation notices", "err", err)
			if !bot.Sleep(ctx, 10*time.Second) {
				break
			}
			if _, err := c.Store.RequeueCurationNotices(ctx, c.Region); err != nil && ctx.Err() == nil {
				c.Log.Warn("requeue curation notices", "err", err)
			}
		}
	}
	return nil
}

// Drain sends notices until none comes within wait. A notice for a channel
// this process does not serve, or a person who blocked the bot, is dropped
// with a log line; another send error stops the drain with the notice left
// in the busy list for requeueing.
func (c *CurationNotices) Drain(ctx context.Context, wait time.Duration) (int, error) {
	sent := 0
	for {
		notice, done, ok, err := c.Store.NextCurationNotice(ctx, c.Region, wait)
		if err != nil || !ok {
			return sent, err
		}
		to, valid := bot.ParseConversation(notice.Conv)
		if valid {
			err = c.Notifier.Notify(ctx, to, c.Compose(notice.App, notice.TargetName, string(notice.Status), notice.Note))
		}
		switch {
		case !valid, errors.Is(err, bot.ErrNoChannel), errors.Is(err, bot.ErrUnreachable):
			bot.ConvLogger(c.Log, to, "").Warn("curation notice dropped", "app", notice.App, "err", err)
		case err != nil:
			return sent, fmt.Errorf("notify %s of %s: %w", to.Channel, notice.App, err)
		default:
			sent++
		}
		if err := done(ctx); err != nil {
			return sent, err
		}
	}
}
