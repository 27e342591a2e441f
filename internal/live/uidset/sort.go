package uidset

import "slices"

// radixMinLen is the length above which the radix sort beats slices.Sort;
// below it the radix sort's fixed cost of histograms dominates.
const radixMinLen = 1 << 12

// sortUint64s sorts in ascending order. Large inputs use a radix sort,
// which sorts 10 million uids several times faster than a comparison sort:
// the LSD sort when the slice's spare capacity can serve as its scratch
// space, otherwise the in-place MSD sort, so that sorting never needs a
// second copy of the input.
func sortUint64s(values []uint64) {
	switch {
	case len(values) < radixMinLen:
		slices.Sort(values)
	case cap(values) >= 2*len(values):
		radixSort(values)
	default:
		inPlaceRadixSort(values, 56)
	}
}

// inPlaceRadixSort is a most-significant-digit radix sort over 8-bit
// digits that permutes values in place (an "American flag" sort): count the
// digit at shift, move every value into its bucket by following cycles of
// swaps, then sort each bucket on the next digit. Buckets too small for a
// radix pass are left to slices.Sort.
func inPlaceRadixSort(values []uint64, shift uint) {
	for {
		if len(values) < radixMinLen {
			slices.Sort(values)
			return
		}
		var counts [256]int
		for _, v := range values {
			counts[byte(v>>shift)]++
		}
		if counts[byte(values[0]>>shift)] == len(values) {
			// Every value has this digit: nothing to move, go on to the next.
			if shift == 0 {
				return
			}
			shift -= 8
			continue
		}
		var next, end [256]int
		sum := 0
		for d, c := range counts {
			next[d] = sum
			sum += c
			end[d] = sum
		}
		for d := range 256 {
			for next[d] < end[d] {
				v := values[next[d]]
				b := byte(v >> shift)
				for int(b) != d {
					// Swap v into the first unsettled place of its bucket
					// and carry on with the value that was there.
					values[next[b]], v = v, values[next[b]]
					next[b]++
					b = byte(v >> shift)
				}
				values[next[d]] = v
				next[d]++
			}
		}
		if shift == 0 {
			return
		}
		start := 0
		for d := range 256 {
			if e := end[d]; e-start > 1 {
				inPlaceRadixSort(values[start:e], shift-8)
			}
			start = end[d]
		}
		return
	}
}

// radixSort is a least-significant-digit radix sort over 8-bit digits. One
// pass over the input counts all eight digit histograms; a digit on which
// every value agrees (the high bytes of uids usually do) needs no pass.
func radixSort(values []uint64) {
	var counts [8][256]int
	for _, v := range values {
		for d := range 8 {
			counts[d][byte(v>>(8*d))]++
		}
	}

	// Spare capacity serves as scratch: sortUint64s calls this only for a
	// slice that has it (a slice grown by appending often does), and
	// allocates a copy for any other caller.
	var scratch []uint64
	if cap(values) >= 2*len(values) {
		scratch = values[len(values) : 2*len(values)]
	} else {
		scratch = make([]uint64, len(values))
	}

	src, dst := values, scratch
	for d := range 8 {
		if counts[d][byte(src[0]>>(8*d))] == len(values) {
			continue
		}
		var offsets [256]int
		next := 0
		for digit, count := range counts[d] {
			offsets[digit] = next
			next += count
		}
		shift := uint(8 * d)
		for _, v := range src {
			digit := byte(v >> shift)
			dst[offsets[digit]] = v
			offsets[digit]++
		}
		src, dst = dst, src
	}
	if &src[0] != &values[0] {
		copy(values, src)
	}
}
