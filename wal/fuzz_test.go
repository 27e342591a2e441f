package wal

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"seckill/engine"
)

// FuzzDecodeWin feeds arbitrary keys and values to DecodeWin: it never
// panics, a record it accepts re-encodes to the same bytes, and the valid
// records it was seeded with keep decoding (a format change that breaks them
// fails here, it does not pass as "rejected input").
func FuzzDecodeWin(f *testing.F) {
	type pair struct{ key, value string }
	valid := map[pair]bool{}
	for _, w := range chain("act", "sku", 3, 7) {
		k, v := AppendWinKey(nil, &w), AppendWinValue(nil, &w)
		valid[pair{string(k), string(v)}] = true
		f.Add(k, v)
	}
	f.Fuzz(func(t *testing.T, key, value []byte) {
		var w engine.Win
		if err := DecodeWin(key, value, &w); err != nil {
			if valid[pair{string(key), string(value)}] {
				t.Fatalf("a record AppendWinKey/AppendWinValue wrote does not decode: %v", err)
			}
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

// TestCommittedValidWinsDecode: the corpus files named valid-* hold records
// written by an earlier version of this package; they must keep decoding,
// verify their own hash, and re-encode byte for byte. The fuzz run treats a
// failed decode as an uninteresting input, so this is where a silent format
// change shows.
func TestCommittedValidWinsDecode(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzDecodeWin/valid-*")
	if err != nil || len(files) < 4 {
		t.Fatalf("want the 4 committed valid-* records, found %d (%v)", len(files), err)
	}
	for _, file := range files {
		key, value := readCorpusPair(t, file)
		var w engine.Win
		if err := DecodeWin(key, value, &w); err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		// valid-long-names pins the name length limits; its hash field is
		// arbitrary bytes. The others were written with their real hash.
		if !strings.HasSuffix(file, "long-names") && w.Hash != engine.ComputeHash(&w) {
			t.Errorf("%s: the stored hash does not match the record", file)
		}
		if !bytes.Equal(AppendWinKey(nil, &w), key) || !bytes.Equal(AppendWinValue(nil, &w), value) {
			t.Errorf("%s: does not re-encode to the same bytes", file)
		}
	}
}

// readCorpusPair reads a "go test fuzz v1" file of two []byte values.
func readCorpusPair(t *testing.T, file string) (key, value []byte) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a two-value corpus file", file)
	}
	var out [2][]byte
	for i, l := range lines[1:] {
		s, ok := strings.CutPrefix(l, "[]byte(")
		s, ok2 := strings.CutSuffix(s, ")")
		u, err := strconv.Unquote(s)
		if !ok || !ok2 || err != nil {
			t.Fatalf("%s: line %d: %q", file, i+2, l)
		}
		out[i] = []byte(u)
	}
	return out[0], out[1]
}
