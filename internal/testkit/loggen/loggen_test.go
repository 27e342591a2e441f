package loggen

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"seckill/engine"
	"seckill/wal"
)

func wins(t *testing.T, dir string) []engine.Win {
	t.Helper()
	l, err := wal.Open(dir, wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var out []engine.Win
	if err := l.ScanWins(func(w *engine.Win) error { out = append(out, *w); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDeterministic: the same options give the same records, tickets and
// hashes; another seed gives others.
func TestDeterministic(t *testing.T) {
	o := Options{Wins: 50, SKUs: 3, Seed: 4, Limit: "activity", Reservation: true, ReleasePerSec: 5, Changes: true, Batch: 3}
	gen := func(seed uint64) []engine.Win {
		o.Dir, o.Seed = filepath.Join(t.TempDir(), "s"), seed
		sum, err := Generate(o)
		if err != nil {
			t.Fatal(err)
		}
		ws := wins(t, o.Dir)
		if sum.Wins != 50 || len(ws) != 50 {
			t.Fatalf("summary %d wins, store %d", sum.Wins, len(ws))
		}
		return ws
	}
	a, b, c := gen(4), gen(4), gen(5)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("record %d differs between two runs: %+v / %+v", i, a[i], b[i])
		}
	}
	if a[0] == c[0] {
		t.Fatal("another seed gave the same first record")
	}
}

func TestRefuses(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]Options{
		"no dir":        {Wins: 1},
		"no wins":       {Dir: t.TempDir()},
		"bad limit":     {Dir: t.TempDir(), Wins: 1, Limit: "user"},
		"not empty":     {Dir: full, Wins: 1},
		"negative rate": {Dir: t.TempDir(), Wins: 1, ReleasePerSec: -1},
	} {
		if _, err := Generate(o); !errors.Is(err, ErrOptions) {
			t.Errorf("%s: %v, want ErrOptions", name, err)
		}
	}
}
