package sim

import (
	"encoding/hex"
	"fmt"

	"seckill/engine"
)

// told is what the buyers were told: every win an answer named, by SKU and
// uid. A told win is a promise the store must keep through every crash.
type told struct {
	wins  []map[uint64]toldWin // by SKU index, then uid
	bySeq []map[uint64]uint64  // by SKU index, then seq: the uid told it
	// byActivity holds, for limit = "activity", the SKU each uid was told
	// it won in the activity.
	byActivity map[string]map[uint64]int
}

type toldWin struct {
	seq    uint64
	ticket string
}

func newTold(s *sale) *told {
	t := &told{byActivity: map[string]map[uint64]int{}}
	for range s.skus {
		t.wins = append(t.wins, map[uint64]toldWin{})
		t.bySeq = append(t.bySeq, map[uint64]uint64{})
	}
	for i := range s.cfg.Activities {
		t.byActivity[s.cfg.Activities[i].ID] = map[uint64]int{}
	}
	return t
}

// check judges one answer against everything told before it and against
// the rules in force when the shard decided it (now), and records a win it
// names. It returns the first rule the answer breaks.
func (w *world) check(rq *request, a *answer) error {
	if rq.sku < 0 {
		if a.Result != engine.UnknownSKU.String() && a.Result != engine.BadRequest.String() {
			return fmt.Errorf("unknown SKU answered %q", a.Result)
		}
		return nil
	}
	k := &w.sale.skus[rq.sku]
	prev, known := w.told.wins[rq.sku][rq.uid]
	namesWin := a.Result == engine.AlreadyWon.String() || a.Result == engine.Won.String()
	if namesWin && w.beforeLapse(rq, a) {
		return nil // decided before the lapse of the win it names
	}
	if pos, waits := w.econ[rq.sku].waiting[rq.uid]; waits {
		// A waiter hears its place until it is promoted.
		switch a.Result {
		case engine.SoldOut.String(), engine.NotReserved.String(), engine.LimitReached.String(), engine.None.String():
			return fmt.Errorf("uid %d, told waitlist position %d of %s, is answered %s", rq.uid, pos, k.item.SKU, a.Result)
		}
	}
	if known {
		// A winner's retry always hears of its win (SPEC: already_won
		// comes before not_reserved and sold_out), and a lookup finds it.
		switch a.Result {
		case engine.SoldOut.String(), engine.NotReserved.String(), engine.LimitReached.String(), engine.None.String(), engine.Waitlisted.String():
			return fmt.Errorf("uid %d, told it won %s seq %d, is answered %s", rq.uid, k.item.SKU, prev.seq, a.Result)
		}
		if a.Result == engine.Won.String() && rq.kind == engine.Buy {
			return fmt.Errorf("uid %d won %s twice: seq %d, then seq %d", rq.uid, k.item.SKU, prev.seq, a.Seq)
		}
	}
	if a.Result == engine.Waitlisted.String() {
		return w.checkWaitlisted(rq, k, a)
	}
	if !namesWin {
		return w.checkRefusal(rq, k, a)
	}
	if a.SKU != k.item.SKU || a.Activity != k.act.ID || a.UID != rq.uid {
		return fmt.Errorf("win answer names %s/%s uid %d, asked %s/%s uid %d", a.Activity, a.SKU, a.UID, k.act.ID, k.item.SKU, rq.uid)
	}
	if a.Seq < 1 || a.Seq > k.quota {
		return fmt.Errorf("%s seq %d outside 1..quota %d: oversold", k.item.SKU, a.Seq, k.quota)
	}
	if b, err := hex.DecodeString(a.Ticket); err != nil || len(b) != engine.TicketBytes {
		return fmt.Errorf("%s seq %d: malformed ticket %q", k.item.SKU, a.Seq, a.Ticket)
	}
	if known {
		if prev.seq != a.Seq || prev.ticket != a.Ticket {
			return fmt.Errorf("uid %d told %s seq %d ticket %s, now seq %d ticket %s", rq.uid, k.item.SKU, prev.seq, prev.ticket, a.Seq, a.Ticket)
		}
		return nil
	}
	if other, ok := w.told.bySeq[rq.sku][a.Seq]; ok && other != rq.uid {
		return fmt.Errorf("%s seq %d told to uid %d and to uid %d", k.item.SKU, a.Seq, other, rq.uid)
	}
	if a.Result == engine.Won.String() && rq.kind == engine.Buy {
		if err := w.checkNewWin(rq, k); err != nil {
			return err
		}
	}
	if k.act.Limit == "activity" {
		if other, ok := w.told.byActivity[k.act.ID][rq.uid]; ok && other != rq.sku {
			return fmt.Errorf("uid %d told it won %s and %s of activity %s (limit = activity)", rq.uid, w.sale.skus[other].item.SKU, k.item.SKU, k.act.ID)
		}
		w.told.byActivity[k.act.ID][rq.uid] = rq.sku
	}
	w.told.wins[rq.sku][rq.uid] = toldWin{seq: a.Seq, ticket: a.Ticket}
	w.told.bySeq[rq.sku][a.Seq] = rq.uid
	w.stats.WinsTold++
	return nil
}

