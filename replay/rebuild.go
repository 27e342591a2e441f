package replay

import (
	"fmt"

	"seckill/engine"
)

// Scanner yields every stored win in (activity, SKU, seq) order; *wal.Log
// is one.
type Scanner interface {
	ScanWins(fn func(w *engine.Win) error) error
}

// Orphan counts stored wins of an (activity, SKU) that no shard claims: an
// activity removed from the configuration after it sold.
type Orphan struct {
	Activity, SKU string
	Wins          int
}

// Summary is what Rebuild applied.
type Summary struct {
	Wins    int
	Orphans []Orphan
}

// Rebuild applies every stored win to the shard shardOf names. A win that
// does not fit its shard (a broken chain, a ticket that does not verify, a
// uid twice, more wins than the quota) stops the rebuild with the engine's
// error: a store that does not make sense is never served from. Wins whose
// shard is nil are counted as orphans and skipped.
func Rebuild(log Scanner, shardOf func(activity, sku string) *engine.Shard) (Summary, error) {
	var sum Summary
	var cur *engine.Shard
	curAct, curSKU := "", ""
	err := log.ScanWins(func(w *engine.Win) error {
		if w.Activity != curAct || w.SKU != curSKU { // names are never empty, so the first win starts a shard
			curAct, curSKU = w.Activity, w.SKU
			cur = shardOf(w.Activity, w.SKU)
			if cur == nil {
				sum.Orphans = append(sum.Orphans, Orphan{Activity: w.Activity, SKU: w.SKU})
			}
		}
		if cur == nil {
			sum.Orphans[len(sum.Orphans)-1].Wins++
			return nil
		}
		if err := cur.Apply(w); err != nil {
			return err
		}
		sum.Wins++
		return nil
	})
	if err != nil {
		return sum, fmt.Errorf("replay: rebuild: %w", err)
	}
	return sum, nil
}
