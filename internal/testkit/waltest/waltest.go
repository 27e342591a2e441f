// Package waltest tampers with a store the way an attacker with the disk
// would: it opens the pebble store directly, bypassing package wal and its
// rules, to set, delete or cut raw records. Use it only on a store no Log
// holds (pebble's lock refuses a second open).
package waltest

import (
	"encoding/binary"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"seckill/engine"
	"seckill/wal"
)

// Store is a store opened for tampering.
type Store struct {
	t  testing.TB
	db *pebble.DB
}

// Open opens the store in dir for tampering; Close it before the store is
// opened with wal again.
func Open(t testing.TB, dir string) *Store {
	t.Helper()
	db, err := pebble.Open(dir, &pebble.Options{Logger: quiet{t}})
	if err != nil {
		t.Fatalf("waltest: open %s: %v", dir, err)
	}
	return &Store{t: t, db: db}
}

// quiet drops pebble's progress lines; a fatal error fails the test.
type quiet struct{ t testing.TB }

func (quiet) Infof(string, ...any)             {}
func (quiet) Errorf(string, ...any)            {}
func (q quiet) Fatalf(format string, a ...any) { q.t.Fatalf("waltest: pebble: "+format, a...) }

// Close closes the store.
func (s *Store) Close() {
	s.t.Helper()
	if err := s.db.Close(); err != nil {
		s.t.Fatalf("waltest: close: %v", err)
	}
}

// WinKey is the raw key of a winner record.
func WinKey(activity, sku string, seq uint64) []byte {
	return wal.AppendWinKey(nil, &engine.Win{Activity: activity, SKU: sku, Seq: seq})
}

// Raw returns the raw value under key, or nil.
func (s *Store) Raw(key []byte) []byte {
	s.t.Helper()
	v, closer, err := s.db.Get(key)
	if err == pebble.ErrNotFound {
		return nil
	}
	if err != nil {
		s.t.Fatalf("waltest: get %q: %v", key, err)
	}
	defer closer.Close()
	return append([]byte(nil), v...)
}

// SetRaw stores value under key as is.
func (s *Store) SetRaw(key, value []byte) {
	s.t.Helper()
	if err := s.db.Set(key, value, pebble.Sync); err != nil {
		s.t.Fatalf("waltest: set %q: %v", key, err)
	}
}

// DeleteRaw deletes key.
func (s *Store) DeleteRaw(key []byte) {
	s.t.Helper()
	if err := s.db.Delete(key, pebble.Sync); err != nil {
		s.t.Fatalf("waltest: delete %q: %v", key, err)
	}
}

// Win decodes the stored record of (activity, sku, seq).
func (s *Store) Win(activity, sku string, seq uint64) engine.Win {
	s.t.Helper()
	key := WinKey(activity, sku, seq)
	v := s.Raw(key)
	var w engine.Win
	if err := wal.DecodeWin(key, v, &w); err != nil {
		s.t.Fatalf("waltest: %v", err)
	}
	return w
}

// PutWin stores w under its own key exactly as given: its Hash is not
// recomputed, so an edited field stays an edit the chain can catch.
func (s *Store) PutWin(w *engine.Win) {
	s.SetRaw(wal.AppendWinKey(nil, w), wal.AppendWinValue(nil, w))
}

// DeleteWin deletes the record of (activity, sku, seq).
func (s *Store) DeleteWin(activity, sku string, seq uint64) {
	s.DeleteRaw(WinKey(activity, sku, seq))
}

// metaKey is the raw key of a meta key.
func metaKey(key string) []byte { return append([]byte{'m'}, key...) }

// Head returns the head marker of (activity, sku): seq and hash, and
// whether there is one.
func (s *Store) Head(activity, sku string) (uint64, [32]byte, bool) {
	v := s.Raw(metaKey(wal.HeadMetaKey(activity, sku)))
	var h wal.Head
	if v == nil || wal.DecodeHead(wal.HeadMetaKey(activity, sku), v, &h) != nil {
		return 0, [32]byte{}, false
	}
	return h.Seq, h.Hash, true
}

// SetHead writes the head marker of (activity, sku), as a forger who
// knows the format would to cover an appended record.
func (s *Store) SetHead(activity, sku string, seq uint64, hash [32]byte) {
	v := binary.BigEndian.AppendUint64(nil, seq)
	s.SetRaw(metaKey(wal.HeadMetaKey(activity, sku)), append(v, hash[:]...))
}

// DeleteHead deletes the head marker of (activity, sku).
func (s *Store) DeleteHead(activity, sku string) {
	s.DeleteRaw(metaKey(wal.HeadMetaKey(activity, sku)))
}

// DeleteMetaPrefix deletes every meta key starting with prefix (config
// records, reservation lists).
func (s *Store) DeleteMetaPrefix(prefix string) {
	s.t.Helper()
	lo := metaKey(prefix)
	hi := append(append([]byte(nil), lo...), 0xff)
	if err := s.db.DeleteRange(lo, hi, pebble.Sync); err != nil {
		s.t.Fatalf("waltest: delete range %q: %v", prefix, err)
	}
}

// WALFaults fails writes and syncs of Pebble's WAL files while On: wrap
// the store's file system with errorfs.Wrap(vfs.Default, faults) to make a
// Log's commits fail the way a full or dying disk makes them fail.
type WALFaults struct{ On atomic.Bool }

func (f *WALFaults) String() string { return "WALFaults" }

// MaybeError is errorfs.Injector's hook.
func (f *WALFaults) MaybeError(op errorfs.Op) error {
	if !f.On.Load() || !strings.HasSuffix(op.Path, ".log") {
		return nil
	}
	switch op.Kind {
	case errorfs.OpFileWrite, errorfs.OpFileWriteAt, errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
		return errorfs.ErrInjected
	}
	return nil
}

// ControlKey is the raw key of a control record.
func ControlKey(activity, sku string, seq uint64) []byte {
	return wal.AppendControlKey(nil, &engine.Control{Activity: activity, SKU: sku, Seq: seq})
}

// Control decodes the stored control record of (activity, sku, seq).
func (s *Store) Control(activity, sku string, seq uint64) engine.Control {
	s.t.Helper()
	key := ControlKey(activity, sku, seq)
	var c engine.Control
	if err := wal.DecodeControl(key, s.Raw(key), &c); err != nil {
		s.t.Fatalf("waltest: %v", err)
	}
	return c
}

// PutControl stores c under its own key exactly as given (Hash not
// recomputed).
func (s *Store) PutControl(c *engine.Control) {
	s.SetRaw(wal.AppendControlKey(nil, c), wal.AppendControlValue(nil, c))
}

// DeleteControl deletes the control record of (activity, sku, seq).
func (s *Store) DeleteControl(activity, sku string, seq uint64) {
	s.DeleteRaw(ControlKey(activity, sku, seq))
}

// ControlHead returns the head marker of (activity, sku)'s control strand.
func (s *Store) ControlHead(activity, sku string) (uint64, [32]byte, bool) {
	key := wal.ControlHeadMetaKey(activity, sku)
	v := s.Raw(metaKey(key))
	if len(v) != 8+32 {
		return 0, [32]byte{}, false
	}
	var h [32]byte
	copy(h[:], v[8:])
	return binary.BigEndian.Uint64(v[:8]), h, true
}

// SetControlHead writes the head marker of (activity, sku)'s control strand.
func (s *Store) SetControlHead(activity, sku string, seq uint64, hash [32]byte) {
	v := binary.BigEndian.AppendUint64(nil, seq)
	s.SetRaw(metaKey(wal.ControlHeadMetaKey(activity, sku)), append(v, hash[:]...))
}
