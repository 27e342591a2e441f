package uidset

import (
	"math"
	"math/bits"
	"slices"
	"sync"
	"unsafe"
)

// Set is a sorted, de-duplicated set of uids. The zero Set is empty.
type Set struct {
	uids []uint64 // ascending, distinct

	// The bucket index narrows a lookup to about bucketTarget uids before the
	// binary search, so a lookup in a large set touches two or three cache
	// lines instead of one per halving. Bucket b holds the uids whose
	// (uid-minUID)>>shift == b, at positions [index[b], index[b+1]). A set
	// smaller than minIndexedLen has no index.
	minUID uint64
	shift  uint
	index  []uint32

	digestOnce sync.Once
	digest     [32]byte
}

const (
	// bucketTarget is the average bucket size aimed for: small enough to
	// search within a cache line or two, large enough that the index costs
	// only about half a byte per uid.
	bucketTarget = 8
	// minIndexedLen is the size below which a plain binary search is as fast
	// as the index and the index is not worth building.
	minIndexedLen = 1024
)

// FromSlice builds a Set from uids in any order, with any duplicates. It takes
// ownership of the slice: it sorts it in place and keeps it.
func FromSlice(uids []uint64) *Set {
	sortUint64s(uids)
	uids = slices.Compact(uids)
	// A slice that grew by appending can be up to twice as long as needed;
	// copy it down, because the set lives for the whole sale.
	if cap(uids)-len(uids) > len(uids)/16 {
		uids = slices.Clone(uids)
	}
	s := &Set{uids: uids}
	s.buildIndex()
	return s
}

func (s *Set) buildIndex() {
	n := len(s.uids)
	if n < minIndexedLen || n > math.MaxUint32 {
		return
	}
	s.minUID = s.uids[0]
	span := s.uids[n-1] - s.minUID
	// floor(log2(n/bucketTarget)) bits give between bucketTarget and
	// 2*bucketTarget uids per bucket when the uids are spread evenly.
	bucketBits := uint(bits.Len(uint(n/bucketTarget)) - 1)
	if spanBits := uint(bits.Len64(span)); spanBits > bucketBits {
		s.shift = spanBits - bucketBits
	}
	buckets := int(span>>s.shift) + 1
	s.index = make([]uint32, buckets+1)
	bucket := 0
	for i, uid := range s.uids {
		b := int((uid - s.minUID) >> s.shift)
		for bucket < b {
			bucket++
			s.index[bucket] = uint32(i)
		}
	}
	for bucket < buckets {
		bucket++
		s.index[bucket] = uint32(n)
	}
}

// Contains reports whether uid is in the set. It does not allocate.
func (s *Set) Contains(uid uint64) bool {
	candidates := s.uids
	if s.index != nil {
		if uid < s.minUID {
			return false
		}
		b := (uid - s.minUID) >> s.shift
		if b >= uint64(len(s.index)-1) {
			return false
		}
		candidates = s.uids[s.index[b]:s.index[b+1]]
	}
	_, found := slices.BinarySearch(candidates, uid)
	return found
}

// Len is the number of distinct uids.
func (s *Set) Len() int { return len(s.uids) }

// Bytes estimates the memory the set holds, for capacity planning and the
// admin status page.
func (s *Set) Bytes() int {
	return int(unsafe.Sizeof(*s)) + cap(s.uids)*8 + cap(s.index)*4
}
