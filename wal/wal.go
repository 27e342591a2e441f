package wal

import (
	"crypto/rand"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"strings"
	"sync"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"seckill/engine"
)

// Options configures Open.
type Options struct {
	// FS is the file system; nil means vfs.Default. Tests pass an
	// errorfs-wrapped FS to inject write errors.
	FS vfs.FS
	// ReadOnly opens an existing store for replay or export; a missing store
	// is ErrOpen. Nothing is written, except that pebble opens the (empty)
	// LOCK file with os.Create to take its fcntl lock, which updates the
	// file's mtime; so the directory must be writable.
	ReadOnly bool
	// Logger receives pebble's log lines; nil means DefaultLogger (errors
	// only). Its Fatalf is never called: pebble's fatal errors are logged
	// with Errorf and fail the Log instead of exiting (see guardLogger).
	Logger pebble.Logger
}

// Log is a durable log of wins in a Pebble store. All methods are safe for
// concurrent use.
type Log struct {
	db       *pebble.DB
	lock     *pebble.Lock
	dir      string
	readOnly bool
	state    *failState

	// mu is held shared by every operation and exclusively by Close, so that
	// pebble is never used after (or during) its Close.
	mu     sync.RWMutex
	closed bool

	batches sync.Pool // *pebble.Batch of db, reset, ready for reuse

	keyMu     sync.Mutex
	ticketKey []byte
}

const ticketMetaKey = "wal.ticket_key"

// Open opens the store in dir, creating it when dir is absent or empty
// (unless ReadOnly: then a missing store is ErrOpen). A directory that holds
// files but no pebble store is refused with ErrOpen; it is never turned into
// an empty store. A store held by another process or another open Log —
// including by a running engine when ReadOnly is set — is ErrLocked. An
// unreadable or corrupt store is ErrOpen or ErrCorrupt, wrapping pebble's
// cause.
//
// Locking, from pebble v2.1.7's source: pebble.Open calls LockDirectory for
// every open, ReadOnly included. On Linux/BSD/macOS the lock is a fcntl
// F_SETLK write lock on dir/LOCK (vfs/file_lock_unix.go), opened with
// os.Create. fcntl locks are per process, so pebble also keeps a process-wide
// set of held lock paths and refuses a second lock of the same path in the
// same process ("lock held by current process"). Open takes the lock itself
// (pebble.LockDirectory, then Options.Lock) so the lock failure can be told
// apart from other open failures.
func Open(dir string, opts Options) (*Log, error) {
	fs := opts.FS
	if fs == nil {
		fs = vfs.Default
	}
	user := opts.Logger
	if user == nil {
		user = DefaultLogger
	}
	state := &failState{logger: user}

	if err := checkStoreDir(dir, fs, opts.ReadOnly); err != nil {
		return nil, err
	}
	lock, err := pebble.LockDirectory(dir, fs)
	if err != nil {
		if isLockConflict(err) {
			return nil, fmt.Errorf("%w: %s: %w", ErrLocked, dir, err)
		}
		return nil, fmt.Errorf("%w: %s: lock: %w", ErrOpen, dir, err)
	}

	logger := guardLogger{user: user, state: state}
	popts := &pebble.Options{
		FS:               &fenceFS{FS: fs, state: state},
		Lock:             lock,
		ReadOnly:         opts.ReadOnly,
		ErrorIfNotExists: opts.ReadOnly,
		Logger:           logger,
		EventListener: &pebble.EventListener{
			BackgroundError: func(err error) { user.Errorf("background error: %v", err) },
			// The default calls Logger.Fatalf; the read that hit the
			// corruption returns an error anyway (ScanWins: ErrCorrupt).
			DataCorruption: func(info pebble.DataCorruptionInfo) { user.Errorf("%s", info) },
		},
		// A large memtable keeps WAL rotations (and thus the window in
		// which a fenced WAL could be followed by a newer one) rare.
		MemTableSize: 64 << 20,
	}
	db, err := pebble.Open(dir, popts)
	if err != nil {
		_ = lock.Close()
		if pebble.IsCorruptionError(err) || errors.Is(err, pebble.ErrCorruption) {
			return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, dir, err)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrOpen, dir, err)
	}
	return &Log{db: db, lock: lock, dir: dir, readOnly: opts.ReadOnly, state: state}, nil
}

