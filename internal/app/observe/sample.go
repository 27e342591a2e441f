package observe

import (
	"time"

	"seckill/engine"
	"seckill/internal/live/gate"
	"seckill/internal/live/meter"
)

// Source is where a Sample comes from.
type Source struct {
	Gate *gate.Gate
	// Conns returns the front end's open connections and how many it
	// refused over max_connections since start.
	Conns func() (open, refused int64)
	// PushBacklog returns the winners not yet delivered to the mall; nil
	// when the live push is off.
	PushBacklog func() (uint64, error)
	// Build is the running binary's version, for seckill_build_info.
	Build Build
	// Labels returns the names the dashboard shows (nil: the ids); the
	// gate keeps none, since no answer on the hot path quotes them. It is
	// called for each dashboard read, so rounds added and titles changed
	// while serving show.
	Labels func() Labels
}

// Labels name each activity (round) by its title and each item, keyed
// "activity/sku", by its name. Missing entries show the ids.
type Labels struct {
	Titles map[string]string
	Names  map[string]string
}

// Build names the running binary.
type Build struct {
	Version   string // the main module's version, "(devel)" from a checkout
	Revision  string // the VCS revision it was built from
	Time      string // the revision's commit time, RFC 3339
	GoVersion string
}

// RouteSample is one (activity, SKU) at one moment.
type RouteSample struct {
	Route      *gate.Route
	State      string
	Quota      int64
	Remaining  int64
	Queue      int
	Attempts   [32]uint64 // by engine.Result
	WonLatency meter.Snapshot
}

// Sold is how many units have a durable winner.
func (r *RouteSample) Sold() int64 { return r.Quota - r.Remaining }

// Sample is everything the operator is shown, at one moment.
type Sample struct {
	At          time.Time
	Routes      []RouteSample
	Unrouted    [32]uint64 // /buy attempts with no route, by result
	Commit      meter.Snapshot
	Batch       meter.Snapshot
	Open        int64
	Refused     int64
	Pushing     bool
	PushBacklog uint64
	PushErr     error
	Health      string // what /healthz answers: ok, draining, store_failed
	StoreFailed bool
}

// Take reads every counter now.
func (src *Source) Take(now time.Time) *Sample {
	routes := src.Gate.Routes()
	s := &Sample{At: now, Routes: make([]RouteSample, len(routes))}
	nowNano := now.UnixNano()
	for i, r := range routes {
		rs := &s.Routes[i]
		rs.Route = r
		rs.State = r.State(nowNano)
		rs.Quota = r.Loop.Public().Quota()
		rs.Remaining = r.Loop.Public().Remaining()
		rs.Queue = r.Loop.QueueLen()
		for _, res := range meter.AllResults {
			rs.Attempts[res] = r.Attempts.Load(res)
		}
		r.WonLatency.Read(&rs.WonLatency)
		m := r.Loop.Meters()
		m.Commit.Read(&s.Commit)
		m.Batch.Read(&s.Batch)
	}
	for _, res := range meter.AllResults {
		s.Unrouted[res] = src.Gate.UnroutedAttempts().Load(res)
	}
	if src.Conns != nil {
		s.Open, s.Refused = src.Conns()
	}
	if src.PushBacklog != nil {
		s.Pushing = true
		s.PushBacklog, s.PushErr = src.PushBacklog()
	}
	s.Health = src.Gate.Health()
	s.StoreFailed = src.Gate.StoreFailed()
	return s
}

// Totals sums the routes' attempts by result and their won latencies.
func (s *Sample) Totals() (attempts [32]uint64, won meter.Snapshot) {
	attempts = s.Unrouted
	for i := range s.Routes {
		for res, n := range s.Routes[i].Attempts {
			attempts[res] += n
		}
		addSnapshot(&won, &s.Routes[i].WonLatency)
	}
	return attempts, won
}

func addSnapshot(dst, src *meter.Snapshot) {
	dst.Shift = src.Shift
	for i, b := range src.Buckets {
		dst.Buckets[i] += b
	}
	dst.Sum += src.Sum
}

// Window is what happened between two samples.
type Window struct {
	Seconds  float64
	Attempts [32]uint64 // by engine.Result
	Won      meter.Snapshot
}

// Since returns what happened from earlier to s.
func (s *Sample) Since(earlier *Sample) Window {
	a1, w1 := s.Totals()
	a0, w0 := earlier.Totals()
	w := Window{Seconds: s.At.Sub(earlier.At).Seconds(), Won: w1.Minus(&w0)}
	for i := range a1 {
		w.Attempts[i] = a1[i] - a0[i]
	}
	return w
}

// Total is the window's attempts of every result.
func (w *Window) Total() uint64 {
	var n uint64
	for _, c := range w.Attempts {
		n += c
	}
	return n
}

// Wins is the window's won attempts.
func (w *Window) Wins() uint64 { return w.Attempts[engine.Won] }
