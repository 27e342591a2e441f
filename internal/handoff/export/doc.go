// Package export hands the winners in the store to the mall as files: the
// nightly export behind `seckill export -out FILE` and the admin endpoint
// POST /admin/export of a running engine. Both run the same Exporter over a
// *wal.Log; the live push to the mall is package push, which encodes the
// same records.
//
// # Records
//
// One record per win, as a JSON Lines object or a CSV line (header first),
// fields in this order:
//
//	activity, sku      the chain the win belongs to
//	seq                1..quota within (activity, sku), no gaps
//	uid                the winner
//	ticket             16 bytes, lowercase hex
//	time               RFC 3339 with nanoseconds, UTC
//	time_unix_nano     the same instant as an integer
//	client             the buyer's address ("" when unknown)
//	prev, hash         the hash chain, lowercase hex (32 bytes each)
//	idempotency_key    activity "/" sku "/" seq — the same key the live push
//	                   sends, so the mall can deduplicate across both
//
// Every field of the canonical encoding is there, so anyone holding the
// files can recompute each hash (engine.ComputeHash), check each chain, and
// recompute engine.ActivityDigest over the chain heads (see Verifier) to
// compare with the digest an operator published or the manifest lists.
// The encoders write by hand (strconv, hex) into one reused buffer: an
// export is bounded by the store scan, not by encoding/json.
//
// # Files and manifest
//
// FILE ending in ".zst" is zstd-compressed (klauspost/compress, fastest
// level). Beside it, FILE.manifest.json holds the count, the first and last
// win time, the sha256 and size of FILE as stored, format and compression,
// the range of seqs exported per chain, and per activity the chain heads
// and the digest of the WHOLE chains at the moment of the export. The
// manifest is renamed into place after FILE: a consumer that sees the
// manifest may read the file. An export never overwrites an existing FILE.
//
// # Cursor and exactly-once
//
// The store's meta key "export.cursor" holds, per chain, the last seq a
// committed file holds (seqs have no gaps, so one number per chain is the
// whole state). An incremental run exports the wins after it, read through
// wal.Log.ScanWinsAfter, which seeks past the exported part and reads all
// chains from one consistent view. -all exports every win and leaves the
// cursor alone: a full dump is a side copy for audit or a reload, and the
// chain of nightly files stays gap- and duplicate-free.
//
// A run: (1) store "export.intent" {run id, absolute FILE, incremental}
// with a synced write; (2) write FILE.<run>.tmp and fsync it; (3) write the
// manifest's temporary file and fsync it; (4) rename FILE into place, then
// the manifest; (5) fsync the directory; (6) in ONE synced store write,
// move the cursor to the manifest's ranges and delete the intent. A run
// that finds an intent (the previous one died) rolls it forward when FILE
// and its manifest are both in place with the manifest's sha256 and run id
// — only step 6 was missing — and rolls it back otherwise: it deletes the
// manifest, FILE and the temporaries, then the intent. Either way no win is
// in two committed files and none is skipped. A run that fails without
// dying undoes itself at once.
//
// # The store lock
//
// Pebble lets one process open a store. `seckill export -data DIR` works on
// a stopped engine (the nightly cron after the rounds); while `seckill
// serve` runs, wal.Open says wal.ErrLocked, and the command points to POST
// /admin/export, which runs the same Exporter over the engine's open store.
// An Exporter runs one export at a time.
package export
