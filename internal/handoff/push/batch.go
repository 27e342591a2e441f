package push

import (
	"errors"

	"seckill/engine"
	"seckill/wal"
)

// errFull stops a store scan once the batch is full.
var errFull = errors.New("push: batch full")

// next reads the next batch from the store: queued records first (an
// operator asked for them), else the pending records after each chain's
// mark, in key order. A chain under retry contributes exactly the records
// that failed before, so their attempt count stays theirs.
func (p *Pusher) next() (*batch, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := &p.b
	b.wins, b.queued, b.spans, b.gen = b.wins[:0], b.queued[:0], b.spans[:0], p.gen
	if b.wins == nil {
		b.wins = make([]engine.Win, 0, p.opts.Batch)
	}
	if err := p.nextQueued(b); err != nil || len(b.wins) > 0 {
		return b, err
	}
	b.queued = nil
	var limit uint64
	err := p.log.ScanWinsAfter(func(head *engine.Win) (uint64, error) {
		if len(b.wins) >= p.opts.Batch {
			return 0, errFull
		}
		k := chainKey{head.Activity, head.SKU}
		m := p.marks[k]
		if m.Settled >= head.Seq {
			return head.Seq, nil
		}
		limit = head.Seq
		if m.Attempts > 0 && m.TryThrough > m.Settled {
			limit = min(limit, m.TryThrough)
		}
		b.spans = append(b.spans, chainSpan{key: k, mark: m})
		return m.Settled, nil
	}, func(w *engine.Win) error {
		if w.Seq > limit {
			return wal.SkipChain
		}
		b.wins = append(b.wins, *w)
		b.spans[len(b.spans)-1].last = w.Seq
		if len(b.wins) >= p.opts.Batch {
			return errFull
		}
		return nil
	})
	if err != nil && err != errFull {
		return b, err
	}
	return b, nil
}

// nextQueued fills b with queued records, if there are any. It reads the
// queued keys first and the wins they name after that scan ended: a GetWin
// inside ScanMeta's callback would take the log's read lock recursively,
// which deadlocks once a writer (Close) waits between the two.
func (p *Pusher) nextQueued(b *batch) error {
	type queued struct {
		act, sku string
		seq      uint64
		attempts uint32
	}
	var keys []queued
	err := p.log.ScanMeta(queuedPrefix, func(key string, v []byte) error {
		act, sku, seq, err := parseRecordKey(queuedPrefix, key)
		if err != nil {
			return err
		}
		keys = append(keys, queued{act, sku, seq, queuedAttempts(v)})
		if len(keys) >= p.opts.Batch {
			return errFull
		}
		return nil
	})
	if err != nil && err != errFull {
		return err
	}
	var w engine.Win
	for _, k := range keys {
		ok, err := p.log.GetWin(k.act, k.sku, k.seq, &w)
		if err != nil {
			return err
		}
		if !ok {
			return ErrState // a queued key names a win the store does not hold
		}
		b.wins = append(b.wins, w)
		b.queued = append(b.queued, k.attempts)
	}
	return nil
}
