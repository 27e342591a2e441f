package export

import (
	"errors"
	"fmt"
	"log/slog"

	"seckill/wal"
)

// ErrCombined reports a combined export (several stores) that cannot be
// made: an incremental one, or stores that share an activity.
var ErrCombined = errors.New("export: combined export")

// NewCombined returns an exporter over several open stores that together
// hold one sale — the nodes of a cluster, each selling its own activities
// (package cluster) — writing one file and one manifest for all of them:
// every store's records, its chains in Ranges, every activity's digest in
// Activities. The first store keeps the run's intent, so a run that dies
// midway is cleaned up by the next run with the same first store.
//
// A combined export is always All: each store's cursor lives in that store
// and moves with its own incremental exports, which several stores cannot
// commit at once. dir may be none of the stores' directories nor inside
// one.
func NewCombined(logs []*wal.Log, dir string, storeDirs []string, logger *slog.Logger) (*Exporter, error) {
	if len(logs) == 0 || len(logs) != len(storeDirs) {
		return nil, fmt.Errorf("%w: %d stores, %d directories", ErrCombined, len(logs), len(storeDirs))
	}
	for _, sd := range storeDirs[1:] {
		if _, err := checkDir(dir, sd); err != nil {
			return nil, err
		}
	}
	e, err := New(logs[0], dir, storeDirs[0], logger)
	if err != nil {
		return nil, err
	}
	e.others, e.otherDirs = logs[1:], storeDirs[1:]
	return e, nil
}

// stores is every store the exporter reads, the intent's first.
func (e *Exporter) stores() []*wal.Log { return append([]*wal.Log{e.log}, e.others...) }

// checkCombined refuses what a combined export cannot do.
func (e *Exporter) checkCombined(opts Options) error {
	if len(e.others) > 0 && !opts.All {
		return fmt.Errorf("%w: %d stores are exported with -all only: each keeps its own cursor, which one run cannot move in all of them at once", ErrCombined, len(e.others)+1)
	}
	for _, sd := range e.otherDirs {
		if _, err := checkDir(e.dir, sd); err != nil {
			return err
		}
	}
	return nil
}
