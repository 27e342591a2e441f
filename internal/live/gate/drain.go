package gate

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// drainPoll is how often a draining front end looks at its queue: short
// next to a group commit, so shutdown waits little after the last reply.
const drainPoll = 10 * time.Millisecond

// WaitQueued waits until queued — a front end's count of attempts handed to
// shards and not yet answered — reaches zero, or ctx ends. Front ends call it
// while draining, after they started answering new requests unavailable, so
// that a shutdown loses no reply.
func WaitQueued(ctx context.Context, queued *atomic.Int64) error {
	t := time.NewTicker(drainPoll)
	defer t.Stop()
	for queued.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("gate: drain: %d attempts still queued: %w", queued.Load(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}
