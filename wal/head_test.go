package wal

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"seckill/engine"
)

func scanHeads(t *testing.T, l *Log) map[[2]string]Head {
	t.Helper()
	got := map[[2]string]Head{}
	err := l.ScanHeads(func(h *Head) error {
		got[[2]string{h.Activity, h.SKU}] = *h
		return nil
	}, func(key string, err error) error {
		t.Errorf("bad head marker %q: %v", key, err)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestHeadMarkers checks that every AppendWins leaves, per (activity, SKU),
// a marker naming the last win it wrote — also when one call carries several
// SKUs, or one SKU in several runs — and that the markers survive a reopen.
func TestHeadMarkers(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{})
	a := chain("act", "a", 6, 100)
	b := chain("act", "b", 4, 200)
	c := chain("other", "a", 2, 300)
	steps := []struct {
		name string
		wins []engine.Win
		want map[[2]string]uint64 // seq of each marker after the call
	}{
		{"one sku", a[:2], map[[2]string]uint64{{"act", "a"}: 2}},
		{"two skus in one call", []engine.Win{a[2], b[0], b[1]}, map[[2]string]uint64{{"act", "a"}: 3, {"act", "b"}: 2}},
		{"one sku in two runs", []engine.Win{a[3], b[2], a[4], c[0]}, map[[2]string]uint64{{"act", "a"}: 5, {"act", "b"}: 3, {"other", "a"}: 1}},
	}
	for _, st := range steps {
		if err := l.AppendWins(st.wins); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := scanHeads(t, l)
		if len(got) != len(st.want) {
			t.Fatalf("%s: %d markers, want %d: %v", st.name, len(got), len(st.want), got)
		}
		for k, seq := range st.want {
			h := got[k]
			var want *engine.Win
			for _, ws := range [][]engine.Win{a, b, c} {
				if ws[0].Activity == k[0] && ws[0].SKU == k[1] {
					want = &ws[seq-1]
				}
			}
			if h.Seq != seq || h.Hash != want.Hash {
				t.Fatalf("%s: marker %v = seq %d, want seq %d with that win's hash", st.name, k, h.Seq, seq)
			}
		}
	}
	l.Close()
	l = mustOpen(t, dir, Options{ReadOnly: true})
	defer l.Close()
	if got := scanHeads(t, l); got[[2]string{"act", "a"}].Seq != 5 {
		t.Fatalf("after reopen: %v", got)
	}
	// The marker key is reserved: nobody writes it with PutMeta.
	if err := l.PutMeta(HeadMetaKey("act", "a"), []byte("x")); err == nil {
		t.Fatal("PutMeta accepted a head marker key")
	}
}

// TestHeadMarkersAtomicWithWins checks that a failed AppendWins leaves
// neither its wins nor its marker: the marker never runs ahead of the wins.
func TestHeadMarkersAtomicWithWins(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{})
	ws := chain("act", "a", 4, 1)
	if err := l.AppendWins(ws[:2]); err != nil {
		t.Fatal(err)
	}
	bad := []engine.Win{ws[2], {Activity: "", SKU: "x", Seq: 1}}
	if err := l.AppendWins(bad); !errors.Is(err, ErrInvalidWin) {
		t.Fatalf("AppendWins = %v, want ErrInvalidWin", err)
	}
	if h := scanHeads(t, l)[[2]string{"act", "a"}]; h.Seq != 2 {
		t.Fatalf("marker seq %d after a refused call, want 2", h.Seq)
	}
	if n := len(scanAll(t, l)); n != 2 {
		t.Fatalf("%d wins, want 2", n)
	}
	l.Close()
}

func TestDecodeHeadRejects(t *testing.T) {
	good := make([]byte, headValueLen)
	tests := []struct {
		name  string
		key   string
		value []byte
	}{
		{"no prefix", "wal.hed/a\x00b", good},
		{"no separator", "wal.head/ab", good},
		{"empty sku", "wal.head/a\x00", good},
		{"short value", "wal.head/a\x00b", good[:39]},
		{"long value", "wal.head/a\x00b", append(good, 0)},
	}
	for _, tc := range tests {
		var h Head
		if err := DecodeHead(tc.key, tc.value, &h); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: DecodeHead = %v, want ErrCorrupt", tc.name, err)
		}
	}
	var h Head
	if err := DecodeHead(HeadMetaKey("a", "b"), good, &h); err != nil || h.Activity != "a" || h.SKU != "b" {
		t.Fatalf("DecodeHead(good) = %v, %+v", err, h)
	}
}

// TestScanRecords checks that bad records are reported and do not stop the
// scan, with whatever of them could still be read.
func TestScanRecords(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{})
	ws := chain("act", "s", 5, 1)
	if err := l.AppendWins(ws); err != nil {
		t.Fatal(err)
	}
	// Seq 2 holds seq 4's value (key and value disagree); seq 3 is cut
	// short; a key that is not a winner key at all.
	set := func(k, v []byte) {
		if err := l.db.Set(k, v, pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	set(AppendWinKey(nil, &ws[1]), AppendWinValue(nil, &ws[3]))
	set(AppendWinKey(nil, &ws[2]), AppendWinValue(nil, &ws[2])[:50])
	set([]byte("wzz"), []byte("junk"))

	type seen struct {
		keyOK, valueOK, err bool
		seq, winSeq         uint64
	}
	var got []seen
	if err := l.ScanRecords(func(r *Record) error {
		got = append(got, seen{r.KeyOK, r.ValueOK, r.Err != nil, r.Seq, r.Win.Seq})
		if r.Err != nil && !errors.Is(r.Err, ErrCorrupt) {
			t.Errorf("record %q: error %v does not wrap ErrCorrupt", r.Key, r.Err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []seen{
		{true, true, false, 1, 1},
		{true, true, true, 2, 4}, // value decodes, but it is seq 4's
		{true, false, true, 3, 0},
		{true, true, false, 4, 4},
		{true, true, false, 5, 5},
		{false, false, true, 0, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records %+v, want %+v", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	l.Close()
}

func TestSetTicketKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	l := mustOpen(t, dir, Options{})
	key := make([]byte, 32)
	key[0] = 7
	if err := l.SetTicketKey(key[:31]); err == nil {
		t.Fatal("accepted a 31-byte key")
	}
	if err := l.SetTicketKey(key); err != nil {
		t.Fatal(err)
	}
	if err := l.SetTicketKey(key); err != nil {
		t.Fatalf("same key again: %v", err)
	}
	other := make([]byte, 32)
	if err := l.SetTicketKey(other); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("other key: %v, want ErrKeyExists", err)
	}
	l.Close()
	l = mustOpen(t, dir, Options{ReadOnly: true})
	defer l.Close()
	got, err := l.TicketKey()
	if err != nil || got[0] != 7 {
		t.Fatalf("TicketKey after reopen = %x, %v", got, err)
	}
}
