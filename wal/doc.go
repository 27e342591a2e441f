// Package wal is the durable log of seckill's wins.
//
// Every attempt a per-SKU shard goroutine wins becomes an engine.Win. The
// shard hands its wins to Log.AppendWins, which writes them to a Pebble store
// under data_dir in one batch, committed with pebble.Sync, and returns only
// after the fsync of Pebble's write-ahead log. THE LAW: a `won` response is
// never sent before its record is fsync'd — so a shard sends `won` only for
// wins whose AppendWins returned nil, and `unavailable` otherwise.
//
// Usage:
//
//	log, err := wal.Open(dataDir, wal.Options{})
//	key, err := log.TicketKey()            // signing key for engine.TicketSigner
//	err = log.AppendWins(wins)             // nil: durable; send `won`
//	err = log.ScanWins(func(w *engine.Win) error { ... }) // recovery, export, audit
//	err = log.Close()
//
// Replay and export tools open the store with Options{ReadOnly: true}; that
// refuses (ErrLocked) while an engine holds the store.
//
// # Durability and group commit
//
// A win is durable only when AppendWins returns nil. Many shards call
// AppendWins concurrently; Pebble's commit pipeline queues their batches into
// the WAL and one fsync covers every batch queued before it (group commit),
// so throughput grows with concurrency while each caller still waits for its
// own fsync. After any write error the Log is failed for good: every later
// write returns an error wrapping ErrWrite, until the store is closed and
// opened again. A win whose AppendWins failed may or may not be in the store
// after a restart (its client was told `unavailable`, so replaying it is
// safe); a win whose AppendWins returned nil always is.
//
// # Keys
//
// Keys are byte-sortable, so a scan returns wins in (activity, sku, seq)
// order. Activity and SKU are 1..64 bytes and never contain 0x00.
//
//	winner key                           meta key
//	+-----+----------+------+-----+------+-------------+  +-----+-----+
//	| 'w' | activity | 0x00 | sku | 0x00 | seq (8, BE) |  | 'm' | key |
//	+-----+----------+------+-----+------+-------------+  +-----+-----+
//
// Meta keys hold small synced values (export cursor, delivery state, config
// snapshots); "wal.ticket_key" holds the 32-byte ticket key, and
// "wal.head/" activity 0x00 sku holds each SKU's head marker: the seq (8
// bytes, BE) and hash (32) of its last win, written in the same batch as
// the wins (head.go), so that an audit can tell a lost tail from tampering.
//
// # Winner value
//
// The value is the win's canonical encoding (engine.AppendCanonical) followed
// by its hash. Offsets are in bytes; A and S are the activity and SKU
// lengths; integers are big-endian.
//
//	offset        size  field
//	0             1     version = 1
//	1             1     kind = 'W' (0x57)
//	2             8     seq: 1..quota within (activity, sku), no gaps
//	10            8     uid
//	18            8     time, Unix nanoseconds (int64)
//	26            16    client address, IPv4-mapped IPv6; all zero = unknown
//	42            16    ticket (first 16 bytes of HMAC-SHA256 by the ticket key)
//	58            32    prev hash: hash of the win with seq-1; zero for seq 1
//	90            1     activity length A (1..64)
//	91            A     activity
//	91+A          1     sku length S (1..64)
//	92+A          S     sku
//	92+A+S        32    hash = SHA-256 of bytes [0, 92+A+S)
//	124+A+S             end
//
// Bytes [0, 92+A+S) are the canonical body; the activity, SKU and seq in it
// must equal those in the key, or the record is corrupt (ErrCorrupt).
//
// # The chain
//
// The wins of one (activity, sku) form a hash chain: each win's prev hash is
// the hash of the win before it, and its hash covers all of its fields,
// prev hash included. Editing, deleting, reordering or inserting a record
// therefore breaks the chain at that point. This package stores the hash as
// given and ScanWins returns the stored hash; verifying the chain
// (engine.ComputeHash, and Prev against the previous Hash) is the reader's
// job.
//
// # Disk errors
//
// Pebble v2.1.7 does not survive a WAL write or sync error: it exits through
// Logger.Fatalf, or its commit pipeline wedges. This package keeps the
// process alive: a fence on the WAL files records the first error as the
// Log's failure before Pebble can act on it, and the Logger given to Pebble
// never exits. See fenceFS and guardLogger.
package wal
