package wal

import "errors"

var (
	// ErrCorrupt reports a record or store that cannot be decoded.
	ErrCorrupt = errors.New("wal: corrupt record")
	// ErrWrite reports that AppendWins (or another write) failed; the Log is
	// now failed, and every later write returns an error wrapping ErrWrite.
	ErrWrite = errors.New("wal: write failed")
	// ErrLocked reports that another process (or another Log in this process)
	// holds the store.
	ErrLocked = errors.New("wal: store is in use by another process")
	// ErrOpen reports a store that cannot be opened: missing (ReadOnly), not a
	// store, or unreadable.
	ErrOpen = errors.New("wal: cannot open store")
	// ErrClosed reports use of a closed Log.
	ErrClosed = errors.New("wal: closed")

	// ErrReadOnly reports a write to a Log opened with Options.ReadOnly.
	ErrReadOnly = errors.New("wal: store opened read-only")
	// ErrInvalidWin reports a win that cannot be stored (bad Activity or SKU:
	// empty, longer than 64 bytes, or containing a 0x00 byte). It is the
	// caller's bug; the Log is not failed and nothing was written.
	ErrInvalidWin = errors.New("wal: invalid win")
	// ErrNoTicketKey reports TicketKey on a read-only store that has none.
	ErrNoTicketKey = errors.New("wal: store has no ticket key")
)
