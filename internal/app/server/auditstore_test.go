package server

import (
	"os/exec"
	"path/filepath"
	"testing"

	"seckill/engine"
	"seckill/internal/testkit/waltest"
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

// copyStore copies the stopped engine's store in dir to a fresh directory
// for one tamper trial, and returns the copy's path.
func copyStore(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "data")
	if out, err := exec.Command("cp", "-r", dir, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	return dst
}

// rewriteControls edits the first control record of (activity, sku) that
// change accepts, then re-chains every record after it and rewrites the
// head marker: an insider's consistent rewrite, invisible to the chain and
// digest checks.
func rewriteControls(t *testing.T, dir, activity, sku string, change func(c *engine.Control) bool) {
	t.Helper()
	rewriteStrand(t, dir, activity, sku, func(strand []engine.Control) []engine.Control {
		for i := range strand {
			if change(&strand[i]) {
				return strand
			}
		}
		return nil
	})
}

// rewriteStrand hands the whole control strand of (activity, sku) to
// change, which returns it edited, shortened or reordered (nil when it
// found nothing to tamper with); the result is numbered and re-chained,
// the keys left over deleted and the head marker rewritten: the consistent
// rewrite of an insider with the disk.
func rewriteStrand(t *testing.T, dir, activity, sku string, change func(strand []engine.Control) []engine.Control) {
	t.Helper()
	s := waltest.Open(t, dir)
	defer s.Close()
	n, _, ok := s.ControlHead(activity, sku)
	if !ok {
		t.Fatal("no control head")
	}
	strand := make([]engine.Control, 0, n)
	for seq := uint64(1); seq <= n; seq++ {
		strand = append(strand, s.Control(activity, sku, seq))
	}
	prev := strand[0].Prev
	if strand = change(strand); strand == nil {
		t.Fatal("no record to tamper with")
	}
	for i := range strand {
		c := &strand[i]
		c.Seq, c.Prev = uint64(i+1), prev
		c.Hash = engine.ComputeControlHash(c)
		s.PutControl(c)
		prev = c.Hash
	}
	for seq := uint64(len(strand)) + 1; seq <= n; seq++ {
		s.DeleteControl(activity, sku, seq)
	}
	s.SetControlHead(activity, sku, uint64(len(strand)), prev)
}
