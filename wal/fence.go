package wal

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// failState is the sticky failure of one Log. It is shared by the Log, the
// WAL fence and the pebble Logger, all of which may be the first to see a
// write failure.
type failState struct {
	err    atomic.Pointer[error] // wraps ErrWrite; set once
	logger pebble.Logger
	once   sync.Once
}

// fail records cause as the Log's failure unless one is already recorded.
func (s *failState) fail(cause error) {
	e := wrapWrite(cause)
	if s.err.CompareAndSwap(nil, &e) {
		s.once.Do(func() { s.logger.Errorf("wal: log failed, refusing all further writes: %v", cause) })
	}
}

// failure returns the recorded failure (wrapping ErrWrite) or nil.
func (s *failState) failure() error {
	if p := s.err.Load(); p != nil {
		return *p
	}
	return nil
}

// walCategory is the vfs.DiskWriteCategory pebble's WAL manager passes when
// it creates or recycles a WAL file (wal/standalone_manager.go).
const walCategory vfs.DiskWriteCategory = "pebble-wal"

// fenceFS wraps the store's vfs.FS and fences the WAL at its first I/O error.
//
// Why: pebble v2.1.7 cannot survive a WAL write or sync error. The LogWriter's
// flush loop (record/log_writer.go) keeps the first error forever (flusher.err)
// and hands it to every waiting commit; DB.applyInternal (db.go) then calls
// Logger.Fatalf("pebble: fatal commit error: ...") — os.Exit(1) with the
// default logger, and a *successful* return from Apply if Fatalf returns. Once
// the next WAL block fills, LogWriter.SyncRecord returns the error itself and
// DB.commitWrite panics while holding commitPipeline.mu, so every later commit
// — and DB.Close, which takes the same mutex — blocks forever.
//
// So the fence never lets pebble see a WAL write error. On the first failed
// Write/WriteAt/Sync/SyncData/SyncTo of a WAL file (pebble itself
// ignores Preallocate errors, so they pass through) it records the
// failure in the failState (before returning to pebble, hence before pebble
// releases any commit waiting on that write or sync), reports success to
// pebble, and from then on drops every write and sync of every WAL file, so
// the WAL on disk stays exactly as it was at the failure. The Log then treats
// every commit that returns after that moment as failed (see Log.commit), and
// refuses all new ones. Pebble keeps working (flushes, reads, Close), but
// durability is decided by the failState, not by pebble.
type fenceFS struct {
	vfs.FS
	state  *failState
	fenced atomic.Bool
}

func isWAL(name string, category vfs.DiskWriteCategory) bool {
	return category == walCategory || strings.HasSuffix(name, ".log")
}

func (fs *fenceFS) trip(err error) {
	fs.state.fail(err)
	fs.fenced.Store(true)
}

func (fs *fenceFS) wrap(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		// Pebble is told: the WAL cannot be created. A failed WAL creation
		// leaves pebble's commit pipeline stuck (makeRoomForWrite error), so
		// the Log is failed first; no new commit will enter pebble.
		fs.trip(err)
		return nil, err
	}
	return &fenceFile{File: f, fs: fs}, nil
}

func (fs *fenceFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	if !isWAL(name, category) {
		return fs.FS.Create(name, category)
	}
	return fs.wrap(fs.FS.Create(name, category))
}

func (fs *fenceFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	if !isWAL(newname, category) {
		return fs.FS.ReuseForWrite(oldname, newname, category)
	}
	return fs.wrap(fs.FS.ReuseForWrite(oldname, newname, category))
}

func (fs *fenceFS) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	if !isWAL(name, category) {
		return fs.FS.OpenReadWrite(name, category, opts...)
	}
	return fs.wrap(fs.FS.OpenReadWrite(name, category, opts...))
}

// Unwrap returns the wrapped FS.
func (fs *fenceFS) Unwrap() vfs.FS { return fs.FS }

// fenceFile is a WAL file behind the fence.
type fenceFile struct {
	vfs.File
	fs *fenceFS
}

func (f *fenceFile) Write(p []byte) (int, error) {
	if f.fs.fenced.Load() {
		return len(p), nil
	}
	if _, err := f.File.Write(p); err != nil {
		f.fs.trip(err)
	}
	return len(p), nil
}

func (f *fenceFile) WriteAt(p []byte, off int64) (int, error) {
	if f.fs.fenced.Load() {
		return len(p), nil
	}
	if _, err := f.File.WriteAt(p, off); err != nil {
		f.fs.trip(err)
	}
	return len(p), nil
}

func (f *fenceFile) Sync() error {
	if f.fs.fenced.Load() {
		return nil
	}
	if err := f.File.Sync(); err != nil {
		f.fs.trip(err)
	}
	return nil
}

func (f *fenceFile) SyncData() error {
	if f.fs.fenced.Load() {
		return nil
	}
	if err := f.File.SyncData(); err != nil {
		f.fs.trip(err)
	}
	return nil
}

func (f *fenceFile) SyncTo(length int64) (bool, error) {
	if f.fs.fenced.Load() {
		return true, nil
	}
	full, err := f.File.SyncTo(length)
	if err != nil {
		f.fs.trip(err)
		return true, nil
	}
	return full, nil
}
