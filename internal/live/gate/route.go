package gate

import (
	"seckill/internal/live/meter"
	"seckill/internal/live/shardloop"
)

// RouteSpec is what the gate knows of one (activity, SKU): the assembly
// (internal/app/server) fills it from the validated configuration.
type RouteSpec struct {
	Activity      string
	SKU           string
	Quota         int64 // units on sale, for the admin API
	StartUnixNano int64
	EndUnixNano   int64
	AdmitPerSec   int  // tier 1: attempts admitted per second; 0 = no limit
	Captcha       bool // a buy needs a captcha pass
	FailText      string
	DeliveryHint  string
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

	admit perSecond
}

// NewRoute describes one shard to the gate. The pause and the reservation
// list in force are the shard's (its control records), read from
// Loop.Public().
func NewRoute(spec RouteSpec, loop *shardloop.Loop) *Route {
	r := &Route{RouteSpec: spec, Loop: loop}
	r.WonLatency.Init(meter.LatencyShift)
	return r
}

// State is the /stock state at now.
func (r *Route) State(nowUnixNano int64) string {
	pub := r.Loop.Public()
	switch {
	case pub.Paused() || pub.Failed():
		return "paused"
	case nowUnixNano < r.StartUnixNano:
		return "not_started"
	case nowUnixNano >= r.EndUnixNano:
		return "ended"
	case pub.SoldOut():
		return "sold_out"
	}
	return "on_sale"
}

// routeTable finds the route of a SKU. A SKU sold in several rounds has one
// route per round, ordered by start; a request goes to the first round that
// has not ended, or to the last one when all have.
type routeTable map[string][]*Route

func (t routeTable) find(sku []byte, nowUnixNano int64) *Route {
	rs := t[string(sku)]
	for _, r := range rs {
		if nowUnixNano < r.EndUnixNano {
			return r
		}
	}
	if len(rs) == 0 {
		return nil
	}
	return rs[len(rs)-1]
}
