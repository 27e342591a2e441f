package uidset

import "slices"

// radixMinLen is the length above which the radix sort beats slices.Sort;
// below it the radix sort's fixed cost of histograms dominates.
const radixMinLen = 1 << 12

// sortUint64s sorts in ascending order. Large inputs use an LSD radix sort,
// which sorts 10 million uids several times faster than a comparison sort,
// at the cost of a scratch copy the size of the input.
func sortUint64s(values []uint64) {
	if len(values) < radixMinLen {
		slices.Sort(values)
		return
	}
	radixSort(values)
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

	// Reuse spare capacity as scratch when the caller's slice has it, which
	// a slice grown by appending often does.
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