// checkNewWin checks the rules a fresh win must have been decided under,
// at the simulated time the shard stepped it (now).
func (w *world) checkNewWin(rq *request, k *skuInfo) error {
	now := w.clock.read()
	if now < k.act.StartTime.UnixNano() || now >= k.act.EndTime.UnixNano() {
		return fmt.Errorf("uid %d won %s at %d, outside its window", rq.uid, k.item.SKU, now)
	}
	if rq.decidedUnder.paused {
		return fmt.Errorf("uid %d won %s, decided after a pause the shard had made", rq.uid, k.item.SKU)
	}
	if l := rq.decidedUnder.list; k.act.Reservation == "required" && (l == nil || !l.Contains(rq.uid)) {
		return fmt.Errorf("uid %d won %s but is not in the reservation list in force when it was decided", rq.uid, k.item.SKU)
	}
	return nil
}

// unreserved reports whether rq is a buy of an activity that requires a
// reservation by a uid missing from the list it was judged under: the
// shard's list in force when it decided rq, or the list the gate's
// pre-filter read when the gate answered it.
func (w *world) unreserved(rq *request, k *skuInfo) bool {
	l := rq.listAtOffer
	if rq.byShard {
		l = rq.decidedUnder.list
	}
	return rq.kind == engine.Buy && k.act.Reservation == "required" && (l == nil || !l.Contains(rq.uid))
}

// checkRefusal checks the answers that name no win against the state they
// claim: sold_out only when no unit is left, not_started and ended only
// outside the window.
func (w *world) checkRefusal(rq *request, k *skuInfo, a *answer) error {
	now := w.clock.read()
	switch a.Result {
	case engine.SoldOut.String():
		// A lapse since the decision may have put a unit back on sale.
		if rem := w.in.loops[rq.sku].Public().Remaining(); rem != 0 && rq.epoch == w.lapses {
			return fmt.Errorf("%s answered sold_out with %d units left", k.item.SKU, rem)
		}
		if w.unreserved(rq, k) {
			// SPEC: not_reserved comes before sold_out, so a buyer who
			// could never have bought hears why.
			return fmt.Errorf("uid %d, not reserved for %s, is answered sold_out", rq.uid, k.item.SKU)
		}
	case engine.NotStarted.String():
		if now >= k.act.StartTime.UnixNano() {
			return fmt.Errorf("%s answered not_started at %d, start %d", k.item.SKU, now, k.act.StartTime.UnixNano())
		}
	case engine.Ended.String():
		if now < k.act.EndTime.UnixNano() {
			return fmt.Errorf("%s answered ended at %d, end %d", k.item.SKU, now, k.act.EndTime.UnixNano())
		}
	}
	return nil
}
