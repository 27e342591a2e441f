package wal

import (
	"fmt"
	"slices"
	"strings"

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
	valid := 0
	for _, q := range reqs {
		if err := validRecords(q.wins, q.controls); err != nil {
			q.err = err
			continue
		}
		valid++
	}
	if valid == 0 {
		return nil, nil
	}
	b := l.batch()
	if err := encodeRound(b, reqs); err != nil {
		l.state.fail(fmt.Errorf("%w: %w", errEncode, err))
		l.mu.RUnlock()
		return nil, l.state.failure()
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

// encodeRound puts the records of every request of a round that has no
// error into b, in ascending key order as far as it is cheap to get there:
// the requests sorted by their strand (activity, SKU), then all their wins,
// then all their head markers, then the control records. Pebble inserts a
// batch into its memtable (a skiplist) key by key with one cached splice, so
// a key just after the previous one is found from there instead of from the
// list's head: with a thousand shards' batches in a round, interleaving the
// wins ('w' keys) and head markers ('m' keys) of shards in arrival order made
// every insert a search from the top. The sort is stable and each kind of
// key keeps the requests' order, so two sets of one key (never expected: a
// shard has one request in flight) would still apply in arrival order. The
// batch is one atomic commit whatever its order; what it holds is what
// encodeBatch would put there for each request.
func encodeRound(b *pebble.Batch, reqs []*commitRequest) error {
	if len(reqs) > 1 {
		slices.SortStableFunc(reqs, compareStrands)
	}
	for _, q := range reqs {
		if q.err == nil {
			if err := putWins(b, q.wins); err != nil {
				return err
			}
		}
	}
	for _, q := range reqs {
		if q.err == nil {
			// In the same batch as their records: exactly as durable (head.go).
			if err := putHeads(b, q.wins); err != nil {
				return err
			}
		}
	}
	for _, q := range reqs {
		if q.err == nil {
			if err := putControls(b, q.controls); err != nil {
				return err
			}
		}
	}
	return nil
}

// compareStrands orders requests by the (activity, SKU) of their first
// record, the order of their keys in the store.
func compareStrands(x, y *commitRequest) int {
	xa, xs := x.strand()
	ya, ys := y.strand()
	if c := strings.Compare(xa, ya); c != 0 {
		return c
	}
	return strings.Compare(xs, ys)
}

// strand is the (activity, SKU) of q's first record.
func (q *commitRequest) strand() (activity, sku string) {
	if len(q.wins) > 0 {
		return q.wins[0].Activity, q.wins[0].SKU
	}
	if len(q.controls) > 0 {
		return q.controls[0].Activity, q.controls[0].SKU
	}
	return "", ""
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
