package bot

import (
	"context"
	"fmt"
	"time"
)

// This file holds the contracts between the core and a channel beyond
// Sender: pacing, a platform's "slow down", photos and bulk sending.

// RetryAfterError is what a channel returns when the platform asks to slow
// down (Telegram's 429 with retry_after): the limiter waits After.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("slow down: retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// RateLimiter paces sends per channel across every process.
type RateLimiter interface {
	// Reserve takes a send slot on ch now and returns 0, or returns how
	// long to wait before asking again.
	Reserve(ctx context.Context, ch ChannelID) (time.Duration, error)
	// SlowDown makes ch wait at least after and halves its rate for a while.
	SlowDown(ctx context.Context, ch ChannelID, after time.Duration) error
}

// PhotoNotifier is an optional capability of a Notifier: sending a photo
// (a file reference from channel from) with the message as its caption.
// Without it, broadcasts go out as text only (and the preview says so).
type PhotoNotifier interface {
	NotifyPhoto(ctx context.Context, to Conversation, photo Media, from ChannelID, caption Out) error
}

// BulkChecker is an optional capability of a channel: whether messages
// nobody asked for may be sent now, and if not until when (WhatsApp
// reports temporary bans). Fan-out holds the channel's deliveries while it
// says no.
type BulkChecker interface {
	BulkAllowed() (ok bool, until time.Time)
}
