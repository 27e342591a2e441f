package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"seckill/engine"
)

const (
	winPrefix  = 'w'
	metaPrefix = 'm'
	// maxName is the longest Activity or SKU the canonical encoding allows
	// (one length byte, capped by the engine at 64).
	maxName  = 64
	hashSize = 32
)

// winBounds are the iterator bounds covering every winner key.
var (
	winLower = []byte{winPrefix}
	winUpper = []byte{winPrefix + 1}
)

// checkName reports whether s can be an Activity or SKU in a key: 1..64 bytes
// and no 0x00 (the key separator, which keeps keys byte-sortable).
func checkName(s string) bool {
	return len(s) > 0 && len(s) <= maxName && !containsZero(s)
}

func containsZero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

func validWin(w *engine.Win) error {
	if !checkName(w.Activity) || !checkName(w.SKU) {
		return fmt.Errorf("%w: activity %q sku %q seq %d: names must be 1..%d bytes without 0x00",
			ErrInvalidWin, w.Activity, w.SKU, w.Seq, maxName)
	}
	return nil
}

// winKeyLen and winValueLen give the exact encoded sizes of w.
func winKeyLen(w *engine.Win) int { return 1 + len(w.Activity) + 1 + len(w.SKU) + 1 + 8 }
func winValueLen(w *engine.Win) int {
	return engine.WinFixedBytes + 2 + len(w.Activity) + len(w.SKU) + hashSize
}

// AppendWinKey appends the winner key of w:
// 'w' activity 0x00 sku 0x00 seq(8 bytes big-endian).
func AppendWinKey(dst []byte, w *engine.Win) []byte {
	dst = append(dst, winPrefix)
	dst = append(dst, w.Activity...)
	dst = append(dst, 0)
	dst = append(dst, w.SKU...)
	dst = append(dst, 0)
	return binary.BigEndian.AppendUint64(dst, w.Seq)
}

// AppendWinValue appends the winner value of w: its canonical body
// (engine.AppendCanonical) followed by the 32-byte w.Hash as given (the
// stored hash is never recomputed here).
func AppendWinValue(dst []byte, w *engine.Win) []byte {
	dst = engine.AppendCanonical(dst, w)
	return append(dst, w.Hash[:]...)
}

var (
	errKeyShape   = errors.New("malformed winner key")
	errValueShape = errors.New("malformed winner value")
)

// DecodeWin decodes one winner record (a key and value as stored by
// AppendWins) into w. It checks the whole record: the key's shape, the
// canonical body (engine.DecodeCanonical), that exactly the 32-byte hash
// follows it, and that the activity, SKU and seq in the key equal those in
// the value. w.Hash is the stored hash; DecodeWin does not recompute or
// verify it (the caller verifies the chain). Errors wrap ErrCorrupt.
//
// Decoding many wins of one (activity, SKU) into the same w does not
// allocate. A record that DecodeWin accepts re-encodes (AppendWinKey,
// AppendWinValue) to exactly the same bytes.
func DecodeWin(key, value []byte, w *engine.Win) error {
	// Key: 'w' act 0 sku 0 seq8; the shortest is 'w' a 0 s 0 + 8.
	if len(key) < 1+1+1+1+1+8 || key[0] != winPrefix {
		return fmt.Errorf("%w: %v", ErrCorrupt, errKeyShape)
	}
	names := key[1 : len(key)-8]
	seq := binary.BigEndian.Uint64(key[len(key)-8:])
	if names[len(names)-1] != 0 {
		return fmt.Errorf("%w: %v", ErrCorrupt, errKeyShape)
	}
	names = names[:len(names)-1]
	i := bytes.IndexByte(names, 0)
	if i <= 0 || i > maxName {
		return fmt.Errorf("%w: %v", ErrCorrupt, errKeyShape)
	}
	act, sku := names[:i], names[i+1:]
	if len(sku) == 0 || len(sku) > maxName || bytes.IndexByte(sku, 0) >= 0 {
		return fmt.Errorf("%w: %v", ErrCorrupt, errKeyShape)
	}

	n, err := engine.DecodeCanonical(value, w)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if len(value) != n+hashSize {
		return fmt.Errorf("%w: %v: %d bytes after the body, want %d",
			ErrCorrupt, errValueShape, len(value)-n, hashSize)
	}
	if w.Seq != seq || w.Activity != string(act) || w.SKU != string(sku) {
		return fmt.Errorf("%w: key (%q, %q, %d) disagrees with value (%q, %q, %d)",
			ErrCorrupt, act, sku, seq, w.Activity, w.SKU, w.Seq)
	}
	copy(w.Hash[:], value[n:])
	return nil
}

// metaKey appends the store key of a metadata key: 'm' key.
func metaKey(dst []byte, key string) []byte {
	dst = append(dst, metaPrefix)
	return append(dst, key...)
}
