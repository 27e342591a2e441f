// Package shardloop is the live driver of an engine.Shard: the goroutine that
// owns one (activity, SKU), its bounded inbox, and the group commit of its
// wins and control records to the store.
//
// The front end (netpoll's event loops, or the net/http comparison front end)
// Offers a Task without blocking; a full inbox is the second admission tier
// and the front end answers busy at once. The loop drains up to batchMax
// tasks, steps each through the pure shard, appends the batch's wins to the store in
// one synchronous commit, and only then hands every decision of the batch to
// its Replier. The server gives every loop the same wal.Committer as its
// Store, which puts the ready batches of all loops into one synced commit
// per round (see package wal).
//
// The inbox's bound (queueLen) and batchMax are limits, not sizes: the
// inbox's ring and the batch's buffers start at a few slots and grow with
// the backlog, keeping their high-water mark, so a sale of thousands of
// SKUs pays memory (and the collector's scanning) for the SKUs that are
// crowded, not for every SKU it names.
//
// Control changes (pause, resume, a reservation list: engine.Control) travel
// through the same inbox as ControlTasks (Loop.Control, or OfferControl for
// a driver that steps the loop itself): the shard decides each in sequence
// with the attempts around it, its record goes into the same commit as the
// batch's wins, and the caller hears the verdict only once it is durable.
//
// Public holds what the front end reads without touching the shard, all of
// it durable: sold-out, failed, paused, remaining and the reservation list in
// force, for the cheap checks and for /stock; once sold out, Loop.FrozenWinner
// answers from a read-only view of the winners (engine.Frozen).
package shardloop
