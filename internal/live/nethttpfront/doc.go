// Package nethttpfront is the comparison front end: the same public API,
// served by the standard library's net/http, as most Go users would write
// it — one goroutine per connection, net/http's own parser and buffers, a
// handler that waits for the shard's reply on a channel and answers with
// Connection: close. It shares the engine's decision layer (internal/live/gate)
// with netpoll, so the two differ only in the network layer, which is what
// the benchmarks in bench/ compare.
//
// net/http has already parsed the request; the handler rebuilds the few
// bytes the gate reads (request line and Cookie headers) into a pooled
// buffer and parses them with httpmin, so that gate's zero-allocation entry
// point serves both front ends unchanged.
//
// Usage:
//
//	srv := nethttpfront.New(nethttpfront.Options{Addr: "127.0.0.1:8080", Gate: g, ...})
//	go func() { errc <- srv.Run() }() // Run returning early is fatal for the caller
//	...
//	srv.Drain(ctx); srv.Stop(ctx)
package nethttpfront
