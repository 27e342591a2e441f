package push

import (
	"seckill/engine"
	"seckill/wal"
)

// store is what the pusher reads and writes of the winner log; *wal.Log is
// the only one. It is an interface so that a test can wrap the real log
// and catch a read made inside another read's callback: the log's reads
// hold a read lock for the whole scan, and a second read lock taken inside
// deadlocks as soon as a writer (Close) waits between the two.
type store interface {
	ScanMeta(prefix string, fn func(key string, value []byte) error) error
	GetWin(activity, sku string, seq uint64, w *engine.Win) (bool, error)
	ScanWinsAfter(head func(last *engine.Win) (after uint64, err error), fn func(w *engine.Win) error) error
	ScanControls(fn func(r *wal.ControlRecord) error) error
	ApplyMeta(ops []wal.MetaOp) error
	Failure() error
}

var _ store = (*wal.Log)(nil)
