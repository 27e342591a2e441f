package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"seckill/engine"
)

// ScanWinsAfter walks the store one (activity, sku) chain at a time, in key
// order, through ONE iterator, so every chain is read from the same
// consistent view even while shards keep appending. For each chain it first
// calls head with the chain's last win (its Seq is the chain's length and its
// Hash the chain head); head returns the seq after which fn is to be called
// for that chain (0: the whole chain; head.Seq or more: none of it). Skipped
// wins are never read: the iterator seeks past them, so an incremental
// reader (export, push) costs O(chains + new wins), not O(store).
//
// w and last are reused between calls (copy to keep). fn returning
// SkipChain moves on to the next chain without reading the rest of this
// one. Any other error from head or fn stops the walk and is returned as
// is; a record that does not decode is ErrCorrupt, as in ScanWins.
func (l *Log) ScanWinsAfter(head func(last *engine.Win) (after uint64, err error), fn func(w *engine.Win) error) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: winLower, UpperBound: winUpper})
	if err != nil {
		return l.readErr(err)
	}
	err = walkChains(it, head, fn)
	if cerr := it.Close(); err == nil && cerr != nil {
		err = l.readErr(cerr)
	}
	var ce *chainErr
	if errors.As(err, &ce) {
		return l.readErr(ce.err)
	}
	return err
}

// SkipChain, returned by ScanWinsAfter's fn, skips the rest of the chain.
var SkipChain = errors.New("wal: skip the rest of this chain")

// chainErr marks an iterator error so ScanWinsAfter can classify it while
// errors from the callbacks pass through untouched.
type chainErr struct{ err error }

func (e *chainErr) Error() string { return e.err.Error() }

func walkChains(it *pebble.Iterator, head func(*engine.Win) (uint64, error), fn func(*engine.Win) error) error {
	var last, w engine.Win
	var prefix, upper, seek []byte
	for ok := it.First(); ok; {
		// The chain prefix is the key without its 8-byte seq; its upper
		// bound replaces the trailing 0x00 by 0x01 (names hold no 0x00).
		k := it.Key()
		if len(k) < 9 {
			return fmt.Errorf("%w: key %q: %v", ErrCorrupt, k, errKeyShape)
		}
		prefix = append(prefix[:0], k[:len(k)-8]...)
		upper = append(append(upper[:0], prefix[:len(prefix)-1]...), 1)
		if !it.SeekLT(upper) {
			return iterErr(it)
		}
		if err := decodeAt(it, &last); err != nil {
			return err
		}
		after, err := head(&last)
		if err != nil {
			return err
		}
		if after < last.Seq {
			seek = binary.BigEndian.AppendUint64(append(seek[:0], prefix...), after+1)
			for ok = it.SeekGE(seek); ok && bytes.HasPrefix(it.Key(), prefix); ok = it.Next() {
				if err := decodeAt(it, &w); err != nil {
					return err
				}
				if err := fn(&w); err != nil {
					if err == SkipChain {
						break
					}
					return err
				}
			}
			if err := it.Error(); err != nil {
				return &chainErr{err}
			}
		}
		ok = it.SeekGE(upper)
	}
	return iterErr(it)
}

func iterErr(it *pebble.Iterator) error {
	if err := it.Error(); err != nil {
		return &chainErr{err}
	}
	return nil
}

func decodeAt(it *pebble.Iterator, w *engine.Win) error {
	v, err := it.ValueAndErr()
	if err != nil {
		return &chainErr{err}
	}
	if err := DecodeWin(it.Key(), v, w); err != nil {
		return fmt.Errorf("key %q: %w", it.Key(), err)
	}
	return nil
}

// GetWin reads the win (activity, sku, seq) into w and reports whether the
// store holds it.
func (l *Log) GetWin(activity, sku string, seq uint64, w *engine.Win) (bool, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return false, ErrClosed
	}
	key := AppendWinKey(nil, &engine.Win{Activity: activity, SKU: sku, Seq: seq})
	v, closer, err := l.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, l.readErr(err)
	}
	defer closer.Close()
	if err := DecodeWin(key, v, w); err != nil {
		return false, fmt.Errorf("key %q: %w", key, err)
	}
	return true, nil
}
