package shardloop

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"seckill/engine"
	"seckill/wal"
)

// collectingReplier keeps the decisions it is handed, in order.
type collectingReplier struct{ got *[]engine.Result }

func (r collectingReplier) Reply(d *engine.Decision) { *r.got = append(*r.got, d.Result) }

// TestFailedBatchAnswersUnavailable: when a batch's commit fails, no
// decision of the batch stands — a sold_out decided after the batch's last
// (now lost) win would tell a buyer, for good, that a unit nobody holds is
// gone (found by the simulation, seed 18).
func TestFailedBatchAnswersUnavailable(t *testing.T) {
	faults := &walFaults{}
	log, err := wal.Open(t.TempDir(), wal.Options{FS: errorfs.Wrap(vfs.Default, faults)})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	key, err := log.TicketKey()
	if err != nil {
		t.Fatal(err)
	}
	spec := engine.Spec{Activity: "act", SKU: "sku", Quota: 1, EndUnixNano: 1 << 62}
	l := New(engine.NewShard(spec, engine.NewTicketSigner(key), nil, nil), log, 8, 8, func() int64 { return 1 })
	var got []engine.Result
	for uid := uint64(1); uid <= 3; uid++ {
		if !l.Offer(Task{Attempt: engine.Attempt{Kind: engine.Buy, UID: uid}, To: collectingReplier{&got}}) {
			t.Fatal("offer refused")
		}
	}
	faults.on.Store(true)
	if !l.StepQueued() || l.StepQueued() {
		t.Fatal("three queued attempts are not one batch")
	}
	for i, r := range got {
		if r != engine.Unavailable {
			t.Errorf("attempt %d of the failed batch: %v, want unavailable", i+1, r)
		}
	}
	if len(got) != 3 || l.Public().Remaining() != 1 {
		t.Fatalf("%d answers, remaining %d", len(got), l.Public().Remaining())
	}
}