// checkStoreDir refuses what pebble would otherwise silently turn into a new,
// empty store: for ReadOnly, a missing directory or one without a store; for a
// writable open, a non-empty directory without a store. It creates dir for a
// writable open.
func checkStoreDir(dir string, fs vfs.FS, readOnly bool) error {
	if _, err := fs.Stat(dir); err != nil {
		if readOnly || !errors.Is(err, iofs.ErrNotExist) {
			return fmt.Errorf("%w: %s: %w", ErrOpen, dir, err)
		}
		if err := fs.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrOpen, dir, err)
		}
		return nil
	}
	desc, err := pebble.Peek(dir, fs)
	if err != nil {
		if pebble.IsCorruptionError(err) || errors.Is(err, pebble.ErrCorruption) {
			return fmt.Errorf("%w: %s: %w", ErrCorrupt, dir, err)
		}
		return fmt.Errorf("%w: %s: %w", ErrOpen, dir, err)
	}
	if desc.Exists {
		return nil
	}
	if readOnly {
		return fmt.Errorf("%w: %s: no store", ErrOpen, dir)
	}
	names, err := fs.List(dir)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrOpen, dir, err)
	}
	for _, n := range names {
		if n != "LOCK" { // left by an open that failed before creating a store
			return fmt.Errorf("%w: %s: directory is not empty but holds no store (found %q)", ErrOpen, dir, n)
		}
	}
	return nil
}

// isLockConflict reports whether err from pebble.LockDirectory means the lock
// is held: fcntl(F_SETLK) fails with EAGAIN or EACCES when another process
// holds it, and pebble refuses a second lock in the same process with "lock
// held by current process". Failing to create the LOCK file is an
// *os.PathError and not a conflict.
func isLockConflict(err error) bool {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return false
	}
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) {
		return true
	}
	return strings.Contains(err.Error(), "lock held by current process")
}

func wrapWrite(cause error) error { return fmt.Errorf("%w: %w", ErrWrite, cause) }

// Failure returns the error that failed the Log (wrapping ErrWrite), or nil
// while it is healthy.
func (l *Log) Failure() error { return l.state.failure() }

// AppendWins durably appends wins: Append(wins, nil).
func (l *Log) AppendWins(wins []engine.Win) error { return l.Append(wins, nil) }

// Append durably appends wins and control records: it writes them in ONE
// pebble batch, commits it with pebble.Sync, and returns only after the WAL
// fsync that covers the batch. A RECORD IS DURABLE ONLY WHEN Append RETURNS
// nil; only then may a `won` response naming a win be sent, or an operator
// be told that a control change took effect. A shard hands over its wins
// and controls of one batch together, so a control and the wins decided
// around it are committed atomically.
//
// Group commit: Append is safe for concurrent use by many shard
// goroutines, and concurrent calls share WAL fsyncs. In pebble v2.1.7,
// commitPipeline.prepare (commit.go) only appends the batch to the WAL's
// in-memory block under commitPipeline.mu and pushes its WaitGroup onto the
// LogWriter's sync queue (record/log_writer.go, SyncRecord → pendingSyncs);
// the single flushLoop goroutine then takes a snapshot of *all* queued sync
// waiters, writes everything buffered, issues one fsync, and releases every
// waiter in the snapshot (pendingSyncs.pop). Batches that arrive while an
// fsync runs queue up and share the next one.
//
// Failure: after ANY write error — encoding the batch included — the Log is
// failed. This call and every later Append (and PutMeta) return an error
// wrapping ErrWrite, and no call that returns after the failure was
// detected reports success, so a record that may not have been persisted is
// never reported as persisted. The guarantee after a restart is one-sided:
// every record whose Append returned nil is in the store; a record whose
// Append failed may be absent or present (its batch may have reached the
// disk before the failing write or sync). Replaying such a win is safe: its
// client was told `unavailable`, never `won`. Pebble's reaction to WAL
// errors (it exits via Logger.Fatalf or wedges its commit pipeline) is kept
// from it by the WAL fence (fenceFS) and guardLogger; the process never
// exits because of a disk error. To recover, Close the Log and Open the
// store again.
//
// Append returns an error wrapping ErrInvalidWin, without writing anything
// or failing the Log, if a record's Activity or SKU is empty, longer than 64
// bytes, or contains a 0x00 byte. It does not verify the chains or the
// hashes: they are stored as given. In steady state it does not allocate
// per win (batches are pooled and records are encoded in place with
// Batch.SetDeferred). With the records, the same batch sets the head marker
// of each (activity, SKU) strand to its last record (see head.go), so an
// audit can tell a lost tail from an intact log.
func (l *Log) Append(wins []engine.Win, controls []engine.Control) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if err := l.writable(); err != nil {
		return err
	}
	if len(wins) == 0 && len(controls) == 0 {
		return nil
	}
	if err := validRecords(wins, controls); err != nil {
		return err
	}
	b := l.batch()
	if err := encodeBatch(b, wins, controls); err != nil {
		// The batch is dropped, not reused. Failing the Log is the safe
		// reading of an error nothing should cause: the shard cannot tell
		// what part of its batch is where.
		l.state.fail(fmt.Errorf("%w: %w", errEncode, err))
		return l.state.failure()
	}
	return l.commit(b)
}

