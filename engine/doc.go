// Package engine is the decision core of seckill: a pure, deterministic state
// machine per SKU shard.
//
// A Shard holds one (activity, SKU) pair's quota, seq counter, winners and hash
// chain. Step decides one attempt — won, already_won, sold_out, busy, ... — as
// a function of the shard's state and the Attempt alone. Time arrives as a
// value inside the Attempt; the core opens no sockets or files, starts no
// goroutines and never reads the clock. Apply feeds a durable Win back into a
// shard, which is how recovery at start and the auditor's replay rebuild the
// same state the live sale had.
//
// The same core is driven by four callers:
//
//   - internal/live/shardloop, the live driver: one goroutine per shard pulls
//     attempts from a bounded inbox, calls Step, group-commits the wins to the
//     wal and only then sends the replies;
//   - recovery at start, which Applies every stored Win before serving;
//   - replay, the audit, which Applies the log and checks the invariants;
//   - the seeded simulation test, which drives Step against a reference model.
//
// Usage:
//
//	claims := engine.NewClaims()
//	s := engine.NewShard(spec, signer, claims, reservations)
//	d := s.Step(&engine.Attempt{Kind: engine.Buy, UID: 42, NowUnixNano: now})
//	if d.Result == engine.Won {
//		w := s.WinAt(d.Seq) // persist w, then s.MarkDurable(d.Seq), then reply
//	}
//
// Broken invariants (a seq beyond the quota, a win for a uid that already won)
// panic: they mean the core itself is wrong, not that an operation failed.
package engine
