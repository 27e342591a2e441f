// Package wal is the durable log of seckill's sales: the wins and the
// control records of every (activity, SKU).
//
// Every attempt a per-SKU shard goroutine wins becomes an engine.Win; every
// control change it decides (pause, resume, a reservation list, a stock,
// the end of the round, a blocklist; see engine.Control) becomes a control
// record. The shard hands a batch's wins
// and control records to Log.Append, which writes them to a Pebble store
// under data_dir in one batch, committed with pebble.Sync, and returns only
// after the fsync of Pebble's write-ahead log. THE LAW: a `won` response is
// never sent before its record is fsync'd — so a shard sends `won` only for
// wins whose Append returned nil, and `unavailable` otherwise; likewise an
// operator hears that a control change took effect only once its record is.
//
// Usage:
//
//	log, err := wal.Open(dataDir, wal.Options{})
//	key, err := log.TicketKey()            // signing key for engine.TicketSigner
//	err = log.Append(wins, controls)       // nil: durable; send `won`
//	err = log.ScanWins(func(w *engine.Win) error { ... }) // recovery, export, audit
//	err = log.ScanControls(func(r *wal.ControlRecord) error { ... }) // recovery, audit
//	err = log.Close()
//
// Replay and export tools open the store with Options{ReadOnly: true}; that
// refuses (ErrLocked) while an engine holds the store.
//
// # Durability and group commit
//
// A win is durable only when Append (or Committer.Append) returns nil. The
// engine's shard loops do not call Log.Append each: they share one
// Committer (committer.go), which collects the batches of all shards that
// are ready and makes one synced pebble commit per round, pipelined — the
// next round is applied while the previous one's fsync runs — so however
// many SKUs are selling, one fsync and one pebble commit carry all their
// wins. Log.Append stays for single writers (the admin API's control
// records, tools, the simulation); concurrent Appends still share WAL
// fsyncs in pebble's commit pipeline. After any write error the Log is
// failed for good: every later write returns an error wrapping ErrWrite,
// until the store is closed and opened again. A win whose Append failed may
// or may not be in the store after a restart (its client was told
// `unavailable`, so replaying it is safe); a win whose Append returned nil
// always is.
//
// # Keys
//
// Keys are byte-sortable, so a scan returns wins (and control records) in
// (activity, sku, seq) order. Activity and SKU are 1..64 bytes and never
// contain 0x00.
//
//	winner key ('w') and control key ('c')                  meta key
//	+-----+----------+------+-----+------+-------------+  +-----+-----+
//	| 'w' | activity | 0x00 | sku | 0x00 | seq (8, BE) |  | 'm' | key |
//	+-----+----------+------+-----+------+-------------+  +-----+-----+
//
// A control key's seq is the record's own (1.. within the SKU's control
// strand), not a win's.
//
// Meta keys hold small synced values (export cursor, delivery state, config
// records, reservation lists, blocklists); "wal.ticket_key" holds the 32-byte ticket
// key; "wal.head/" activity 0x00 sku holds each SKU's head marker: the seq
// (8 bytes, BE) and hash (32) of its last win, and "wal.chead/" activity
// 0x00 sku likewise of its last control record, each written in the same
// batch as the records it names (head.go, control.go), so that an audit can
// tell a lost tail from tampering.
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
// # Control value
//
// The value is the control record's canonical encoding
// (engine.AppendControlCanonical) followed by its hash; D is the data
// length. One record per SKU per change: an activity-wide change (a pause
// of the whole activity, its new reservation list, its end) is one record
// in each SKU's strand, and a blocklist change one in every SKU's strand,
// each decided by that SKU's shard in sequence with its own attempts.
//
//	offset        size  field
//	0             1     version = 1
//	1             1     tag = 'C' (0x43)
//	2             8     seq: 1.. within (activity, sku)'s control strand, no gaps
//	10            8     after_wins: the SKU's wins when the shard decided it;
//	                    it applies after win after_wins, before the next
//	18            32    win_head: hash of win after_wins; zero when 0
//	50            1     kind: 1 pause, 2 resume, 3 reservations, 4 set_stock,
//	                    5 end_now, 6 blocklist, 7 waitlisted, 8 paid,
//	                    9 lapsed, 10 promoted, 11 lottery_commit,
//	                    12 lottery_entrants, 13 lottery_beacon, 14 lottery_draw,
//	                    15 set_end, 16 release_rate, 17 set_waitlist
//	                    (engine.ControlKind)
//	51            1     source: 0 operator (admin API), 1 configuration,
//	                    2 sale (a waitlist place, a lapsed seq issued again,
//	                    lottery entrants and draw)
//	52            8     time, Unix nanoseconds (int64): the shard's batch clock
//	60            8     num    \
//	68            8     uid     | arguments; each kind uses some, the rest
//	76            32    digest  | are zero (reservations, blocklist: digest
//	                           /  of the list, num its entry count;
//	                              set_stock: num the stock, data the quota;
//	                              set_end: num the end, Unix nanoseconds;
//	                              release_rate, set_waitlist: num the value;
//	                              see below for the sale economics)
//	    waitlisted: num = position (1..), uid = the user
//	    paid, lapsed: num = seq, uid = its holder when reported
//	    promoted: num = seq, uid = its new holder, digest = ticket (16)
//	              ‖ promoted_from uid (8, BE) ‖ round (8, BE; 1 = first re-issue)
//	108           32    prev hash: hash of control seq-1; zero for seq 1
//	140           1     activity length A (1..64)
//	141           A     activity
//	141+A         1     sku length S (1..64)
//	142+A         S     sku
//	142+A+S       2     data length D (0..1024, BE)
//	144+A+S       D     data (an argument; set_stock: the quota, 8 bytes BE)
//	144+A+S+D     32    hash = SHA-256 of bytes [0, 144+A+S+D)
//
// A new kind (qualifications, lottery steps, ...) is a new kind number with its arguments in these fields: the
// format, this package and the audit's chain checks do not change.
//
// # The chain
//
// The wins of one (activity, sku) form a hash chain: each win's prev hash is
// the hash of the win before it, and its hash covers all of its fields,
// prev hash included. Its control records form a second chain the same way,
// and each names its place in the first (after_wins, win_head): editing,
// deleting, reordering, moving or inserting a record of either breaks a
// chain at that point. This package stores the hashes as given and the
// scans return them; verifying the chains (engine.ChainHead.Continue and
// ContinueControl) is the reader's job.
//
// # Disk errors
//
// Pebble v2.1.7 does not survive a WAL write or sync error: it exits through
// Logger.Fatalf, or its commit pipeline wedges. This package keeps the
// process alive: a fence on the WAL files records the first error as the
// Log's failure before Pebble can act on it, and the Logger given to Pebble
// never exits. See fenceFS and guardLogger.
package wal
