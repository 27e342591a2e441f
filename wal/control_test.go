package wal

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"seckill/engine"
)

// controlsAfter returns n control records of (act, sku) chained after wins,
// alternating pause and resume, each after the win of the same index.
func controlsAfter(wins []engine.Win, n int) []engine.Control {
	out := make([]engine.Control, n)
	var prev [32]byte
	for i := range out {
		c := &out[i]
		c.Activity, c.SKU = wins[0].Activity, wins[0].SKU
		c.Seq = uint64(i + 1)
		c.AfterWins = uint64(i + 1)
		c.WinHead = wins[i].Hash
		c.Kind = engine.ControlPause
		if i%2 == 1 {
			c.Kind = engine.ControlResume
		}
		c.TimeUnixNano = wins[i].TimeUnixNano + 1
		c.Data = []byte{byte(i)}
		c.Prev = prev
		c.Hash = engine.ComputeControlHash(c)
		prev = c.Hash
	}
	return out
}

func scanControls(t *testing.T, l *Log) []engine.Control {
	t.Helper()
	var got []engine.Control
	if err := l.ScanControls(func(r *ControlRecord) error {
		if r.Err != nil {
			t.Fatalf("control %s/%s %d: %v", r.Activity, r.SKU, r.Seq, r.Err)
		}
		got = append(got, r.Control)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestControlsRoundTrip: controls appended with wins, in one batch or
// alone, come back in key order exactly as written, with a head marker per
// strand, also after a reopen; the win head markers are untouched.
func TestControlsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{})
	a := chain("act", "a", 4, 100)
	ca := controlsAfter(a, 3)
	b := chain("act", "b", 2, 200)
	cb := controlsAfter(b, 1)
	if err := l.Append(a[:2], ca[:2]); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(nil, cb); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(a[2:], ca[2:]); err != nil {
		t.Fatal(err)
	}
	if err := l.AppendWins(b); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = mustOpen(t, dir, Options{ReadOnly: true})
	defer l.Close()
	got := scanControls(t, l)
	want := append(append([]engine.Control{}, ca...), cb...)
	if len(got) != len(want) {
		t.Fatalf("%d controls, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Activity != w.Activity || g.SKU != w.SKU || g.Seq != w.Seq || g.Kind != w.Kind ||
			g.AfterWins != w.AfterWins || g.WinHead != w.WinHead || g.Prev != w.Prev || g.Hash != w.Hash ||
			string(g.Data) != string(w.Data) || engine.ComputeControlHash(&g) != w.Hash {
			t.Fatalf("control %d: got %+v, want %+v", i, g, w)
		}
	}
	heads := map[string]Head{}
	if err := l.ScanControlHeads(func(h *Head) error { heads[h.SKU] = *h; return nil }, func(k string, err error) error {
		t.Fatalf("bad marker %q: %v", k, err)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if heads["a"].Seq != 3 || heads["a"].Hash != ca[2].Hash || heads["b"].Seq != 1 || heads["b"].Hash != cb[0].Hash {
		t.Fatalf("control heads %+v", heads)
	}
	if wh := scanHeads(t, l); wh[[2]string{"act", "a"}].Seq != 4 || wh[[2]string{"act", "b"}].Seq != 2 {
		t.Fatalf("win heads %+v", wh)
	}
	if ws := scanAll(t, l); len(ws) != 6 {
		t.Fatalf("%d wins, want 6", len(ws))
	}
}

// TestAppendEncodeErrorFailsLog: when a batch cannot be encoded, the Log is
// failed — that call and every later one fail with ErrWrite, and nothing of
// the batch, nor of any later one, is in the store after a reopen.
func TestAppendEncodeErrorFailsLog(t *testing.T) {
	for _, tc := range []struct {
		name   string
		failAt int // the op that fails, counting win, head and control ops
	}{
		{"win op", 1},
		{"win head marker", 3},
		{"control op", 4},
		{"control head marker", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := mustOpen(t, dir, Options{Logger: &quietLogger{}})
			ws := chain("act", "a", 4, 1)
			cs := controlsAfter(ws, 2)
			if err := l.AppendWins(ws[:1]); err != nil {
				t.Fatal(err)
			}
			injected := errors.New("injected finish error")
			n := 0
			finishOp = func(op *pebble.DeferredBatchOp) error {
				if n++; n == tc.failAt {
					return injected
				}
				return op.Finish()
			}
			defer func() { finishOp = func(op *pebble.DeferredBatchOp) error { return op.Finish() } }()
			if err := l.Append(ws[1:3], cs[1:2]); !errors.Is(err, ErrWrite) || !errors.Is(err, injected) {
				t.Fatalf("Append = %v, want ErrWrite wrapping the injected error", err)
			}
			finishOp = func(op *pebble.DeferredBatchOp) error { return op.Finish() }
			if err := l.AppendWins(ws[3:]); !errors.Is(err, ErrWrite) {
				t.Fatalf("a later AppendWins = %v, want ErrWrite", err)
			}
			if err := l.PutMeta("x", []byte("y")); !errors.Is(err, ErrWrite) {
				t.Fatalf("a later PutMeta = %v, want ErrWrite", err)
			}
			if l.Failure() == nil {
				t.Fatal("Failure() is nil")
			}
			l.Close()
			l = mustOpen(t, dir, Options{ReadOnly: true})
			defer l.Close()
			if got := scanAll(t, l); len(got) != 1 {
				t.Fatalf("%d wins in the store after the failure, want the 1 reported durable", len(got))
			}
			if got := scanControls(t, l); len(got) != 0 {
				t.Fatalf("%d controls in the store, want none", len(got))
			}
		})
	}
}

// TestDecodeControlRejects: a control record whose key and body disagree,
// or whose body is cut, is ErrCorrupt.
func TestDecodeControlRejects(t *testing.T) {
	ws := chain("act", "a", 1, 1)
	c := controlsAfter(ws, 1)[0]
	key := appendChainKey(nil, controlPrefix, c.Activity, c.SKU, c.Seq)
	value := append(engine.AppendControlCanonical(nil, &c), c.Hash[:]...)
	var got engine.Control
	if err := DecodeControl(key, value, &got); err != nil {
		t.Fatalf("good record: %v", err)
	}
	otherKey := appendChainKey(nil, controlPrefix, c.Activity, c.SKU, c.Seq+1)
	for name, kv := range map[string][2][]byte{
		"key seq differs": {otherKey, value},
		"value cut":       {key, value[:len(value)-1]},
		"value longer":    {key, append(append([]byte{}, value...), 0)},
		"win key":         {appendChainKey(nil, winPrefix, c.Activity, c.SKU, c.Seq), value},
	} {
		if err := DecodeControl(kv[0], kv[1], &got); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}
