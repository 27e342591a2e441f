package server

import (
	"path/filepath"
	"testing"

	"seckill/replay"
	"seckill/wal"
)

// auditStore runs the auditor over the stopped engine's store under dir,
// as `seckill replay` would, and returns its report.
func auditStore(t *testing.T, dir string) *replay.Report {
	t.Helper()
	l, err := wal.Open(filepath.Join(dir, "data"), wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rep, err := replay.Audit(l, replay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}
