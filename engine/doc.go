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
// The sale economics (waitlist.go, qualification.go): a quota that
// overbooks the stock, a waitlist once every qualification is issued, the
// mall's paid/lapsed reports, and a lapsed seq passed to the first waiting
// user or back on sale. Each step is a control record (waitlisted, paid,
// lapsed, promoted) that a Decision (Record = RecordControl) or a Control
// leaves for the driver to take with TakeRecords and persist before it
// answers, like a win.
//
// Control changes (pause, resume, a new reservation list; later stock,
// end-now, blocklists, qualifications, lottery steps) are decided the same
// way: Control decides one at its place among the attempts and completes
// its record (a Control), which is persisted with the wins around it;
// ApplyControl feeds it back at the same place. A SKU's log is two hash
// chains, its wins and its control records, bound to each other; ChainHead
// is where both end, and ActivityDigest the value an operator publishes.
// Freeze gives a read-only view of the winners that other goroutines may
// read while the shard goes on.
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
//	c := engine.Control{Kind: engine.ControlPause, TimeUnixNano: now}
//	if s.Control(&c) == engine.ControlApplied {
//		// persist c with the batch's wins, then answer the operator
//	}
//
// Broken invariants (a seq beyond the quota, a win for a uid that already won)
// panic: they mean the core itself is wrong, not that an operation failed.
package engine
