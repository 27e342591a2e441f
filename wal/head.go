package wal

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/cockroachdb/pebble/v2"

	"seckill/engine"
)

// A head marker records where one (activity, SKU) chain ends: the seq and
// hash of its last stored win. AppendWins writes it in the same pebble batch
// as the wins, so the marker and the records it names are committed
// atomically and a crash can never leave them disagreeing. An audit that
// finds the records of a SKU ending before the seq its marker names knows
// that the tail of the log was lost (a truncated tail); records beyond the
// marker, or a last record whose hash differs from the marker's, were
// written by something other than AppendWins.
//
// Key: the meta key "wal.head/" activity 0x00 sku (0x00 cannot occur in
// names, so the key splits unambiguously). Value: seq (8 bytes big-endian)
// followed by the 32-byte hash.
const headMetaPrefix = "wal.head/"

const headValueLen = 8 + hashSize

// Head is one head marker.
type Head struct {
	Activity string
	SKU      string
	Seq      uint64
	Hash     [32]byte
}

func headKeyLen(w *engine.Win) int {
	return 1 + len(headMetaPrefix) + len(w.Activity) + 1 + len(w.SKU)
}

func appendHeadKey(dst []byte, activity, sku string) []byte {
	return appendMarkerKey(dst, headMetaPrefix, activity, sku)
}

// appendMarkerKey appends the store key of a head marker: 'm' prefix
// activity 0x00 sku.
func appendMarkerKey(dst []byte, prefix, activity, sku string) []byte {
	dst = append(dst, metaPrefix)
	dst = append(dst, prefix...)
	dst = append(dst, activity...)
	dst = append(dst, 0)
	return append(dst, sku...)
}

// HeadMetaKey is the meta key (as ScanMeta and GetMeta name it) of the head
// marker of (activity, sku).
func HeadMetaKey(activity, sku string) string {
	return string(appendHeadKey(nil, activity, sku)[1:])
}

// putHeads adds to b one head marker for the last win of every run of
// consecutive wins of one (activity, SKU). When one SKU appears in several
// runs, the marker of the last run is the one that stays (a later Set of a
// key in a batch overrides an earlier one); since a shard hands over its
// wins in seq order, that is the highest seq. It does not allocate.
func putHeads(b *pebble.Batch, wins []engine.Win) error {
	for i := range wins {
		w := &wins[i]
		if i+1 < len(wins) && wins[i+1].Activity == w.Activity && wins[i+1].SKU == w.SKU {
			continue
		}
		op := b.SetDeferred(headKeyLen(w), headValueLen)
		appendHeadKey(op.Key[:0], w.Activity, w.SKU)
		binary.BigEndian.PutUint64(op.Value[:8], w.Seq)
		copy(op.Value[8:headValueLen], w.Hash[:])
		if err := finishOp(op); err != nil {
			return err
		}
	}
	return nil
}

// DecodeHead decodes a head marker from its meta key (without the store's
// 'm' prefix, as ScanMeta gives it) and value. Errors wrap ErrCorrupt.
func DecodeHead(key string, value []byte, h *Head) error {
	return decodeMarker(headMetaPrefix, key, value, h)
}

func decodeMarker(prefix, key string, value []byte, h *Head) error {
	names, ok := strings.CutPrefix(key, prefix)
	act, sku, found := strings.Cut(names, "\x00")
	if !ok || !found || !checkName(act) || !checkName(sku) {
		return fmt.Errorf("%w: head marker key %q", ErrCorrupt, key)
	}
	if len(value) != headValueLen {
		return fmt.Errorf("%w: head marker %q is %d bytes, want %d", ErrCorrupt, key, len(value), headValueLen)
	}
	h.Activity, h.SKU = act, sku
	h.Seq = binary.BigEndian.Uint64(value[:8])
	copy(h.Hash[:], value[8:])
	return nil
}

// ScanHeads calls fn for every head marker, in (activity, SKU) order. A
// marker that does not decode is passed to bad (with an error wrapping
// ErrCorrupt) and the scan goes on, so an audit can report it with the rest.
func (l *Log) ScanHeads(fn func(h *Head) error, bad func(key string, err error) error) error {
	return l.scanMarkers(headMetaPrefix, fn, bad)
}

func (l *Log) scanMarkers(prefix string, fn func(h *Head) error, bad func(key string, err error) error) error {
	var h Head
	return l.ScanMeta(prefix, func(key string, value []byte) error {
		if err := decodeMarker(prefix, key, value, &h); err != nil {
			return bad(key, err)
		}
		return fn(&h)
	})
}
