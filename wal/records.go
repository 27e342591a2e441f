package wal

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"seckill/engine"
)

// Record is one stored winner record as ScanRecords sees it, good or bad.
type Record struct {
	// Activity, SKU and Seq come from the key. KeyOK is false when the key
	// itself is malformed; then they are empty and Key is all there is.
	Key      []byte // valid only during the call
	KeyOK    bool
	Activity string
	SKU      string
	Seq      uint64
	// Win is the decoded value when ValueOK is set: a well-formed record
	// body and hash. It may still disagree with the key (Err says so).
	Win     engine.Win
	ValueOK bool
	// Err is nil for a record ScanWins would accept; otherwise it wraps
	// ErrCorrupt and says what is wrong.
	Err error
}

// ScanRecords calls fn for every winner record in key order, like ScanWins,
// but a record that does not decode does not stop the scan: it is handed to
// fn with Err set, and as much of it as could be read. The audit uses it to
// report every bad record and to tell a partly written last record (a
// truncated tail) from corruption in the middle of a chain. *r is reused
// between calls. An error from fn stops the scan and is returned as is.
func (l *Log) ScanRecords(fn func(r *Record) error) error {
	return l.ScanRecordsIn(RecordRange{Lower: winLower, Upper: winUpper}, fn)
}

// RecordRange is a range of winner keys, [Lower, Upper). RecordRanges cuts
// the key space into ranges that each start where one (activity, SKU) chain
// starts, so that readers can take chains in parallel, each with its own
// ScanRecordsIn.
type RecordRange struct {
	Activity, SKU string // the chain the range starts with; empty if none
	Lower, Upper  []byte
}

// RecordRanges returns ranges that together cover every winner key, in key
// order, one per (activity, SKU) that has records. It seeks from chain to
// chain rather than reading every record, so it costs one seek per chain.
// Keys that do not parse as winner keys fall into the range before them
// (or the first one), where ScanRecordsIn reports them.
func (l *Log) RecordRanges() ([]RecordRange, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return nil, ErrClosed
	}
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: winLower, UpperBound: winUpper})
	if err != nil {
		return nil, l.readErr(err)
	}
	var out []RecordRange
	for ok := it.First(); ok; {
		act, sku, _, parsed := parseWinKey(it.Key())
		if !parsed {
			ok = it.Next()
			continue
		}
		// The chain's keys are prefix + seq, prefix = 'w' act 0 sku 0; the
		// prefix with its final 0 raised to 1 is above all of them and not
		// above any other chain's first key.
		prefix := it.Key()[:len(it.Key())-8]
		r := RecordRange{Activity: string(act), SKU: string(sku), Lower: append([]byte(nil), prefix...)}
		if n := len(out); n > 0 {
			out[n-1].Upper = r.Lower
		}
		out = append(out, r)
		next := append([]byte(nil), prefix...)
		next[len(next)-1] = 1
		ok = it.SeekGE(next)
	}
	if err := it.Close(); err != nil {
		return nil, l.readErr(err)
	}
	if len(out) == 0 {
		return []RecordRange{{Lower: winLower, Upper: winUpper}}, nil
	}
	out[0].Lower = winLower
	out[len(out)-1].Upper = winUpper
	return out, nil
}

// ScanRecordsIn is ScanRecords over one range of winner keys.
func (l *Log) ScanRecordsIn(rg RecordRange, fn func(r *Record) error) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: rg.Lower, UpperBound: rg.Upper})
	if err != nil {
		return l.readErr(err)
	}
	var r Record
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return l.readErr(err)
		}
		r.Key = it.Key()
		if r.Err = DecodeWin(r.Key, v, &r.Win); r.Err == nil {
			// The common case: the names are the Win's (no allocation).
			r.KeyOK, r.ValueOK = true, true
			r.Activity, r.SKU, r.Seq = r.Win.Activity, r.Win.SKU, r.Win.Seq
		} else {
			r.readBad(v)
		}
		if err := fn(&r); err != nil {
			_ = it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return l.readErr(err)
	}
	return nil
}

// readBad fills r with what can be read of a record DecodeWin refused.
func (r *Record) readBad(v []byte) {
	r.Err = fmt.Errorf("key %q: %w", r.Key, r.Err)
	act, sku, seq, ok := parseWinKey(r.Key)
	r.KeyOK = ok
	r.Activity, r.SKU, r.Seq = "", "", 0
	if ok {
		r.Activity, r.SKU, r.Seq = string(act), string(sku), seq
	}
	r.Win = engine.Win{}
	n, err := engine.DecodeCanonical(v, &r.Win)
	r.ValueOK = err == nil && len(v) == n+hashSize
	if r.ValueOK {
		copy(r.Win.Hash[:], v[n:])
	}
}

// parseWinKey splits a winner key into its activity, SKU and seq, with the
// same rules as DecodeWin.
func parseWinKey(key []byte) (act, sku []byte, seq uint64, ok bool) {
	return parseChainKey(key, winPrefix)
}
