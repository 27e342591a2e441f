package meter

import (
	"math/bits"
	"sync/atomic"
)

// Buckets is how many buckets a Histogram has, the last one unbounded.
const Buckets = 20

// Histogram counts observations in Buckets exponential buckets: bucket i
// holds values up to Unit<<i, the last one everything above. Finding the
// bucket is one bit-length instruction, so Observe is two atomic adds.
type Histogram struct {
	shift   uint8 // Unit = 1<<shift
	buckets [Buckets]atomic.Uint64
	sum     atomic.Uint64
}

// Latency units: 2^16 ns = 65.536 µs, so the buckets run from 65.5 µs to
// 65.5 µs × 2^18 ≈ 17.2 s — a won reply waits for a group commit, which
// takes 0.1 to 10 ms on a good disk and seconds on a failing one.
const LatencyShift = 16

// NewHistogram returns a histogram whose first bucket ends at 1<<shift.
func NewHistogram(shift uint8) *Histogram { return &Histogram{shift: shift} }

// Init sets the first bucket's bound of a Histogram embedded by value.
func (h *Histogram) Init(shift uint8) { h.shift = shift }

// Observe counts v.
func (h *Histogram) Observe(v uint64) {
	i := 0
	if v > 0 {
		i = bits.Len64((v - 1) >> h.shift)
	}
	if i >= Buckets {
		i = Buckets - 1
	}
	h.buckets[i].Add(1)
	h.sum.Add(v)
}

// Snapshot is a histogram's counts at one moment.
type Snapshot struct {
	Shift   uint8
	Buckets [Buckets]uint64 // per bucket, not cumulative
	Sum     uint64
}

// Read adds the histogram's current counts to s. Buckets and sum are read
// one by one, so a concurrent Observe may be seen in one and not the other;
// every figure is still a count that happened.
func (h *Histogram) Read(s *Snapshot) {
	s.Shift = h.shift
	for i := range h.buckets {
		s.Buckets[i] += h.buckets[i].Load()
	}
	s.Sum += h.sum.Load()
}

// UpperBound is bucket i's inclusive upper bound; the last is unbounded
// and reported as the largest uint64.
func (s *Snapshot) UpperBound(i int) uint64 {
	if i >= Buckets-1 {
		return ^uint64(0)
	}
	return uint64(1) << s.Shift << i
}

// Count is the number of observations.
func (s *Snapshot) Count() uint64 {
	var n uint64
	for _, b := range s.Buckets {
		n += b
	}
	return n
}

// Minus returns the observations since earlier, a snapshot of the same
// histograms taken before.
func (s Snapshot) Minus(earlier *Snapshot) Snapshot {
	for i := range s.Buckets {
		s.Buckets[i] -= earlier.Buckets[i]
	}
	s.Sum -= earlier.Sum
	return s
}

// Quantile estimates the q-quantile (0 < q <= 1) by linear interpolation
// inside its bucket, as Prometheus's histogram_quantile does; 0 when there
// are no observations. A quantile in the unbounded bucket is reported as
// that bucket's lower bound.
func (s *Snapshot) Quantile(q float64) float64 {
	total := s.Count()
	if total == 0 {
		return 0
	}
	rank := q * float64(total)
	var seen float64
	for i, b := range s.Buckets {
		if b == 0 {
			continue
		}
		if seen+float64(b) >= rank {
			lower := 0.0
			if i > 0 {
				lower = float64(s.UpperBound(i - 1))
			}
			if i == Buckets-1 {
				return lower
			}
			upper := float64(s.UpperBound(i))
			return lower + (upper-lower)*(rank-seen)/float64(b)
		}
		seen += float64(b)
	}
	return float64(s.UpperBound(Buckets - 2))
}
