// Package syncfs wraps a real pebble vfs.FS to watch and steer the fsyncs
// of the write-ahead log: it counts them, can hold one until a test lets it
// go, and can make it fail. Tests of group commit use it to count how many
// fsyncs many shards' wins took, and to check that no reply leaves before
// the fsync that makes it durable (wal, shardloop). Only files whose name
// ends in ".log" (pebble's WAL) are watched; everything else passes through.
package syncfs

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// ErrInjected is the error a failing sync returns.
var ErrInjected = errors.New("syncfs: injected sync error")

// FS is the wrapper. Its zero value is not usable; use Wrap.
type FS struct {
	vfs.FS
	syncs atomic.Int64

	mu     sync.Mutex
	held   chan struct{} // closed by Release; nil when syncs are not held
	failed bool          // what a released sync returns
	// Entered receives once each time a held sync starts waiting.
	Entered chan struct{}
}

// Wrap returns fs with its WAL syncs watched.
func Wrap(fs vfs.FS) *FS { return &FS{FS: fs, Entered: make(chan struct{}, 64)} }

// Syncs is how many WAL syncs (Sync, SyncData, SyncTo) have completed.
func (f *FS) Syncs() int64 { return f.syncs.Load() }

// Hold makes every WAL sync from now on wait until Release.
func (f *FS) Hold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held = make(chan struct{})
}

// Release lets the held syncs go: they, and every later one, succeed on the
// disk or, with fail, return ErrInjected without syncing.
func (f *FS) Release(fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = fail
	if f.held != nil {
		close(f.held)
		f.held = nil
	}
}

func (f *FS) gate() error {
	f.mu.Lock()
	held := f.held
	f.mu.Unlock()
	if held != nil {
		select {
		case f.Entered <- struct{}{}:
		default:
		}
		<-held
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failed {
		return ErrInjected
	}
	return nil
}

func (f *FS) wrap(name string, file vfs.File, err error) (vfs.File, error) {
	if err != nil || !strings.HasSuffix(name, ".log") {
		return file, err
	}
	return &walFile{File: file, fs: f}, nil
}

// Create implements vfs.FS.
func (f *FS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	file, err := f.FS.Create(name, category)
	return f.wrap(name, file, err)
}

// ReuseForWrite implements vfs.FS (pebble recycles WAL files with it).
func (f *FS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	file, err := f.FS.ReuseForWrite(oldname, newname, category)
	return f.wrap(newname, file, err)
}

// OpenReadWrite implements vfs.FS.
func (f *FS) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	file, err := f.FS.OpenReadWrite(name, category, opts...)
	return f.wrap(name, file, err)
}

type walFile struct {
	vfs.File
	fs *FS
}

func (w *walFile) Sync() error {
	if err := w.fs.gate(); err != nil {
		return err
	}
	defer w.fs.syncs.Add(1)
	return w.File.Sync()
}

func (w *walFile) SyncData() error {
	if err := w.fs.gate(); err != nil {
		return err
	}
	defer w.fs.syncs.Add(1)
	return w.File.SyncData()
}

func (w *walFile) SyncTo(length int64) (bool, error) {
	if err := w.fs.gate(); err != nil {
		return false, err
	}
	defer w.fs.syncs.Add(1)
	return w.File.SyncTo(length)
}
