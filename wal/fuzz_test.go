package wal

import (
	"bytes"
	"testing"

	"seckill/engine"
)

// FuzzDecodeWin feeds arbitrary keys and values to DecodeWin: it never
// panics, and a record it accepts re-encodes to the same bytes.
func FuzzDecodeWin(f *testing.F) {
	for _, w := range chain("act", "sku", 3, 7) {
		f.Add(AppendWinKey(nil, &w), AppendWinValue(nil, &w))
	}
	f.Fuzz(func(t *testing.T, key, value []byte) {
		var w engine.Win
		if err := DecodeWin(key, value, &w); err != nil {
			return
		}
		if k := AppendWinKey(nil, &w); !bytes.Equal(k, key) {
			t.Fatalf("key re-encodes to %x, was %x", k, key)
		}
		if v := AppendWinValue(nil, &w); !bytes.Equal(v, value) {
			t.Fatalf("value re-encodes to %x, was %x", v, value)
		}
		// A second decode into the same Win gives the same result.
		w2 := w
		if err := DecodeWin(key, value, &w2); err != nil || w2 != w {
			t.Fatalf("second decode differs: %v", err)
		}
	})
}
