package wal

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"seckill/engine"
)

// A round is one synced pebble commit that carries the records of many
// shards: the Committer's unit of work (committer.go). It is split in two so
// that the next round can be applied while this one's fsync runs:
// beginRound encodes and applies the batch (pebble.DB.ApplyNoSyncWait: the
// records are in the WAL's buffer and the memtable, their fsync queued) and
// endRound waits for that fsync. Between the two the Log's read lock is held,
// so Close waits for every round in flight.

// beginRound takes the Log's read lock, puts every request whose records are
// valid into one pebble batch and applies it without waiting for its fsync.
// A request whose records are invalid gets its own error wrapping
// ErrInvalidWin in its err field and is left out, so one shard's bad batch never
// fails the others'. It returns the applied batch (nil when nothing was
// valid) with the lock still held: endRound must follow, on any goroutine,
// unless beginRound returned an error, in which case the lock is released
// and every accepted request fails with that error.
func (l *Log) beginRound(reqs []*commitRequest) (*pebble.Batch, error) {
	l.mu.RLock()
	if err := l.writable(); err != nil {
		l.mu.RUnlock()
		return nil, err
	}
	var b *pebble.Batch
	for _, q := range reqs {
		if err := validRecords(q.wins, q.controls); err != nil {
			q.err = err
			continue
		}
		if b == nil {
			b = l.batch()
		}
		if err := encodeBatch(b, q.wins, q.controls); err != nil {
			l.state.fail(fmt.Errorf("%w: %w", errEncode, err))
			l.mu.RUnlock()
			return nil, l.state.failure()
		}
	}
	if b == nil {
		return nil, nil
	}
	if err := l.apply(b, true); err != nil {
		l.mu.RUnlock()
		return nil, err
	}
	return b, nil
}

// endRound waits for the fsync of a batch beginRound applied, releases the
// Log's read lock, and reports whether the batch is durable: nil only when
// pebble's fsync covering it succeeded and the WAL fence saw no failure
// before it returned. A nil batch (a round of rejected requests) releases
// the lock only.
func (l *Log) endRound(b *pebble.Batch) error {
	defer l.mu.RUnlock()
	if b == nil {
		return nil
	}
	if err := b.SyncWait(); err != nil {
		l.state.fail(err)
		return l.state.failure()
	}
	// As in commit: the fence records a WAL failure before pebble releases
	// the waiters of the failed write or sync.
	if err := l.state.failure(); err != nil {
		return err
	}
	b.Reset()
	l.batches.Put(b)
	return nil
}

// validRecords checks what Append checks before writing anything.
func validRecords(wins []engine.Win, controls []engine.Control) error {
	for i := range wins {
		if err := validWin(&wins[i]); err != nil {
			return err
		}
	}
	for i := range controls {
		if err := validControl(&controls[i]); err != nil {
			return err
		}
	}
	return nil
}
