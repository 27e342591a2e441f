// Package sim is the whole-system deterministic simulation of seckill, in
// the manner of FoundationDB's simulator and TigerBeetle's VOPR: one seed
// draws a sale and drives the real parts of the engine through thousands
// of buyers' requests, operator changes, injected disk faults, crashes and
// restarts, on a single goroutine, so that the same seed always gives the
// same run.
//
// What is real: the gate (internal/live/gate), which gets each request
// head as httpmin parses it and answers it or queues it on a shard exactly
// as it does live; each SKU's shardloop.Loop with its engine.Shard, stepped
// by the simulation with Loop.StepQueued (the same batch, commit and
// durable-then-reply logic as Loop.Run); the wal on Pebble's crashable
// in-memory file system (vfs.NewCrashableMem) under an errorfs injector;
// recovery with replay.Rebuild; the config records of the audit log; and
// the audit, replay.Audit, as `seckill replay` runs it. What is simulated:
// time (a clock the loops read, moved on by the simulation), the network
// (requests are heads handed to the gate; answers are read back from the
// encoded responses) and the operator (control.go, the same steps the
// admin API takes).
//
// Each seed draws one to three activities (either limit mode, some with a
// reservation list, release and admission rates, small stocks so that SKUs
// sell out, some overbooked (quota_percent 101..300) and some with a
// waitlist of up to 8) and a population of up to 3,000 buyers, then takes
// DefaultSteps actions: a burst of requests (buys and lookups, retries of
// refused buyers, unknown SKUs, malformed requests), one batch of one
// shard, a clock advance, a pause or resume or reservation swap (queued in
// the shards' inboxes behind the attempts already there), the mall's paid
// or lapsed report of a seq (economics.go: a control task in the SKU's
// inbox, as the admin route queues it, so reports race batches, faults and
// crashes; some repeat, some name a seq never issued or another uid), write or
// sync errors on the WAL (until the next restart), a crash that keeps only
// synced data (or, one time in three, everything written), a kill that
// loses the queued attempts, or a clean restart that answers them first.
//
// What is checked, as it happens:
//   - every answer against what the buyers were told before: a win is
//     told with the same seq and ticket every time, a seq to one uid only,
//     a winner's retry never hears sold_out, not_reserved, limit_reached or
//     none, a buy by a uid outside the reservation list it was judged
//     under never hears sold_out (gate or shard, whichever answered), no
//     uid wins two SKUs of a limit = "activity" activity; a new
//     win is in its window, and fits what its shard had decided before it
//     in inbox order: not after a pause (without a resume since), by a uid
//     in the reservation list the last swap put in force (control changes
//     are control tasks in the shards' inboxes, as the admin API makes
//     them, and the model follows their durable answers);
//   - the economics (economics.go): a waitlisted answer has a position
//     within the waitlist, the same every time, one uid per position; a
//     waiter never hears sold_out or none; a lapse is never applied after
//     a paid report (it is refused with ErrPaidCannotLapse); a lapse with
//     someone told waiting promotes, and to no waiter behind another still
//     waiting; the promotion names the same seq and the lapsed uid;
//
// and after every crash or restart, before and after recovery:
//   - the audit passes (every check, no truncated tail);
//   - every win any buyer was told is in the store with its seq and
//     ticket; each SKU's seqs run 1..n within the quota, no uid twice, and
//     no uid in two SKUs of a limit = "activity" activity; the recovered
//     shards publish the store's remaining stock (lapsed units back on
//     sale included);
//   - the economics records, walked in log order by the simulation's own
//     rules (economics_store.go): at every record, seqs held ≤ quota and
//     each seq held by one uid, no uid holding two; waitlist places only
//     once every seq is issued, positions 1.. in order; paid and lapsed
//     name the holder, nothing after paid; every promotion follows a lapse
//     of its seq, names the lapsed uid and the next round, and goes to the
//     first waiter (or is the first unit back on sale); every answered
//     waitlist place, paid, lapse and promotion is stored with its seq and
//     ticket (a report whose answer a crash lost may be there or not: the
//     model learns it from the store).
//
// Determinism: every choice comes from the seed's PCG; nothing reads the
// wall clock; the loops never run on their own goroutines; the store's
// ticket key is drawn from the seed; Pebble's background goroutines only
// move data the simulation does not read directly. TestSimulationIsDeterministic
// runs a seed twice and compares the digest of every answer and every
// recovered state.
//
// Running it:
//
//	go test ./internal/testkit/sim                        # CI: seeds 1..3
//	go test ./internal/testkit/sim -run TestSimulation -seeds 500   # a longer search
//	go test ./internal/testkit/sim -run TestSimulation -first 701 -seeds 500  # other seeds
//	go test ./internal/testkit/sim -run TestSimulation -seed 12     # reproduce one seed
//	go test ./internal/testkit/sim -run TestSimulation -seed 12 -simlog  # and print its events
//
// A failure prints the seed, the step, the simulated time and the broken
// rule; a search goes on to the next seed and reports up to ten.
//
// With the sale economics driven (quota over 100 %, waitlists, paid and
// lapsed reports), seeds 1..60 pass (go test -seeds 60: 2,324 reports,
// 563 lapses, 174 promotions, 530 waitlist places told, 1,489 crashes);
// promoting the second waiter
// instead of the first, or letting a lapse through after paid, fails
// seeds 1..7 and 2, 7 of the first ten. Before the economics,
// seeds 1..700 (DefaultSteps each: 14.3 million requests, 95,394 wins
// told, 17,716 crashes, 18,354 restarts, 11,779 fault windows, 52,516
// control changes, 36,070 audits) pass; the runs that found the bugs fixed
// so far are named in the tests that pin them (engine
// TestRecoveryKeepsReleaseCount, shardloop
// TestFailedBatchAnswersUnavailable).
package sim
