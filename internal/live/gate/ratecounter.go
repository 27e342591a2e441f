package gate

import "sync/atomic"

// perSecond counts events in the current whole second with one atomic word:
// the high 32 bits hold the second, the low 32 the count. It is the seed's
// first tier: an atomic counter, no lock.
type perSecond struct{ word atomic.Uint64 }

// allow counts one event at second and reports whether it is within limit.
func (c *perSecond) allow(second int64, limit uint32) bool {
	sec := uint64(uint32(second)) << 32
	for {
		old := c.word.Load()
		var next uint64
		if old&^0xFFFFFFFF != sec {
			next = sec | 1
		} else {
			n := uint32(old)
			if n >= limit {
				return false
			}
			next = old + 1
		}
		if c.word.CompareAndSwap(old, next) {
			return true
		}
	}
}

// addrRateSlots is the size of the per-address table. Addresses share a slot
// when they hash alike, which can only make the limit stricter for them; 64 Ki
// slots keep that rare for the few thousand addresses a burst comes from while
// costing 512 KiB.
const addrRateSlots = 1 << 16

// addrRate limits attempts per client address per second.
type addrRate struct {
	slots [addrRateSlots]perSecond
}

func (r *addrRate) allow(addr16 [16]byte, second int64, limit uint32) bool {
	h := uint64(14695981039346656037)
	for _, b := range addr16 {
		h = (h ^ uint64(b)) * 1099511628211
	}
	return r.slots[h&(addrRateSlots-1)].allow(second, limit)
}
