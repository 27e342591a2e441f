package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"seckill/engine"
)

// Control records (engine.Control) are stored beside the wins under their
// own prefix, one key per record:
//
//	'c' activity 0x00 sku 0x00 seq(8 bytes BE)
//
// with the canonical encoding (engine.AppendControlCanonical) followed by the
// 32-byte hash as the value. Their place among the wins is in the record
// itself (AfterWins), so the win keys, and every reader of wins only, stay
// as they were. Each SKU's control strand has a head marker of its own,
// "wal.chead/" activity 0x00 sku, written in the same batch as the records.
const controlPrefix = 'c'

const controlHeadMetaPrefix = "wal.chead/"

var (
	controlLower = []byte{controlPrefix}
	controlUpper = []byte{controlPrefix + 1}
)

func validControl(c *engine.Control) error {
	if !checkName(c.Activity) || !checkName(c.SKU) || len(c.Data) > engine.MaxControlData {
		return fmt.Errorf("%w: control %q/%q seq %d: names must be 1..%d bytes without 0x00, data at most %d bytes",
			ErrInvalidWin, c.Activity, c.SKU, c.Seq, maxName, engine.MaxControlData)
	}
	return nil
}

func controlKeyLen(c *engine.Control) int { return 1 + len(c.Activity) + 1 + len(c.SKU) + 1 + 8 }

// appendChainKey appends prefix activity 0x00 sku 0x00 seq(8 BE): the key
// shape of wins and control records alike.
func appendChainKey(dst []byte, prefix byte, activity, sku string, seq uint64) []byte {
	dst = append(dst, prefix)
	dst = append(dst, activity...)
	dst = append(dst, 0)
	dst = append(dst, sku...)
	dst = append(dst, 0)
	return binary.BigEndian.AppendUint64(dst, seq)
}

// AppendControlKey appends the store key of control record c.
func AppendControlKey(dst []byte, c *engine.Control) []byte {
	return appendChainKey(dst, controlPrefix, c.Activity, c.SKU, c.Seq)
}

// AppendControlValue appends the stored value of c: its canonical body
// followed by c.Hash as given.
func AppendControlValue(dst []byte, c *engine.Control) []byte {
	dst = engine.AppendControlCanonical(dst, c)
	return append(dst, c.Hash[:]...)
}

// ControlHeadMetaKey is the meta key (as ScanMeta names it) of the head
// marker of (activity, sku)'s control strand.
func ControlHeadMetaKey(activity, sku string) string {
	return string(appendMarkerKey(nil, controlHeadMetaPrefix, activity, sku)[1:])
}

// putControls adds every control record and, per (activity, SKU), the head
// marker of its control strand to b. Controls of one SKU come in seq order.
func putControls(b *pebble.Batch, controls []engine.Control) error {
	for i := range controls {
		c := &controls[i]
		vl := engine.ControlCanonicalLen(c) + hashSize
		op := b.SetDeferred(controlKeyLen(c), vl)
		AppendControlKey(op.Key[:0], c)
		if n := len(AppendControlValue(op.Value[:0], c)); n != vl {
			panic(fmt.Sprintf("wal: encoded control is %d bytes, want %d", n, vl))
		}
		if err := finishOp(op); err != nil {
			return err
		}
		if i+1 < len(controls) && controls[i+1].Activity == c.Activity && controls[i+1].SKU == c.SKU {
			continue
		}
		hop := b.SetDeferred(1+len(controlHeadMetaPrefix)+len(c.Activity)+1+len(c.SKU), headValueLen)
		appendMarkerKey(hop.Key[:0], controlHeadMetaPrefix, c.Activity, c.SKU)
		binary.BigEndian.PutUint64(hop.Value[:8], c.Seq)
		copy(hop.Value[8:headValueLen], c.Hash[:])
		if err := finishOp(hop); err != nil {
			return err
		}
	}
	return nil
}

