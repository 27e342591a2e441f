// Package bench is seckill's load generator: the workers that fire
// Connection: close GET requests at a server the way phones do at the start
// of a sale, record what came back, and check the sale's invariants from
// the answers. Its command is cmd/seckill-bench; bench/run.sh reproduces
// every row of docs/BENCHMARKS.md with it.
//
// Modes (Spec.Mode):
//
//   - burst: Users distinct users fire at StartUnixNano; each retries busy
//     answers after the server's retry_ms until it gets a final answer, as a
//     real client does. Wins are kept and, with Verify, looked up again with
//     /result.
//   - sustained: a fixed Rate of attempts for Duration, open loop: latency is
//     measured from the moment an attempt was due, so a server (or client)
//     that falls behind shows it instead of hiding it.
//   - fixed: Count attempts over Conns connections, closed loop; for CPU cost
//     per request, where the count must be exact.
//   - hold: open Conns connections, send each a request head without its
//     final CRLF and keep them (the stampede that waits for the second the
//     sale opens), until told to release; then complete them all at once or
//     close them.
//
// One worker process may hold at most about 20,000 descriptors here, and one
// source address at most about 28,000 ephemeral ports, so Spawn splits a
// job over several worker processes, each with its own share of users,
// connections, rate and source addresses (127.0.0.x), and merges their
// Partials: counts add, HDR histograms merge, per-window series align on
// StartUnixNano.
package bench
