package wal

import (
	"fmt"
	"strings"

	"github.com/cockroachdb/pebble/v2"
)

// MetaOp is one change ApplyMeta makes: set Key to Value, or delete Key.
type MetaOp struct {
	Key    string
	Value  []byte
	Delete bool
}

// ApplyMeta makes every op durable in ONE batch committed with pebble.Sync:
// after a crash either all of them are in the store or none is. That is what
// lets export advance its cursor and drop its intent together, and the
// pusher record a batch's delivery in one write. Keys starting with "wal."
// are reserved. It fails like AppendWins.
func (l *Log) ApplyMeta(ops []MetaOp) error {
	for _, op := range ops {
		if op.Key == "" || strings.HasPrefix(op.Key, "wal.") {
			return fmt.Errorf("wal: invalid meta key %q", op.Key)
		}
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if err := l.writable(); err != nil {
		return err
	}
	if len(ops) == 0 {
		return nil
	}
	b := l.batch()
	var k []byte
	for _, op := range ops {
		k = metaKey(k[:0], op.Key)
		var err error
		if op.Delete {
			err = b.Delete(k, nil)
		} else {
			err = b.Set(k, op.Value, nil)
		}
		if err != nil {
			b.Reset()
			l.batches.Put(b)
			return fmt.Errorf("wal: meta batch: %w", err)
		}
	}
	return l.commit(b)
}

// ScanMeta calls fn for every metadata key starting with prefix, in byte
// order. key and value are valid only during the call. An error from fn
// stops the scan and is returned as is.
func (l *Log) ScanMeta(prefix string, fn func(key string, value []byte) error) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	lower := metaKey(nil, prefix)
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return l.readErr(err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return l.readErr(err)
		}
		if err := fn(string(it.Key()[1:]), v); err != nil {
			_ = it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return l.readErr(err)
	}
	return nil
}

// prefixEnd returns the smallest key greater than every key starting with
// p, or nil (no bound) when p is all 0xff.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
