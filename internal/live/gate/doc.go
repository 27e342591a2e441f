// Package gate is the front end's decision layer, shared by every front end
// (the gnet event loop in netpoll, and the net/http comparison front end): it
// turns a parsed request into either an immediate response or a task on a
// shard's inbox, and encodes the shard's later decision on the front end's
// goroutine.
//
// Everything here runs on the caller's goroutine — for netpoll, an event
// loop — so it only does cheap, non-blocking work: route lookup, token check,
// blocklist, per-address rate, the activity window, the sold-out and failed
// flags (atomics), reservation lookup, the per-SKU admission counter (tier 1),
// the one-attempt-in-flight-per-uid table, and a non-blocking Offer to the
// shard's bounded inbox (tier 2). A request that fails any of them never
// reaches a shard.
//
// Usage from a front end:
//
//	var p gate.Pending
//	resp, queued := g.Serve(&req, clientAddr, nowUnixNano, replier, &p, buf[:0])
//	if !queued { write resp and close }
//	// replier.Reply(d), on the shard's goroutine: keep *d, wake the front end.
//	// Then, on the front end's goroutine:
//	out := g.Answer(&p, &kept, buf[:0]) // write out and close
//	// or, if the client left meanwhile: g.Forget(&p, d)
package gate
