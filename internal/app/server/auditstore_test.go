package server

import (
	"testing"

	"seckill/replay"
	"seckill/wal"
)

// auditDir runs the auditor over the stopped engine's store in dir, as
// `seckill replay` would, and returns its report.
func auditDir(t *testing.T, dir string) *replay.Report {
	t.Helper()
	log, err := wal.Open(dir, wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	rep, err := replay.Audit(log, replay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}
