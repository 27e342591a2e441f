package uidset

// Chunks start small, so a short file costs little, and double up to
// maxChunkLen uids (8 MB): large enough that the chunk list stays short,
// small enough that the last chunk wastes little.
const (
	minChunkLen = 1 << 12
	maxChunkLen = 1 << 20
)

// chunkedUIDs collects uids in fixed-size chunks while a file is read. A
// slice grown by append would copy every uid about twice on the way to 10
// million and leave up to half its capacity unused; chunks copy each uid once,
// into an exactly sized slice.
type chunkedUIDs struct {
	full    [][]uint64
	current []uint64
	count   int
}

func (c *chunkedUIDs) append(uid uint64) {
	if len(c.current) == cap(c.current) {
		if c.current != nil {
			c.full = append(c.full, c.current)
		}
		c.current = make([]uint64, 0, min(maxChunkLen, max(minChunkLen, 2*cap(c.current))))
	}
	c.current = append(c.current, uid)
	c.count++
}

// flatten returns every uid in one slice of exactly the right length and
// releases the chunks.
func (c *chunkedUIDs) flatten() []uint64 {
	if len(c.full) == 0 {
		// One chunk or none: keep it rather than copy; FromSlice trims any
		// large excess capacity after de-duplicating.
		flat := c.current
		c.current = nil
		return flat
	}
	flat := make([]uint64, 0, c.count)
	for i, chunk := range c.full {
		flat = append(flat, chunk...)
		c.full[i] = nil
	}
	flat = append(flat, c.current...)
	c.full, c.current = nil, nil
	return flat
}
