package push

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"seckill/engine"
	"seckill/internal/testkit/waltest"
	"seckill/wal"
)

// TestFailedStoreStopsPush checks that once the store failed (the engine
// answers unavailable) the pusher sends nothing: no delivery could be
// recorded, so it would only resend the same batch.
func TestFailedStoreStopsPush(t *testing.T) {
	faults := &waltest.WALFaults{}
	l, err := wal.Open(t.TempDir(), wal.Options{FS: errorfs.Wrap(vfs.Default, faults)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fill(t, l, "a", 30, "s1")
	faults.On.Store(true)
	if err := l.AppendWins([]engine.Win{{Activity: "a", SKU: "s2", Seq: 1}}); err == nil {
		t.Fatal("the injected fault did not fail the store")
	}
	m, srv := newMall(t, 0, 0, 0)
	_, err = newPusher(t, l, testOptions(srv.URL)).Drain(drainCtx(t))
	if !errors.Is(err, wal.ErrWrite) {
		t.Fatalf("drain on a failed store: %v, want ErrWrite", err)
	}
	if taken, failed, _, _, _ := m.counts(); taken+failed != 0 {
		t.Fatalf("the mall got %d POSTs from a pusher on a failed store", taken+failed)
	}
}
