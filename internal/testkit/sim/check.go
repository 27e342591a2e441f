package sim

import (
	"fmt"
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"

	"seckill/engine"
	"seckill/replay"
	"seckill/wal"
)

// audit runs the audit on the store as `seckill replay` does: opened
// read-only, with nothing but the store. Any failed check, or a truncated
// tail, is an error naming them.
func audit(fs vfs.FS) (*replay.Report, error) {
	log, err := wal.Open(dataDir, wal.Options{FS: fs, ReadOnly: true, Logger: quietLogger{}})
	if err != nil {
		return nil, fmt.Errorf("audit: open: %w", err)
	}
	defer log.Close()
	rep, err := replay.Audit(log, replay.Options{Workers: 2})
	if err != nil {
		return nil, err
	}
	if rep.OK {
		return rep, nil
	}
	var b strings.Builder
	for _, c := range rep.Checks {
		if !c.Pass {
			fmt.Fprintf(&b, "\n  %s: %d offending", c.Name, c.Offending)
			for _, o := range c.Records {
				fmt.Fprintf(&b, "\n    %s/%s seq %d uid %d: %s", o.Activity, o.SKU, o.Seq, o.UID, o.Reason)
			}
		}
	}
	for _, t := range rep.TruncatedTails {
		fmt.Fprintf(&b, "\n  truncated tail %s/%s: records to seq %d, head marker %d", t.Activity, t.SKU, t.LastSeq, t.HeadSeq)
	}
	return rep, fmt.Errorf("audit fails:%s", b.String())
}

// checkStore checks the recovered store against what the buyers were told:
// each SKU's seqs run 1..n with n within the quota and no uid winning
// twice; under limit = "activity" no uid holds wins in two SKUs of the
// activity; the economics records keep their rules (economics_store.go)
// and every told win, waitlist place, fate and promotion; and each shard's
// public state agrees. It returns the number of stored wins per SKU.
func (w *world) checkStore() ([]uint64, error) {
	bySKU := make([][]storedHolder, len(w.sale.skus))
	origin := make([][]uint64, len(w.sale.skus)) // each seq's first winner
	err := w.in.log.ScanWins(func(win *engine.Win) error {
		i := w.sale.skuIndex(win.SKU)
		if i < 0 || w.sale.skus[i].act.ID != win.Activity {
			return fmt.Errorf("stored win of %s/%s, which the sale does not have", win.Activity, win.SKU)
		}
		if win.Seq != uint64(len(bySKU[i]))+1 {
			return fmt.Errorf("%s: stored seq %d after %d", win.SKU, win.Seq, len(bySKU[i]))
		}
		bySKU[i] = append(bySKU[i], storedHolder{uid: win.UID, ticket: win.Ticket})
		origin[i] = append(origin[i], win.UID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	econ, err := w.scanEconomics(bySKU)
	if err != nil {
		return nil, err
	}
	counts := make([]uint64, len(w.sale.skus))
	holder := map[string]map[uint64]int{}
	for i, wins := range origin {
		k := &w.sale.skus[i]
		counts[i] = uint64(len(wins))
		if counts[i] > k.quota {
			return nil, fmt.Errorf("%s: %d wins stored, quota %d: oversold", k.item.SKU, counts[i], k.quota)
		}
		if rem, want := w.in.loops[i].Public().Remaining(), econ[i].remaining(k.quota); rem != want {
			return nil, fmt.Errorf("%s: remaining %d after recovery, store says %d", k.item.SKU, rem, want)
		}
		seen := map[uint64]bool{}
		for _, uid := range wins {
			if seen[uid] {
				return nil, fmt.Errorf("%s: uid %d stored twice", k.item.SKU, uid)
			}
			seen[uid] = true
			if k.act.Limit == "activity" {
				h := holder[k.act.ID]
				if h == nil {
					h = map[uint64]int{}
					holder[k.act.ID] = h
				}
				if other, ok := h[uid]; ok {
					return nil, fmt.Errorf("uid %d stored as winner of %s and %s (limit = activity)", uid, w.sale.skus[other].item.SKU, k.item.SKU)
				}
				h[uid] = i
			}
		}
		if err := w.checkToldEconomics(i, econ[i]); err != nil {
			return nil, err
		}
	}
	return counts, nil
}
