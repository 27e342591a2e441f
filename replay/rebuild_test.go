package replay

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"seckill/engine"
	"seckill/internal/testkit/loggen"
	"seckill/internal/testkit/waltest"
	"seckill/wal"
)

// rebuildShards rebuilds the store in dir into fresh shards of act for the
// SKUs in keep (the others are absent from the configuration) and returns
// them with Rebuild's summary and error.
func rebuildShards(t *testing.T, dir string, seed uint64, keep ...string) (map[string]*engine.Shard, Summary, error) {
	t.Helper()
	l, err := wal.Open(dir, wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	shards := map[string]*engine.Shard{}
	for i, sku := range keep {
		shards[sku] = engine.NewShard(engine.Spec{Activity: act, SKU: sku, Index: int32(i), Quota: 1 << 20, EndUnixNano: 1 << 62},
			engine.NewTicketSigner(loggen.TicketKey(seed)), nil, nil)
	}
	sum, err := Rebuild(l, func(activity, sku string) *engine.Shard {
		if activity != act {
			return nil
		}
		return shards[sku] // nil for a SKU not kept
	})
	return shards, sum, err
}

// TestRebuildCountsOrphans: wins of SKUs no shard claims are counted per
// (activity, SKU) and skipped, and the SKUs around them still rebuild in
// full — an orphan in the middle of the scan does not shift the next SKU's
// wins onto the wrong shard or drop them.
func TestRebuildCountsOrphans(t *testing.T) {
	dir := generate(t, loggen.Options{Wins: 60, SKUs: 4, Seed: 5})
	all, sumAll, err := rebuildShards(t, dir, 5, "sku-0000", "sku-0001", "sku-0002", "sku-0003")
	if err != nil || len(sumAll.Orphans) != 0 || sumAll.Wins != 60 {
		t.Fatalf("full rebuild: %+v, %v", sumAll, err)
	}
	shards, sum, err := rebuildShards(t, dir, 5, "sku-0000", "sku-0002")
	if err != nil {
		t.Fatal(err)
	}
	want := []Orphan{
		{Activity: act, SKU: "sku-0001", Wins: int(all["sku-0001"].Sold())},
		{Activity: act, SKU: "sku-0003", Wins: int(all["sku-0003"].Sold())},
	}
	if fmt.Sprint(sum.Orphans) != fmt.Sprint(want) {
		t.Fatalf("orphans %+v, want %+v", sum.Orphans, want)
	}
	for _, sku := range []string{"sku-0000", "sku-0002"} {
		got, full := shards[sku], all[sku]
		if got.Sold() != full.Sold() || got.ChainHead() != full.ChainHead() {
			t.Errorf("%s: %d wins, head %x; the full rebuild has %d, %x", sku, got.Sold(), got.ChainHead(), full.Sold(), full.ChainHead())
		}
	}
	if sum.Wins != int(shards["sku-0000"].Sold()+shards["sku-0002"].Sold()) {
		t.Errorf("summary counts %d applied wins, the shards hold %d", sum.Wins, shards["sku-0000"].Sold()+shards["sku-0002"].Sold())
	}
}

// TestRebuildRefusesRehashedMiddleRecord: an attacker with the disk edits a
// field of a middle record that its ticket does not cover (the time) and
// recomputes its hash, so that the record is self-consistent; recovery must
// still refuse the store, because the next record's Prev no longer matches.
// Only Apply's previous-hash check catches this at recovery.
func TestRebuildRefusesRehashedMiddleRecord(t *testing.T) {
	dir := generate(t, loggen.Options{Wins: 10, SKUs: 1, Seed: 6})
	s := waltest.Open(t, dir)
	w := s.Win(act, "sku-0000", 4)
	w.TimeUnixNano -= 1e9
	w.Hash = engine.ComputeHash(&w)
	s.PutWin(&w)
	s.Close()

	_, _, err := rebuildShards(t, dir, 6, "sku-0000")
	if !errors.Is(err, engine.ErrChainBroken) || !strings.Contains(err.Error(), "seq 5") {
		t.Fatalf("rebuild of a store with seq 4 edited and rehashed: %v; want a broken chain at seq 5", err)
	}
}
