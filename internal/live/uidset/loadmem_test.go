package uidset

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
)

// TestLoadFileAllocatesTheSetOnce checks that loading a file costs about the
// set itself — one slice of 8 bytes per uid, its index, and the read
// buffers — and no copies of it: that is what keeps 10 million uids under
// the memory budget.
func TestLoadFileAllocatesTheSetOnce(t *testing.T) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(3, 4))
	var b []byte
	for range n {
		b = strconv.AppendUint(b, rng.Uint64(), 10)
		b = append(b, '\n')
	}
	b = append(b, "# trailing comment without newline"...)
	path := filepath.Join(t.TempDir(), "uids.txt")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := LoadFile(path)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != n || !slices.IsSorted(s.uids) {
		t.Fatalf("loaded %d uids (sorted %v), want %d", s.Len(), slices.IsSorted(s.uids), n)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	budget := uint64(8*(n+1)) + uint64(n) + 3*readBufferBytes // set + index (≤1 byte/uid) + buffers
	if allocated > budget {
		t.Fatalf("LoadFile allocated %d bytes for %d uids, budget %d: the set was copied", allocated, n, budget)
	}
}

func TestInPlaceRadixSortEdgeCases(t *testing.T) {
	cases := map[string][]uint64{
		"all equal":  slices.Repeat([]uint64{42}, 10_000),
		"two values": append(slices.Repeat([]uint64{1 << 60}, 6_000), slices.Repeat([]uint64{7}, 6_000)...),
		"descending": func() []uint64 {
			v := make([]uint64, 20_000)
			for i := range v {
				v[i] = uint64(len(v) - i)
			}
			return v
		}(),
		"high bits only": func() []uint64 {
			v := make([]uint64, 20_000)
			for i := range v {
				v[i] = uint64(i%300) << 56
			}
			return v
		}(),
	}
	for name, v := range cases {
		want := slices.Clone(v)
		slices.Sort(want)
		inPlaceRadixSort(v, 56)
		if !slices.Equal(v, want) {
			t.Errorf("%s: not sorted", name)
		}
	}
}
