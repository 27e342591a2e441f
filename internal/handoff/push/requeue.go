package push

import (
	"fmt"

	"seckill/engine"
	"seckill/wal"
)

// Scopes of Requeue.
const (
	ScopeFailed = "failed" // the records parked as failed
	ScopeAll    = "all"    // every record in the store
)

// requeueChunk bounds one store write of Requeue, so moving millions of
// parked records never builds one giant batch in memory.
const requeueChunk = 10_000

// Requeue makes records deliverable again: ScopeFailed moves every failed
// record to the queue (the pusher sends queued records first, with a fresh
// attempt count); ScopeAll forgets all delivery state, so every record in
// the store is sent again (the mall deduplicates by key). It returns how
// many records will be sent again.
func (p *Pusher) Requeue(scope string) (uint64, error) {
	if scope != ScopeFailed && scope != ScopeAll {
		return 0, fmt.Errorf("%w: requeue scope %q (want %q or %q)", ErrOptions, scope, ScopeFailed, ScopeAll)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	defer func() {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}()
	// move deletes every key under prefix (queueing each again when asked)
	// one chunk per synced write; the keys it moved are gone from the next
	// scan, so each scan starts over at the prefix.
	move := func(prefix string, requeue bool) (n uint64, err error) {
		for {
			var ops []wal.MetaOp
			err := p.log.ScanMeta(prefix, func(key string, _ []byte) error {
				ops = append(ops, wal.MetaOp{Key: key, Delete: true})
				if requeue {
					ops = append(ops, wal.MetaOp{Key: queuedPrefix + key[len(prefix):], Value: queuedValue(0)})
				}
				n++
				if len(ops) >= requeueChunk {
					return errFull
				}
				return nil
			})
			if err != nil && err != errFull {
				return n, err
			}
			if len(ops) == 0 {
				return n, nil
			}
			if err := p.log.ApplyMeta(ops); err != nil {
				return n, err
			}
		}
	}
	if scope == ScopeFailed {
		return move(failedPrefix, true)
	}
	for _, prefix := range []string{failedPrefix, queuedPrefix, markPrefix, promotedPrefix} {
		if _, err := move(prefix, false); err != nil {
			return 0, err
		}
	}
	clear(p.marks)
	clear(p.promoted)
	var n uint64
	err := p.log.ScanWinsAfter(func(head *engine.Win) (uint64, error) {
		n += head.Seq
		return head.Seq, nil
	}, func(*engine.Win) error { return nil })
	return n, err
}
