// Package netpoll is seckill's public front end: a gnet v2 event loop on all
// cores that reads minimal GET requests with small buffers, answers the cheap
// cases itself, hands purchase attempts to the SKU shards, and writes their
// replies when they come back. Every response carries Connection: close.
//
// No goroutine is started per connection or per request. Each connection
// carries a small pooled context (connCtx) with a three-bit state that the
// event loop and the shard goroutine hand back and forth:
//
//	reading ──Serve queues──▶ queued ──shard Reply──▶ replied ──loop's reply queue──▶ written, closed
//	   │                        │                        │
//	   └──idle timeout/peer close──▶ closed (the later of close and reply frees the context)
//
// The reply path is one-way and allocates nothing: the shard's Reply only
// stores its decision in the context and pushes the context onto its event
// loop's reply queue (wake.go); the first push into an empty queue wakes
// the loop through a socketpair registered with it, and the loop takes
// every queued reply at once, encodes each, releases the uid's in-flight
// slot and writes, off the shard's serial path. An attempt counts as queued
// until its answer is written (or its client has gone), so Drain, which
// waits for that count to reach zero, loses no reply to the Stop that
// follows.
//
// Limits: a request head longer than the read limit gets 431; a connection
// that has not completed its head within idle_timeout is closed (gnet has no
// deadlines; a timing wheel of 1/32 of the timeout per tick, driven by
// OnTick, closes it within idle_timeout + 10 %); connections
// beyond max_connections get an immediate busy and are closed, because gnet
// stops its whole engine when accept(2) fails with EMFILE.
//
// Usage:
//
//	srv := netpoll.New(netpoll.Options{Addr: "tcp://0.0.0.0:8080", Gate: g, ...})
//	go func() { errc <- srv.Run() }() // Run returning early is fatal for the caller
//	...
//	srv.Drain(ctx) // new requests get unavailable; queued ones are answered
//	srv.Stop(ctx)
package netpoll
