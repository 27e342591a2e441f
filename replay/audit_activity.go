package replay

import (
	"fmt"

	"seckill/engine"
	"seckill/internal/auditlog"
)

// actState is the audit of one activity across its SKUs.
type actState struct {
	id      string
	history []auditlog.Config // by time
	skus    []string          // SKUs with records, in key order

	// limitActivity is set when any config record of the activity says
	// limit = "activity": then every win is noted in earliest, and the wins
	// made under that limit are checked against it once the scan is done.
	limitActivity bool
	earliest      map[uint64]limitWin
	candidates    []limitWin

	recordHeads []Head // chain heads from the records, for the digest
	truncated   bool
}

// limitWin is one win as the activity-wide limit sees it.
type limitWin struct {
	t   int64
	sku int32
	seq uint64
	uid uint64
}

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
			act.earliest = map[uint64]limitWin{}
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

func (act *actState) noteWin(s *skuState, w *engine.Win, pos uint64) {
	lw := limitWin{t: w.TimeUnixNano, sku: s.index, seq: pos, uid: w.UID}
	if e, ok := act.earliest[w.UID]; !ok || lw.before(e) {
		act.earliest[w.UID] = lw
	}
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
func (act *actState) checkLimits(a *auditor) {
	for _, c := range act.candidates {
		first := act.earliest[c.uid]
		if first.sku == c.sku {
			continue
		}
		a.offend(CheckLimit, Offense{
			Activity: act.id, SKU: act.skus[c.sku], Seq: c.seq, UID: c.uid, TimeUnixNano: c.t,
			Reason: fmt.Sprintf("uid %d already won %s seq %d at %s (limit = activity)", c.uid, act.skus[first.sku], first.seq, fmtTime(first.t)),
		})
	}
}
