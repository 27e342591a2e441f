// Package shardloop is the live driver of an engine.Shard: the goroutine that
// owns one (activity, SKU), its bounded inbox, and the group commit of its
// wins to the store.
//
// The front end (netpoll's event loops, or the net/http comparison front end)
// Offers a Task without blocking; a full inbox is the second admission tier
// and the front end answers busy at once. The loop drains up to batchMax tasks,
// steps each through the pure shard, appends the batch's wins to the store in
// one synchronous commit, and only then hands every decision of the batch to
// its Replier. Concurrent loops commit concurrently, and the store shares one
// fsync among them (see package wal).
//
// Public holds the atomics the front end reads without touching the shard:
// sold-out, failed and remaining, for the cheap checks and for /stock.
package shardloop
