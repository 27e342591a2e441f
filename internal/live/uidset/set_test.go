package uidset

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAgainstMap compares Set with a map on random data of several shapes,
// both below and above the size where the bucket index is built.
func TestAgainstMap(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		universe uint64 // uids are drawn from [base, base+universe)
		base     uint64
	}{
		{"small dense", 100, 200, 0},
		{"indexed dense with duplicates", 50_000, 60_000, 1_000_000},
		{"indexed sparse", 50_000, math.MaxUint64, 0},
		{"indexed near the top", 20_000, 1 << 20, math.MaxUint64 - 1<<20},
		{"radix sized, 40-bit uids", 200_000, 1 << 40, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tt.n)))
			draw := func() uint64 {
				if tt.universe == math.MaxUint64 {
					return rng.Uint64()
				}
				return tt.base + rng.Uint64N(tt.universe)
			}
			want := map[uint64]bool{}
			uids := make([]uint64, tt.n)
			for i := range uids {
				uids[i] = draw()
				want[uids[i]] = true
			}
			s := FromSlice(uids)
			if s.Len() != len(want) {
				t.Fatalf("Len() = %d; want %d", s.Len(), len(want))
			}
			if !slices.IsSorted(s.uids) {
				t.Fatal("uids not sorted")
			}
			for uid := range want {
				if !s.Contains(uid) {
					t.Fatalf("Contains(%d) = false", uid)
				}
			}
			probes := []uint64{0, 1, math.MaxUint64, tt.base - 1, tt.base}
			for range 100_000 {
				probes = append(probes, draw(), draw()+1)
			}
			for _, uid := range probes {
				if got := s.Contains(uid); got != want[uid] {
					t.Fatalf("Contains(%d) = %v; want %v", uid, got, want[uid])
				}
			}
		})
	}
}

func TestRadixSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{radixMinLen, 100_000} {
		for _, spareCapacity := range []bool{false, true} {
			values := make([]uint64, n, n*2)
			for i := range values {
				values[i] = rng.Uint64() >> (rng.UintN(64))
			}
			if !spareCapacity {
				values = values[:n:n]
			}
			want := slices.Clone(values)
			slices.Sort(want)
			inPlace := slices.Clone(values)
			radixSort(values)
			if !slices.Equal(values, want) {
				t.Fatalf("n=%d spare=%v: radixSort disagrees with slices.Sort", n, spareCapacity)
			}
			inPlaceRadixSort(inPlace, 56)
			if !slices.Equal(inPlace, want) {
				t.Fatalf("n=%d: inPlaceRadixSort disagrees with slices.Sort", n)
			}
		}
	}
}

func TestContainsDoesNotAllocate(t *testing.T) {
	uids := make([]uint64, 100_000)
	for i := range uids {
		uids[i] = uint64(i) * 3
	}
	s := FromSlice(uids)
	allocs := testing.AllocsPerRun(1000, func() {
		s.Contains(300)
		s.Contains(301)
	})
	if allocs != 0 {
		t.Errorf("Contains allocates %v times per run", allocs)
	}
}

func TestDigest(t *testing.T) {
	var empty Set
	if empty.Digest() != sha256.Sum256(nil) {
		t.Error("digest of the empty set is not sha256 of nothing")
	}
	a := FromSlice([]uint64{3, 1, 2, 1})
	b := FromSlice([]uint64{1, 2, 3})
	if a.Digest() != b.Digest() {
		t.Error("same uids, different digests")
	}
	var want []byte
	for _, uid := range []uint64{1, 2, 3} {
		want = binary.BigEndian.AppendUint64(want, uid)
	}
	if a.Digest() != sha256.Sum256(want) {
		t.Error("digest is not sha256 over 8-byte big-endian uids")
	}
	if FromSlice([]uint64{1, 2, 4}).Digest() == a.Digest() {
		t.Error("different uids, same digest")
	}
	big := make([]uint64, 10_000) // more than one hashing chunk
	for i := range big {
		big[i] = uint64(i)
	}
	var bigWant []byte
	for _, uid := range big {
		bigWant = binary.BigEndian.AppendUint64(bigWant, uid)
	}
	if FromSlice(big).Digest() != sha256.Sum256(bigWant) {
		t.Error("digest over several chunks is wrong")
	}
}

func TestBytes(t *testing.T) {
	uids := make([]uint64, 1_000_000)
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range uids {
		uids[i] = rng.Uint64()
	}
	s := FromSlice(uids)
	if perUID := float64(s.Bytes()) / float64(s.Len()); perUID < 8 || perUID > 9 {
		t.Errorf("Bytes() = %.2f per uid; want 8 to 9", perUID)
	}
}
