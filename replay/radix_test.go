package replay

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRadixSortBy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := map[string]func(i int) uint64{
		"random":            func(int) uint64 { return rng.Uint64() },
		"small uids":        func(int) uint64 { return rng.Uint64N(1000) },
		"one uid":           func(int) uint64 { return 42 },
		"high bytes vary":   func(i int) uint64 { return uint64(i%7) << 56 },
		"descending":        func(i int) uint64 { return uint64(1_000_000 - i) },
		"every byte differ": func(i int) uint64 { return uint64(i) * 0x0101010101010101 },
	}
	for name, uid := range gen {
		for _, n := range []int{1, 2, 1000} {
			refs := make([]winRef, n)
			for i := range refs {
				refs[i] = winRef{uid: uid(i), pos: uint32(i)}
			}
			want := slices.Clone(refs)
			slices.SortStableFunc(want, func(x, y winRef) int {
				switch {
				case x.uid < y.uid:
					return -1
				case x.uid > y.uid:
					return 1
				}
				return 0
			})
			got := radixSortBy(refs, make([]winRef, n), refUID)
			// LSD radix sort is stable, so equal uids keep their order.
			if !slices.Equal(got, want) {
				t.Fatalf("%s, n=%d: not sorted stably", name, n)
			}
		}
	}
}

func TestLowerBoundFrom(t *testing.T) {
	a := []uint64{2, 4, 4, 8, 16, 32, 33, 34, 100}
	for from := range a {
		for x := uint64(0); x <= 101; x++ {
			if from > 0 && a[from-1] >= x {
				continue // outside the contract: everything below from must be < x
			}
			want, _ := slices.BinarySearch(a, x)
			if got := lowerBoundFrom(a, from, x); got != want {
				t.Fatalf("lowerBoundFrom(from %d, x %d) = %d, want %d", from, x, got, want)
			}
		}
	}
	if got := lowerBoundFrom(a, len(a), 200); got != len(a) {
		t.Fatalf("from the end: %d", got)
	}
}
