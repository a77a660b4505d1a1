// Package ctxsleep waits for a duration or for a context, whichever ends
// first: the pauses of the engine (between waves, before a retry) and of
// the CLI (between connection attempts) stop at an interruption.
package ctxsleep

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx is done, and reports whether it waited all
// of d (false: ctx ended it).
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
