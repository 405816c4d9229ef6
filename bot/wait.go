package bot

import (
	"context"
	"time"
)

// Sleep waits d or until ctx ends; false if ctx ended first. A d of zero
// or less returns at once.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
