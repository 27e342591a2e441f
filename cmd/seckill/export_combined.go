package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"seckill/internal/config"
	"seckill/internal/handoff/export"
	"seckill/wal"
)

// exportCombined is `seckill export` over several stores (-data repeated,
// or -cluster): the stores of a cluster's nodes, stopped, exported as one
// sale into one file with one manifest. Only -out with -all: each store's
// cursor belongs to that store, and a re-push goes through each node's own
// configuration.
func exportCombined(cfg *config.Config, dirs []string, dir string, req exportRequest, stdout, stderr io.Writer) error {
	if req.out == "" || !req.all {
		return fmt.Errorf("%w: %d stores are exported with -out NAME -all (each store keeps its own cursor; re-push per node)", export.ErrCombined, len(dirs))
	}
	var logs []*wal.Log
	defer func() {
		for _, l := range logs {
			l.Close()
		}
	}()
	for i, d := range dirs {
		if err := export.CheckStoreDir(d); err != nil {
			return err
		}
		// Only the first store is written to (the run's intent).
		l, err := wal.Open(d, wal.Options{ReadOnly: i > 0})
		if errors.Is(err, wal.ErrLocked) {
			return fmt.Errorf("export: the store %s is in use by a running engine (%w): stop the nodes for a combined export, or export each node through its admin API", d, err)
		}
		if err != nil {
			return err
		}
		logs = append(logs, l)
	}
	exportDir := cfg.Export.Dir
	if dir != "" {
		exportDir = dir
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	ex, err := export.NewCombined(logs, exportDir, dirs, logger)
	if err != nil {
		return err
	}
	return exportFile(ex, req, logger, stdout, stderr)
}