// DecodeControl decodes one stored control record into c, checking the key's
// shape, the body, that exactly the hash follows it, and that the names and
// seq in the key equal those in the body. Errors wrap ErrCorrupt.
func DecodeControl(key, value []byte, c *engine.Control) error {
	act, sku, seq, ok := parseChainKey(key, controlPrefix)
	if !ok {
		return fmt.Errorf("%w: malformed control key %q", ErrCorrupt, key)
	}
	n, err := engine.DecodeControlCanonical(value, c)
	if err != nil {
		return fmt.Errorf("%w: control key %q: %v", ErrCorrupt, key, err)
	}
	if len(value) != n+hashSize {
		return fmt.Errorf("%w: control key %q: %d bytes after the body, want %d", ErrCorrupt, key, len(value)-n, hashSize)
	}
	if c.Seq != seq || c.Activity != string(act) || c.SKU != string(sku) {
		return fmt.Errorf("%w: control key %q disagrees with its record (%q, %q, %d)", ErrCorrupt, key, c.Activity, c.SKU, c.Seq)
	}
	copy(c.Hash[:], value[n:])
	return nil
}

// ControlRecord is one stored control record as ScanControls sees it.
type ControlRecord struct {
	// Activity, SKU and Seq come from the key; KeyOK is false when the key
	// is malformed.
	Activity, SKU string
	Seq           uint64
	KeyOK         bool
	// Control is the decoded record when Err is nil. Its Hash is the
	// stored one, not recomputed; Set is nil.
	Control engine.Control
	// Err, wrapping ErrCorrupt, says why the record does not decode.
	Err error
}

// ScanControls calls fn for every control record, in (activity, SKU, seq)
// order. A record that does not decode is handed to fn with Err set and the
// scan goes on: recovery refuses it, the audit reports it. *r is fresh for
// every call (controls are few, and a caller keeps them). An error from fn
// stops the scan and is returned as is.
func (l *Log) ScanControls(fn func(r *ControlRecord) error) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: controlLower, UpperBound: controlUpper})
	if err != nil {
		return l.readErr(err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return l.readErr(err)
		}
		r := &ControlRecord{}
		act, sku, seq, keyOK := parseChainKey(it.Key(), controlPrefix)
		if keyOK {
			r.Activity, r.SKU, r.Seq, r.KeyOK = string(act), string(sku), seq, true
		}
		r.Err = DecodeControl(it.Key(), v, &r.Control)
		if err := fn(r); err != nil {
			_ = it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return l.readErr(err)
	}
	return nil
}

// ScanControlHeads calls fn for the head marker of every SKU's control
// strand (Head.Seq and Head.Hash are its last control record's), like
// ScanHeads does for the win strands.
func (l *Log) ScanControlHeads(fn func(h *Head) error, bad func(key string, err error) error) error {
	return l.scanMarkers(controlHeadMetaPrefix, fn, bad)
}

// parseChainKey splits a win or control key into its activity, SKU and seq.
func parseChainKey(key []byte, prefix byte) (act, sku []byte, seq uint64, ok bool) {
	if len(key) < 1+1+1+1+1+8 || key[0] != prefix {
		return nil, nil, 0, false
	}
	names := key[1 : len(key)-8]
	if names[len(names)-1] != 0 {
		return nil, nil, 0, false
	}
	names = names[:len(names)-1]
	i := bytes.IndexByte(names, 0)
	if i <= 0 || i > maxName {
		return nil, nil, 0, false
	}
	act, sku = names[:i], names[i+1:]
	if len(sku) == 0 || len(sku) > maxName || bytes.IndexByte(sku, 0) >= 0 {
		return nil, nil, 0, false
	}
	return act, sku, binary.BigEndian.Uint64(key[len(key)-8:]), true
}

// errEncode marks a failure to encode a batch (a pebble batch op that did
// not finish): the batch is dropped and the Log failed.
var errEncode = errors.New("encode batch")
