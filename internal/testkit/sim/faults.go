package sim

import (
	"strings"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

// faultMode says which of the store's WAL operations fail while a fault is
// on. Faults are switched on and off by the simulation between steps, never
// by counting operations, because how many writes pebble makes for a commit
// is not part of its contract.
type faultMode uint8

const (
	faultNone faultMode = iota
	// faultWrite fails every write of a WAL file: the batch never reaches
	// the file.
	faultWrite
	// faultSync lets writes through but fails every sync: the batch is in
	// the file but not durable, so a crash that keeps unsynced data
	// recovers wins whose buyers were told unavailable (which is allowed).
	faultSync
)

// faults is the errorfs injector under the store. Pebble calls it from its
// own goroutines (the WAL's flush loop), hence the atomics.
type faults struct {
	mode     atomic.Uint32 // a faultMode
	injected atomic.Int64
}

func (f *faults) set(m faultMode) { f.mode.Store(uint32(m)) }

func (f *faults) String() string { return "sim faults" }

// MaybeError fails the WAL operations the mode names. The store's fence
// (wal's fenceFS) must turn the first into the Log's failure.
func (f *faults) MaybeError(op errorfs.Op) error {
	mode := faultMode(f.mode.Load())
	if mode == faultNone || !strings.HasSuffix(op.Path, ".log") {
		return nil
	}
	switch op.Kind {
	case errorfs.OpFileWrite, errorfs.OpFileWriteAt:
		if mode == faultWrite {
			f.injected.Add(1)
			return errorfs.ErrInjected
		}
	case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
		f.injected.Add(1)
		return errorfs.ErrInjected
	}
	return nil
}
