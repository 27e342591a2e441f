package replay

// winRef names one win of an activity for the limit check: its uid, and
// where it is (chain number among the activity's chains, position in that
// chain's limit list).
type winRef struct {
	uid   uint64
	chain uint32
	pos   uint32
}

// sortRefsByUID sorts refs by uid with a least-significant-digit radix sort
// over 8-bit digits, using scratch (same length) as the other buffer, and
// returns the sorted slice (refs or scratch). Digits on which every uid
// agrees — the high bytes, for real uid ranges — need no pass. A million
// refs sort in a few linear passes, where a map of first wins by uid cost a
// cache miss per win.
func sortRefsByUID(refs, scratch []winRef) []winRef {
	var counts [8][256]int
	for _, r := range refs {
		for d := range 8 {
			counts[d][byte(r.uid>>(8*d))]++
		}
	}
	src, dst := refs, scratch
	for d := range 8 {
		c := &counts[d]
		if c[byte(src[0].uid>>(8*d))] == len(src) {
			continue // every uid has the same byte here
		}
		var offs [256]int
		sum := 0
		for b := range 256 {
			offs[b] = sum
			sum += c[b]
		}
		for _, r := range src {
			b := byte(r.uid >> (8 * d))
			dst[offs[b]] = r
			offs[b]++
		}
		src, dst = dst, src
	}
	return src
}