// encodeBatch puts wins, their head markers, controls and theirs into b.
func encodeBatch(b *pebble.Batch, wins []engine.Win, controls []engine.Control) error {
	if err := putWins(b, wins); err != nil {
		return err
	}
	// The head markers go in the same batch, so they are exactly as durable
	// as the records they name (see head.go).
	if err := putHeads(b, wins); err != nil {
		return err
	}
	return putControls(b, controls)
}

// putWins puts the winner records into b, encoded in place.
func putWins(b *pebble.Batch, wins []engine.Win) error {
	for i := range wins {
		w := &wins[i]
		kl, vl := winKeyLen(w), winValueLen(w)
		op := b.SetDeferred(kl, vl)
		AppendWinKey(op.Key[:0], w)
		// op.Value has exactly vl bytes of room (cap may reach further into
		// the batch buffer, so the length is checked).
		if n := len(AppendWinValue(op.Value[:0], w)); n != vl {
			panic(fmt.Sprintf("wal: encoded value is %d bytes, want %d", n, vl))
		}
		if err := finishOp(op); err != nil {
			return err
		}
	}
	return nil
}

// finishOp finishes one deferred batch op. It is a variable so that a test
// can make it fail: pebble's Finish fails only for indexed batches, which
// this package does not use, and the failure path must still be right.
var finishOp = func(op *pebble.DeferredBatchOp) error { return op.Finish() }

// writable reports why the Log cannot take a write now. l.mu is held.
func (l *Log) writable() error {
	if l.closed {
		return ErrClosed
	}
	if err := l.state.failure(); err != nil {
		return err
	}
	if l.readOnly {
		return ErrReadOnly
	}
	return nil
}

func (l *Log) batch() *pebble.Batch {
	if b, ok := l.batches.Get().(*pebble.Batch); ok {
		return b
	}
	return l.db.NewBatch()
}

// commit applies b with pebble.Sync and fails the Log on any error. l.mu is
// held. See AppendWins for the failure rules.
func (l *Log) commit(b *pebble.Batch) error {
	if err := l.apply(b, false); err != nil {
		return err
	}
	// The fence records a WAL failure before pebble releases the commits
	// waiting on the failed write or sync, so a commit whose fsync did not
	// happen always sees it here. (A commit whose fsync did succeed may see a
	// later failure too and is then reported failed: the safe direction.)
	if err := l.state.failure(); err != nil {
		return err
	}
	b.Reset()
	l.batches.Put(b)
	return nil
}

// apply commits b with pebble.Sync — waiting for the fsync, or with
// noSyncWait only queueing it (pebble.DB.ApplyNoSyncWait; the caller then
// waits with b.SyncWait) — and fails the Log on any error or panic from
// pebble's commit path. On error the batch is dropped, never reused. l.mu is
// held.
func (l *Log) apply(b *pebble.Batch, noSyncWait bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			// guardLogger's fatalPanic for a commit error, or a panic from
			// pebble's commit path (e.g. DB.commitWrite on a WAL error).
			var cause error
			switch v := r.(type) {
			case fatalPanic:
				cause = v.err
			case error:
				cause = fmt.Errorf("pebble panic: %w", v)
			default:
				cause = fmt.Errorf("pebble panic: %v", v)
			}
			l.state.fail(cause)
			err = l.state.failure()
		}
	}()
	if noSyncWait {
		err = l.db.ApplyNoSyncWait(b, pebble.Sync)
	} else {
		err = l.db.Apply(b, pebble.Sync)
	}
	if err != nil {
		l.state.fail(err)
		return l.state.failure()
	}
	return nil
}

