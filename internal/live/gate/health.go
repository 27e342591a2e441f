package gate

import (
	"bytes"

	"seckill/httpmin"
)

// What /healthz answers. A load balancer takes the engine out of rotation on
// the 503s: draining from the first moment of a shutdown, so it stops
// sending buyers before the listener closes; store_failed once any shard's
// store write failed, since its buys then only get unavailable.
var (
	healthOK          = httpmin.AppendResponse(nil, 200, nil, []byte(`{"status":"ok"}`))
	healthDraining    = httpmin.AppendResponse(nil, 503, nil, []byte(`{"status":"draining"}`))
	healthStoreFailed = httpmin.AppendResponse(nil, 503, nil, []byte(`{"status":"store_failed"}`))
)

// SetDraining makes /healthz answer 503 draining from now on. The server
// calls it first thing on a shutdown, drain_delay before the front end stops
// taking buys.
func (g *Gate) SetDraining() { g.draining.Store(true) }

// Health is /healthz's status: "ok", "draining" or "store_failed".
func (g *Gate) Health() string {
	switch {
	case g.draining.Load():
		return "draining"
	case g.StoreFailed():
		return "store_failed"
	}
	return "ok"
}

// StoreFailed reports whether the store failed under any shard.
func (g *Gate) StoreFailed() bool {
	for _, r := range g.Routes() {
		if r.Loop.Public().Failed() {
			return true
		}
	}
	return false
}

func (g *Gate) healthz(out []byte) []byte {
	switch g.Health() {
	case "draining":
		return append(out, healthDraining...)
	case "store_failed":
		return append(out, healthStoreFailed...)
	}
	return append(out, healthOK...)
}

// ServeDraining answers a request that arrives once the front end drains:
// /healthz with its status, everything else unavailable (with its CORS
// lines, as Refuse).
func (g *Gate) ServeDraining(req *httpmin.Request, out []byte) []byte {
	if bytes.Equal(req.Path(), pathHealthz) {
		return g.healthz(out)
	}
	return g.Refuse(RefuseDraining, false, req.Origin(), out)
}
