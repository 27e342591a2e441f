package gate

import (
	"slices"
	"sync/atomic"

	"seckill/internal/live/meter"
	"seckill/internal/live/shardloop"
)

// RouteSpec is what the gate knows of one (activity, SKU): the assembly
// (internal/app/server) fills it from the validated configuration.
type RouteSpec struct {
	Activity      string
	SKU           string
	Quota         int64 // qualifications configured; Loop.Public().Quota() is the one in force
	StartUnixNano int64
	EndUnixNano   int64 // configured; Route.End is the one in force
	AdmitPerSec   int   // tier 1: attempts admitted per second; 0 = no limit
	Captcha       bool  // a buy needs a captcha pass
	// Settings are the route's first settings; Route.SetSettings changes
	// them while serving.
	Settings Settings
}

// Settings are what may change on a route while it serves (a reload of the
// configuration file): the texts its answers quote and its tier 1 rate.
type Settings struct {
	AdmitPerSec  int // tier 1: attempts admitted per second; 0 = no limit
	FailText     string
	DeliveryHint string
}

// Route is one (activity, SKU) as the front end sees it: the description it
// quotes in responses, the shard loop it feeds, and the per-SKU admission
// state.
type Route struct {
	RouteSpec
	Loop *shardloop.Loop
	// Attempts counts this route's /buy attempts by result, and
	// WonLatency how long each won one took from the gate taking the
	// request to its reply being ready, the commit's fsync included.
	Attempts   meter.Results
	WonLatency meter.Histogram

	admit    perSecond
	settings atomic.Pointer[Settings]
}

// NewRoute describes one shard to the gate. The pause and the reservation
// list in force are the shard's (its control records), read from
// Loop.Public().
func NewRoute(spec RouteSpec, loop *shardloop.Loop) *Route {
	r := &Route{RouteSpec: spec, Loop: loop}
	r.WonLatency.Init(meter.LatencyShift)
	r.SetSettings(spec.Settings)
	return r
}

// Settings returns the settings in force: one atomic load, so the event
// loops read them without a lock while a reload replaces them.
func (r *Route) Settings() *Settings { return r.settings.Load() }

// SetSettings puts s in force for the answers given from now on.
func (r *Route) SetSettings(s Settings) { r.settings.Store(&s) }

// End is the round's end in force (unix nanoseconds): the shard's, which
// a set-end record moves while serving (engine.ControlSetEnd).
func (r *Route) End() int64 { return r.Loop.Public().End() }

// State is the /stock state at now.
func (r *Route) State(nowUnixNano int64) string {
	pub := r.Loop.Public()
	switch {
	case pub.Paused() || pub.Failed():
		return "paused"
	case nowUnixNano < r.StartUnixNano:
		return "not_started"
	case nowUnixNano >= pub.End() || pub.Ended():
		return "ended"
	case pub.SoldOut():
		return "sold_out"
	}
	return "on_sale"
}

// routeSet is the gate's routes at one moment. It is never changed once
// published: AddRoutes builds a new one and swaps the gate's pointer, so
// the event loops find routes with one atomic load and no lock.
type routeSet struct {
	bySKU routeTable
	all   []*Route
}

// with returns a new set holding s's routes and added.
func (s *routeSet) with(added []*Route) *routeSet {
	next := &routeSet{bySKU: make(routeTable, len(s.bySKU)+len(added)), all: slices.Concat(s.all, added)}
	for sku, rs := range s.bySKU {
		next.bySKU[sku] = rs
	}
	for _, r := range added {
		next.bySKU[r.SKU] = append(slices.Clip(next.bySKU[r.SKU]), r)
	}
	for _, r := range added {
		slices.SortStableFunc(next.bySKU[r.SKU], func(a, b *Route) int { return int(a.StartUnixNano>>20 - b.StartUnixNano>>20) })
	}
	return next
}

// routeTable finds the route of a SKU. A SKU sold in several rounds has one
// route per round, ordered by start; a request goes to the first round that
// has not ended (by its end time, or early by an end-now record), or to the
// last one when all have.
type routeTable map[string][]*Route

func (t routeTable) find(sku []byte, nowUnixNano int64) *Route {
	rs := t[string(sku)]
	for _, r := range rs {
		if pub := r.Loop.Public(); nowUnixNano < pub.End() && !pub.Ended() {
			return r
		}
	}
	if len(rs) == 0 {
		return nil
	}
	return rs[len(rs)-1]
}
