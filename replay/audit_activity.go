package replay

import (
	"cmp"
	"fmt"
	"slices"

	"seckill/engine"
	"seckill/internal/store/auditlog"
)

// actState is the audit of one activity across its SKUs. Chains read it
// concurrently; plan and finish write it.
type actState struct {
	id      string
	history []auditlog.Config // by time
	skus    []string          // SKUs with records, in key order

	// limitActivity is set when any config record of the activity says
	// limit = "activity": then every chain keeps every win, and the wins
	// made under that limit are checked once all chains are done.
	limitActivity bool

	recordHeads []engine.ChainHead // chain heads from the records, for the digest
}

// limitWin is one win as the activity-wide limit sees it.
type limitWin struct {
	t     int64
	sku   int32
	under bool // won while limit = "activity" was in force
	seq   uint64
	uid   uint64
}

// presizeCap bounds the room made up front for a chain's wins from what
// its head marker announces, since a forged marker could announce any
// number.
const presizeCap = 1 << 20

// before orders wins by time, then by SKU and seq, so that exactly one win
// of a uid is its first.
func (w limitWin) before(o limitWin) bool {
	if w.t != o.t {
		return w.t < o.t
	}
	if w.sku != o.sku {
		return w.sku < o.sku
	}
	return w.seq < o.seq
}

func (act *actState) setHistory(h []auditlog.Config) {
	act.history = h
	for i := range h {
		if h[i].Limit == "activity" {
			act.limitActivity = true
		}
	}
}

// latestWith returns the latest config record naming sku, or nil.
func (act *actState) latestWith(sku string) *auditlog.Config {
	if act == nil {
		return nil
	}
	for i := len(act.history) - 1; i >= 0; i-- {
		if act.history[i].Item(sku) != nil {
			return &act.history[i]
		}
	}
	return nil
}

// checkLimits checks limit = "activity" with the whole activity read: a win
// made while that limit was in force breaks it when the same uid had already
// won another SKU of the activity. The first win is judged by time rather
// than by the order claims were made in a live sale, because the log holds
// times and the limit may have changed between restarts; two wins of one
// uid under the limit are a finding whichever is named. (A second win of
// the same SKU is the engine's duplicate finding, reported as it is met.)
//
// engine.Claims would judge by the order of Apply, which is key order here,
// not sale order; that is why the audit does not give its shards claims.
//
// The wins are grouped by uid with a radix sort rather than a map; the
// findings are then put back in key order, as the chains met them.
func (act *actState) checkLimits(a *auditor, chains []*chainAudit) {
	if !act.limitActivity {
		return
	}
	var mine []*chainAudit
	n := 0
	for _, c := range chains {
		if c.sku != nil && c.sku.act == act {
			mine = append(mine, c)
			n += len(c.limit)
		}
	}
	if n == 0 {
		return
	}
	refs := make([]winRef, 0, n)
	for ci, c := range mine {
		for pos, w := range c.limit {
			refs = append(refs, winRef{uid: w.uid, chain: uint32(ci), pos: uint32(pos)})
		}
	}
	refs = radixSortBy(refs, make([]winRef, n), refUID)
	win := func(r winRef) *limitWin { return &mine[r.chain].limit[r.pos] }
	type finding struct{ at, first winRef }
	var found []finding
	for i := 0; i < len(refs); {
		j := i + 1
		for j < len(refs) && refs[j].uid == refs[i].uid {
			j++
		}
		if j-i > 1 { // the uid won more than once in the activity
			first := refs[i]
			for _, r := range refs[i+1 : j] {
				if win(r).before(*win(first)) {
					first = r
				}
			}
			for _, r := range refs[i:j] {
				if w := win(r); w.under && w.sku != win(first).sku {
					found = append(found, finding{r, first})
				}
			}
		}
		i = j
	}
	slices.SortFunc(found, func(x, y finding) int {
		return cmp.Or(cmp.Compare(x.at.chain, y.at.chain), cmp.Compare(x.at.pos, y.at.pos))
	})
	for _, f := range found {
		w, first := win(f.at), win(f.first)
		a.checks[CheckLimit].add(Offense{
			Activity: act.id, SKU: act.skus[w.sku], Seq: w.seq, UID: w.uid, TimeUnixNano: w.t,
			Reason: fmt.Sprintf("uid %d already won %s seq %d at %s (limit = activity)", w.uid, act.skus[first.sku], first.seq, fmtTime(first.t)),
		})
	}
}
