package replay

// secondCounter counts one SKU's wins per wall-clock second. Wins arrive in
// seq order, whose times only go forward unless the clock was stepped back,
// so the common case is a counter for the current second plus a list of the
// seconds already finished. A time before the current second (a clock step)
// switches to a map seeded with every second so far, so a revisited second
// is still counted whole.
type secondCounter struct {
	cur   int64
	n     uint64
	any   bool
	peak  uint64
	done  []secondCount // finished seconds, ascending, while bySec is nil
	bySec map[int64]uint64
}

type secondCount struct {
	sec int64
	n   uint64
}

// add counts a win at unixNano and returns how many wins its second has now.
func (c *secondCounter) add(unixNano int64) uint64 {
	sec := floorDiv(unixNano, 1e9)
	var n uint64
	switch {
	case c.bySec != nil:
		c.bySec[sec]++
		n = c.bySec[sec]
	case !c.any || sec > c.cur:
		if c.any {
			c.done = append(c.done, secondCount{c.cur, c.n})
		}
		c.cur, c.n, c.any = sec, 1, true
		n = 1
	case sec == c.cur:
		c.n++
		n = c.n
	default:
		c.bySec = make(map[int64]uint64, len(c.done)+2)
		for _, d := range c.done {
			c.bySec[d.sec] = d.n
		}
		c.bySec[c.cur] = c.n
		c.done = nil
		c.bySec[sec]++
		n = c.bySec[sec]
	}
	c.peak = max(c.peak, n)
	return n
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
