package export

import (
	"errors"
	"path/filepath"
	"testing"

	"seckill/wal"
)

// TestCombinedExport: the stores of a cluster's nodes export as one file
// with one manifest holding every record, every chain and every activity's
// digest, the same digests each store's own export gives; an incremental
// combined export and two stores with one activity are refused.
func TestCombinedExport(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	a, b := openStore(t, dirA), openStore(t, dirB)
	fill(t, a, "round1", 40, "phone-1", "phone-2")
	fill(t, b, "round2", 25, "x")
	fill(t, b, "round3", 10, "y", "z")
	want := storeWins(t, a)
	for k, w := range storeWins(t, b) {
		want[k] = w
	}
	dir := t.TempDir()
	ex, err := NewCombined([]*wal.Log{a, b}, dir, []string{dirA, dirB}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ex.Run(Options{Out: "sale.jsonl", Format: FormatJSONL, All: true})
	if err != nil {
		t.Fatal(err)
	}
	got := readWins(t, filepath.Join(dir, "sale.jsonl"), FormatJSONL)
	checkManifest(t, filepath.Join(dir, "sale.jsonl"), m, got)
	if len(got) != len(want) || len(m.Ranges) != 5 || len(m.Activities) != 3 {
		t.Fatalf("%d records (want %d), %d ranges, %d activities", len(got), len(want), len(m.Ranges), len(m.Activities))
	}
	for _, w := range got {
		if want[string(AppendIdempotencyKey(nil, &w))] != w {
			t.Fatalf("record %+v is not the store's", w)
		}
	}
	apart := map[string]string{}
	for i, l := range []*wal.Log{a, b} {
		one := newExporter(t, l, t.TempDir())
		mm, err := one.Run(Options{Out: "one.jsonl", Format: FormatJSONL, All: true})
		if err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
		for k, v := range digests(mm) {
			apart[k] = v
		}
	}
	for act, d := range digests(m) {
		if apart[act] != d {
			t.Errorf("activity %s: combined digest %s, its own store's %s", act, d, apart[act])
		}
	}

	if _, err := ex.Run(Options{Out: "incr.jsonl", Format: FormatJSONL}); !errors.Is(err, ErrCombined) {
		t.Errorf("incremental combined export: %v, want ErrCombined", err)
	}
	if _, err := NewCombined([]*wal.Log{a, b}, dirB, []string{dirA, dirB}, nil); !errors.Is(err, ErrDir) {
		t.Errorf("export into the second store: %v, want ErrDir", err)
	}
	dirC := t.TempDir()
	c := openStore(t, dirC)
	fill(t, c, "round1", 3, "phone-3")
	split, err := NewCombined([]*wal.Log{a, c}, t.TempDir(), []string{dirA, dirC}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := split.Run(Options{Out: "split.jsonl", Format: FormatJSONL, All: true}); !errors.Is(err, ErrCombined) {
		t.Errorf("activity round1 in two stores: %v, want ErrCombined", err)
	}
}