// ScanWins calls fn for every win in key order: (activity, sku, seq), with
// activity and SKU compared as bytes. w.Hash is the STORED hash, not
// recomputed; the caller verifies the chain. w is reused between calls (copy
// *w to keep it). A record that does not decode, or whose key and value
// disagree, stops the scan with an error wrapping ErrCorrupt that names the
// key. An error from fn stops the scan and is returned as is. Close waits for
// a running scan.
func (l *Log) ScanWins(fn func(w *engine.Win) error) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: winLower, UpperBound: winUpper})
	if err != nil {
		return l.readErr(err)
	}
	var w engine.Win
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return l.readErr(err)
		}
		if err := DecodeWin(it.Key(), v, &w); err != nil {
			err = fmt.Errorf("key %q: %w", it.Key(), err)
			_ = it.Close()
			return err
		}
		if err := fn(&w); err != nil {
			_ = it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return l.readErr(err)
	}
	return nil
}

func (l *Log) readErr(err error) error {
	if pebble.IsCorruptionError(err) || errors.Is(err, pebble.ErrCorruption) {
		return fmt.Errorf("%w: %s: %w", ErrCorrupt, l.dir, err)
	}
	return fmt.Errorf("wal: read %s: %w", l.dir, err)
}

// PutMeta durably (pebble.Sync) stores a small metadata value: export
// cursor, delivery state, config snapshots. Keys starting with "wal." are
// reserved. It fails like AppendWins.
func (l *Log) PutMeta(key string, value []byte) error {
	if key == "" || strings.HasPrefix(key, "wal.") {
		return fmt.Errorf("wal: invalid meta key %q", key)
	}
	return l.putMeta(key, value)
}

func (l *Log) putMeta(key string, value []byte) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if err := l.writable(); err != nil {
		return err
	}
	b := l.batch()
	k := metaKey(nil, key)
	if err := b.Set(k, value, nil); err != nil {
		return err
	}
	return l.commit(b)
}

// GetMeta returns a copy of the metadata value stored under key.
func (l *Log) GetMeta(key string) ([]byte, bool, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return nil, false, ErrClosed
	}
	v, closer, err := l.db.Get(metaKey(nil, key))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, l.readErr(err)
	}
	out := append([]byte(nil), v...)
	_ = closer.Close()
	return out, true, nil
}

// TicketKey returns the store's 32-byte ticket-signing key. The first call on
// a writable store without one generates it with crypto/rand and stores it
// (synced) before returning it; later calls, and later opens, return the same
// key. On a ReadOnly store without a key it returns ErrNoTicketKey. A stored
// key of the wrong size is ErrCorrupt.
func (l *Log) TicketKey() ([]byte, error) {
	l.keyMu.Lock()
	defer l.keyMu.Unlock()
	if l.ticketKey == nil {
		k, ok, err := l.GetMeta(ticketMetaKey)
		switch {
		case err != nil:
			return nil, err
		case ok && len(k) != 32:
			return nil, fmt.Errorf("%w: ticket key is %d bytes, want 32", ErrCorrupt, len(k))
		case !ok && l.readOnly:
			return nil, ErrNoTicketKey
		case !ok:
			k = make([]byte, 32)
			if _, err := rand.Read(k); err != nil {
				return nil, fmt.Errorf("wal: ticket key: %w", err)
			}
			if err := l.putMeta(ticketMetaKey, k); err != nil {
				return nil, err
			}
		}
		l.ticketKey = k
	}
	return append([]byte(nil), l.ticketKey...), nil
}

// Close closes the store and releases its lock. It waits for running
// operations; later calls return ErrClosed. Closing a failed Log is fine (and
// is how to recover: Close, then Open again).
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.closed = true
	err := l.db.Close()
	if lerr := l.lock.Close(); err == nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("wal: close %s: %w", l.dir, err)
	}
	return nil
}
