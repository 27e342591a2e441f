// Package push hands winners to the mall while the engine serves: the live
// hand-off ([export] push_url) and `seckill export -push URL`, which
// re-pushes failed or all records from a stopped engine's store. The
// assembly (internal/app/server, cmd/seckill) builds its Options from the
// [export] section, which bounds and defaults each setting. It is the
// Notify system of the seed in small: every message is kept in the store
// with a delivery state, sent with retries, parked after N failed attempts,
// and re-pushed by hand once the receiver is fixed.
//
// # Delivery
//
// One goroutine (Start) reads a batch of at most push_batch records from
// the store, POSTs it as a JSON array of export records (package export:
// the same fields and the same idempotency_key, activity "/" sku "/" seq,
// as the nightly file, so the mall can deduplicate across both), and
// records the outcome. Each batch is signed: header X-Seckill-Signature
// "t=UNIX,v1=HEX", HEX the lowercase hex HMAC-SHA256 under Options.Secret
// of UNIX "." body (Signature). A 2xx answer means the mall took the whole
// batch; any other status — a 3xx included: redirects are never followed,
// so signed winners go to the configured URL or nowhere — a transport
// error or push_timeout means it took none. An https URL is checked against
// the system roots or Options.CAFile.
// A failed batch is retried after a wait drawn uniformly from [0,
// min(push_backoff_max, push_backoff × 2^(attempt−1))) ("full jitter"). A
// record that failed push_max_attempts POSTs is parked as failed and the
// records behind it flow on. Delivery is at least once: a crash between the
// mall's 2xx and the store write, or an answer lost to the timeout, sends a
// record again, and the mall keeps the first copy per key — so each key is
// accepted exactly once.
//
// The goroutine wakes when a shard loop signals Notify (capacity 1, sent
// without blocking after each durable commit), every second otherwise, and
// after a batch that was not full it lingers 20 ms, so a trickle of wins
// costs at most ~50 state writes a second while a backlog drains at full
// speed.
//
// # Never slowing the buy path
//
// The shards share nothing with the pusher but the non-blocking signal.
// The pusher reads the store through Pebble iterators, which do not block
// writers, and writes its state with one synced batch per POST, which joins
// the shards' group commit instead of adding a lock. A slow or dead mall
// only makes the pusher wait: the backlog is the store itself, so memory is
// one batch (push_batch records and their JSON body) however far behind
// the mall is. docs/EXPORT.md has the measurement.
//
// # Delivery state in the store
//
// Seqs in a chain have no gaps and records are sent in seq order, so the
// state is a watermark per chain plus explicit keys only for the exceptions
// (meta keys of package wal; "\0" is a zero byte, seq 8 bytes big-endian):
//
//	push.mark/ACT\0SKU        settled (8) | try_through (8) | attempts (4)
//	push.failed/ACT\0SKU\0SEQ attempts (4) | unix ms of the last (8) | last error (≤ 200 bytes)
//	push.queued/ACT\0SKU\0SEQ attempts since queued (4)
//
// Every seq ≤ settled was delivered, or is parked under a failed or queued
// key; every seq > settled is pending. While attempts > 0 the seqs
// settled+1..try_through have failed that many POSTs and are retried as a
// unit, so a restart continues their count. A record's state is thus:
// pending (seq > settled, or queued), failed (a failed key), or delivered
// (neither). Queued records — failed ones an operator asked to re-push —
// are sent before pending ones, with a fresh attempt count.
//
// Requeue(ScopeFailed) moves every failed key to the queue; Requeue(ScopeAll)
// drops all state, so every record is sent again. Both run in chunks of
// 10,000 keys per synced write, and bump a generation so that a batch in
// flight during a requeue does not overwrite it.
package push
