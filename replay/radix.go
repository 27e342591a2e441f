package replay

// winRef names one win of an activity for the limit check: its uid, and
// where it is (chain number among the activity's chains, position in that
// chain's limit list).
type winRef struct {
	uid   uint64
	chain uint32
	pos   uint32
}

func refUID(r *winRef) uint64 { return r.uid }

// radixSortBy sorts items by key with a least-significant-digit radix sort
// over 8-bit digits, using scratch (same length) as the other buffer, and
// returns the sorted slice (items or scratch). It is stable. Digits on which
// every key agrees — the high bytes, for real uid ranges — need no pass. A
// million items sort in a few linear passes, where looking each one up in
// a map or a large sorted array cost a cache miss apiece.
func radixSortBy[T any](items, scratch []T, key func(*T) uint64) []T {
	if len(items) == 0 {
		return items
	}
	var counts [8][256]int
	for i := range items {
		k := key(&items[i])
		for d := range 8 {
			counts[d][byte(k>>(8*d))]++
		}
	}
	src, dst := items, scratch
	for d := range 8 {
		c := &counts[d]
		if c[byte(key(&src[0])>>(8*d))] == len(src) {
			continue // every key has the same byte here
		}
		var offs [256]int
		sum := 0
		for b := range 256 {
			offs[b] = sum
			sum += c[b]
		}
		for i := range src {
			b := byte(key(&src[i]) >> (8 * d))
			dst[offs[b]] = src[i]
			offs[b]++
		}
		src, dst = dst, src
	}
	return src
}

// lowerBoundFrom returns the first index i >= from with a[i] >= x, for a
// sorted a and a from below which every element is < x. It gallops from
// from, so a run of ascending lookups touches memory near the last answer
// instead of halving the whole array each time.
func lowerBoundFrom(a []uint64, from int, x uint64) int {
	if from >= len(a) || a[from] >= x {
		return from
	}
	lo, step := from, 1 // a[lo] < x
	hi := lo + step
	for hi < len(a) && a[hi] < x {
		lo, step = hi, step*2
		hi = lo + step
	}
	hi = min(hi, len(a))
	for lo+1 < hi { // a[lo] < x; a[hi] >= x or hi == len(a)
		mid := int(uint(lo+hi) >> 1)
		if a[mid] < x {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}
