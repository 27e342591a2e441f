package meter

import (
	"math/rand/v2"
	"slices"
	"testing"

	"seckill/engine"
)

// bucketOf is the reference: the first bucket whose bound holds v.
func bucketOf(s *Snapshot, v uint64) int {
	for i := range Buckets {
		if v <= s.UpperBound(i) {
			return i
		}
	}
	panic("unreachable: the last bucket is unbounded")
}

func TestHistogramBuckets(t *testing.T) {
	for _, shift := range []uint8{0, 3, LatencyShift} {
		unit := uint64(1) << shift
		values := []uint64{0, 1, unit - 1, unit, unit + 1, 2 * unit, 2*unit + 1, 3 * unit, unit << 10, unit<<(Buckets-2) - 1, unit << (Buckets - 2), unit<<(Buckets-2) + 1, 1<<64 - 1}
		for _, v := range values {
			h := NewHistogram(shift)
			h.Observe(v)
			var s Snapshot
			h.Read(&s)
			want := bucketOf(&s, v)
			if s.Buckets[want] != 1 || s.Count() != 1 || s.Sum != v {
				t.Errorf("shift %d: Observe(%d) gave buckets %v sum %d, want bucket %d", shift, v, s.Buckets, s.Sum, want)
			}
		}
	}
}

// TestQuantile checks the estimate against the exact quantile of random
// samples: it must fall in the same bucket.
func TestQuantile(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	h := NewHistogram(LatencyShift)
	var vals []uint64
	for range 10000 {
		v := uint64(r.ExpFloat64() * 2e6) // ~2 ms mean, like group commits
		vals = append(vals, v)
		h.Observe(v)
	}
	slices.Sort(vals)
	var s Snapshot
	h.Read(&s)
	for _, q := range []float64{0.5, 0.9, 0.99} {
		exact := vals[int(q*float64(len(vals)))-1]
		got := s.Quantile(q)
		if bucketOf(&s, uint64(got)) != bucketOf(&s, exact) && bucketOf(&s, uint64(got)) != bucketOf(&s, exact)+1 {
			t.Errorf("q%.2f: estimate %.0f is not in the bucket of the exact %d", q, got, exact)
		}
	}
	var empty Snapshot
	if empty.Quantile(0.99) != 0 {
		t.Error("quantile of no observations is not 0")
	}
	var later Snapshot
	h.Observe(5)
	h.Read(&later)
	later = later.Minus(&s)
	if later.Count() != 1 {
		t.Errorf("Minus left %d observations, want 1", later.Count())
	}
}

func TestResults(t *testing.T) {
	var r Results
	for i, res := range AllResults {
		for range i {
			r.Add(res)
		}
	}
	for i, res := range AllResults {
		if got := r.Load(res); got != uint64(i) {
			t.Errorf("%s: %d, want %d", res, got, i)
		}
	}
	if len(AllResults) < 10 || AllResults[0] != engine.None || !slices.Contains(AllResults, engine.Unavailable) {
		t.Errorf("AllResults = %v", AllResults)
	}
}

func TestNoAllocs(t *testing.T) {
	h := NewHistogram(LatencyShift)
	var r Results
	if n := testing.AllocsPerRun(1000, func() { h.Observe(123456); r.Add(engine.Won) }); n != 0 {
		t.Fatalf("Observe and Add allocate %.1f times", n)
	}
}

func BenchmarkObserve(b *testing.B) {
	h := NewHistogram(LatencyShift)
	b.ReportAllocs()
	for i := range b.N {
		h.Observe(uint64(i))
	}
}
