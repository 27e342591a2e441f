package wal

import (
	"errors"
	"fmt"
	"testing"

	"seckill/engine"
)

func TestScanWinsAfter(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{})
	defer l.Close()
	// Names chosen so one is a prefix of another ("a" and "ab"), which a
	// sloppy chain bound would mix up.
	lens := map[[2]string]int{{"act", "a"}: 5, {"act", "ab"}: 3, {"act2", "a"}: 4}
	stored := map[[2]string][]engine.Win{}
	for k, n := range lens {
		stored[k] = chain(k[0], k[1], n, 100)
		if err := l.AppendWins(stored[k]); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		after map[[2]string]uint64
		want  []string
	}{
		{"whole store", nil, []string{"act/a/1", "act/a/2", "act/a/3", "act/a/4", "act/a/5", "act/ab/1", "act/ab/2", "act/ab/3", "act2/a/1", "act2/a/2", "act2/a/3", "act2/a/4"}},
		{"tails", map[[2]string]uint64{{"act", "a"}: 3, {"act", "ab"}: 3, {"act2", "a"}: 1}, []string{"act/a/4", "act/a/5", "act2/a/2", "act2/a/3", "act2/a/4"}},
		{"past the head", map[[2]string]uint64{{"act", "a"}: 9, {"act", "ab"}: 9, {"act2", "a"}: 9}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			heads := map[[2]string]uint64{}
			err := l.ScanWinsAfter(func(last *engine.Win) (uint64, error) {
				k := [2]string{last.Activity, last.SKU}
				heads[k] = last.Seq
				if *last != stored[k][lens[k]-1] {
					return 0, fmt.Errorf("%v: head hash differs", k)
				}
				return tc.after[k], nil
			}, func(w *engine.Win) error {
				got = append(got, fmt.Sprintf("%s/%s/%d", w.Activity, w.SKU, w.Seq))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for k, n := range lens {
				if heads[k] != uint64(n) {
					t.Errorf("%v: head seq %d, want %d", k, heads[k], n)
				}
			}
		})
	}
	var firsts []uint64
	err := l.ScanWinsAfter(func(*engine.Win) (uint64, error) { return 1, nil }, func(w *engine.Win) error {
		firsts = append(firsts, w.Seq)
		return SkipChain
	})
	if err != nil || fmt.Sprint(firsts) != "[2 2 2]" {
		t.Fatalf("SkipChain: err %v, visited seqs %v, want the second win of each of the 3 chains", err, firsts)
	}
	stop := errors.New("stop")
	n := 0
	err = l.ScanWinsAfter(func(*engine.Win) (uint64, error) { return 0, nil }, func(*engine.Win) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Fatalf("a callback error did not stop the walk: err %v after %d wins", err, n)
	}
}

func TestGetWin(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{})
	defer l.Close()
	wins := chain("act", "s", 3, 7)
	if err := l.AppendWins(wins); err != nil {
		t.Fatal(err)
	}
	var w engine.Win
	if ok, err := l.GetWin("act", "s", 2, &w); err != nil || !ok || w != wins[1] {
		t.Fatalf("GetWin seq 2: ok %v err %v, got %+v", ok, err, w)
	}
	if ok, err := l.GetWin("act", "s", 4, &w); err != nil || ok {
		t.Fatalf("GetWin of a missing seq: ok %v err %v", ok, err)
	}
}

func TestApplyAndScanMeta(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{})
	if err := l.ApplyMeta([]MetaOp{{Key: "x.1", Value: []byte("a")}, {Key: "x.2", Value: []byte("b")}, {Key: "y", Value: []byte("c")}}); err != nil {
		t.Fatal(err)
	}
	if err := l.ApplyMeta([]MetaOp{{Key: "x.1", Delete: true}, {Key: "x.3", Value: []byte("d")}}); err != nil {
		t.Fatal(err)
	}
	if err := l.ApplyMeta([]MetaOp{{Key: "ok", Value: nil}, {Key: "wal.ticket_key", Delete: true}}); err == nil {
		t.Fatal("ApplyMeta accepted a reserved key")
	}
	if _, ok, _ := l.GetMeta("ok"); ok {
		t.Fatal("a refused ApplyMeta wrote part of its ops")
	}
	l.Close()
	l = mustOpen(t, dir, Options{ReadOnly: true})
	defer l.Close()
	var got []string
	if err := l.ScanMeta("x.", func(k string, v []byte) error { got = append(got, k+"="+string(v)); return nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[x.2=b x.3=d]" {
		t.Fatalf("ScanMeta after reopen: %v", got)
	}
}
