package sim

import (
	"errors"
	"fmt"

	"seckill/engine"
	"seckill/internal/live/shardloop"
)

// This file drives the sale economics (engine/waitlist.go) through the
// simulation: the mall's paid and lapsed reports, made the way the admin
// route makes them (internal/app/server.ReportQualification: a control task
// in the SKU's inbox, behind the attempts already queued), and the model of
// what the buyers and the mall were told of waitlist places, fates and
// promotions, which every recovered store must keep.

// econTold is what was told of one SKU's economics: a promise the store
// must keep through every crash.
type econTold struct {
	waiting  map[uint64]uint64 // uid → the position it was told, while not promoted
	placed   map[uint64]uint64 // uid → the position it was told, kept after its promotion
	promoted map[uint64]bool   // uids a promotion was told to
	paid     map[uint64]bool   // seqs a paid report was answered applied
	lapsed   map[uint64]uint64 // seq → the uid its last answered lapse named
	former   map[uint64]formerWin
	reports  []reported // promotions told to the mall, in order
}

// formerWin is a win told to a uid whose qualification has lapsed since:
// an answer decided before the lapse (epoch below) may still name it.
type formerWin struct {
	toldWin
	epoch uint64
}

// reported is one promotion told to the mall (the admin route's answer).
type reported struct {
	seq, uid, round uint64
	ticket          [engine.TicketBytes]byte
}

func newEconTold() *econTold {
	return &econTold{
		waiting: map[uint64]uint64{}, placed: map[uint64]uint64{}, promoted: map[uint64]bool{},
		paid: map[uint64]bool{}, lapsed: map[uint64]uint64{}, former: map[uint64]formerWin{},
	}
}

// report has the mall report one qualification's fate: mostly lapsed,
// sometimes paid, mostly of a seq already issued, now and then a seq beyond
// the quota or naming a uid (the holder, or someone else).
func (w *world) report() error {
	w.stats.Reports++
	i := w.rng.IntN(len(w.sale.skus))
	k := &w.sale.skus[i]
	c := engine.Control{Kind: engine.ControlLapsed, Source: engine.SourceOperator, Num: 1 + w.rng.Uint64N(k.quota+1)}
	if w.rng.IntN(5) < 2 {
		c.Kind = engine.ControlPaid
	}
	if w.rng.IntN(5) == 0 {
		c.UID = w.told.bySeq[i][c.Num]
		if c.UID == 0 || w.rng.IntN(3) == 0 {
			c.UID = 1 + w.rng.Uint64N(w.sale.buyers)
		}
	}
	w.traceEvent('Q', []byte(k.item.SKU), []byte(fmt.Sprintf("%s %d %d", c.Kind, c.Num, c.UID)))
	task, err := w.in.loops[i].OfferControl(c)
	if err != nil || task == nil {
		return nil // a full inbox: the mall retries later
	}
	w.inbox[i] = append(w.inbox[i], inboxItem{ctl: task, report: &c})
	return nil
}

// decidedReport checks the durable answer to a report against what was told
// before, and records what it tells: a fate, and the promotion it set off.
func (w *world) decidedReport(i int, c *engine.Control, res *shardloop.ControlResult) error {
	k := &w.sale.skus[i]
	e := w.econ[i]
	lapse := c.Kind == engine.ControlLapsed
	switch res.Verdict {
	case engine.ControlApplied:
	case engine.ControlUnchanged:
		if lapse && e.paid[c.Num] {
			return fmt.Errorf("%s seq %d: a lapse after a paid report answered unchanged, not refused", k.item.SKU, c.Num)
		}
		return nil
	case engine.ControlRefused:
		switch {
		case lapse && e.paid[c.Num] && (c.UID == 0 || c.UID == w.told.bySeq[i][c.Num]) && !errors.Is(res.Reason, engine.ErrPaidCannotLapse):
			return fmt.Errorf("%s seq %d: a lapse after paid refused for %v", k.item.SKU, c.Num, res.Reason)
		case c.Num > k.quota && !errors.Is(res.Reason, engine.ErrNeverIssued):
			return fmt.Errorf("%s seq %d beyond the quota refused for %v", k.item.SKU, c.Num, res.Reason)
		}
		return nil
	case engine.ControlUnavailable:
		if w.faults.mode.Load() == uint32(faultNone) {
			return fmt.Errorf("%s: report unavailable without an injected fault", k.item.SKU)
		}
		return nil
	default:
		return fmt.Errorf("%s: report %s", k.item.SKU, res.Verdict)
	}
	rec := &res.Record
	if rec.Num != c.Num || rec.Kind != c.Kind {
		return fmt.Errorf("%s: report of %s seq %d recorded as %s seq %d", k.item.SKU, c.Kind, c.Num, rec.Kind, rec.Num)
	}
	if holder, ok := w.told.bySeq[i][rec.Num]; ok && holder != rec.UID {
		return fmt.Errorf("%s seq %d, told to uid %d, reported %s under uid %d", k.item.SKU, rec.Num, holder, rec.Kind, rec.UID)
	}
	if !lapse {
		if e.lapsed[rec.Num] == rec.UID && rec.UID != 0 {
			return fmt.Errorf("%s seq %d: paid after uid %d's lapse of it", k.item.SKU, rec.Num, rec.UID)
		}
		e.paid[rec.Num] = true
		return nil
	}
	if e.paid[rec.Num] {
		return fmt.Errorf("%s seq %d: a lapse applied after a paid report: a paid qualification can never lapse", k.item.SKU, rec.Num)
	}
	w.stats.Lapses++
	w.lapse(i, rec.Num, rec.UID)
	for f := range res.Follow {
		if err := w.toldPromotion(i, rec, &res.Follow[f]); err != nil {
			return err
		}
	}
	if len(res.Follow) == 0 {
		for uid, pos := range e.waiting {
			return fmt.Errorf("%s seq %d lapsed with uid %d waiting at position %d, and nobody was promoted", k.item.SKU, rec.Num, uid, pos)
		}
	}
	return nil
}

// lapse moves uid's told win of seq, if any, to the former wins: answers
// decided from now on must not name it.
func (w *world) lapse(i int, seq, uid uint64) {
	e := w.econ[i]
	w.lapses++
	e.lapsed[seq] = uid
	if t, ok := w.told.wins[i][uid]; ok && t.seq == seq {
		e.former[uid] = formerWin{toldWin: t, epoch: w.lapses}
		delete(w.told.wins[i], uid)
	}
	if w.told.bySeq[i][seq] == uid {
		delete(w.told.bySeq[i], seq)
	}
}

// toldPromotion checks a promotion a lapse set off and records it as told:
// the same seq, from the lapsed uid, to the first waiter still waiting.
func (w *world) toldPromotion(i int, lapsed *engine.Control, p *engine.Control) error {
	k := &w.sale.skus[i]
	e := w.econ[i]
	ticket, from, round := p.Promotion()
	if p.Kind != engine.ControlPromoted || p.Num != lapsed.Num || from != lapsed.UID {
		return fmt.Errorf("%s: lapse of seq %d (uid %d) set off %s seq %d from uid %d", k.item.SKU, lapsed.Num, lapsed.UID, p.Kind, p.Num, from)
	}
	if pos, ok := e.placed[p.UID]; ok {
		for uid, other := range e.waiting {
			if other < pos {
				return fmt.Errorf("%s seq %d promoted to uid %d (position %d) while uid %d waits at position %d: waitlist order broken", k.item.SKU, p.Num, p.UID, pos, uid, other)
			}
		}
	}
	if t, ok := w.told.wins[i][p.UID]; ok {
		return fmt.Errorf("%s seq %d promoted to uid %d, which was told seq %d", k.item.SKU, p.Num, p.UID, t.seq)
	}
	delete(e.waiting, p.UID)
	e.promoted[p.UID] = true
	w.stats.Promotions++
	e.reports = append(e.reports, reported{seq: p.Num, uid: p.UID, round: round, ticket: ticket})
	w.toldWinOf(i, p.UID, p.Num, ticket)
	return nil
}

// toldWinOf records that uid was told it holds seq with ticket.
func (w *world) toldWinOf(i int, uid, seq uint64, ticket [engine.TicketBytes]byte) {
	w.told.wins[i][uid] = toldWin{seq: seq, ticket: fmt.Sprintf("%x", ticket)}
	w.told.bySeq[i][seq] = uid
	if k := &w.sale.skus[i]; k.act.Limit == "activity" {
		w.told.byActivity[k.act.ID][uid] = i
	}
}

// checkWaitlisted judges a waitlisted answer: a position within the
// waitlist, the same one every time, never to a uid told it holds a seq.
func (w *world) checkWaitlisted(rq *request, k *skuInfo, a *answer) error {
	e := w.econ[rq.sku]
	if a.Position < 1 || a.Position > uint64(k.item.Waitlist) {
		return fmt.Errorf("uid %d waitlisted at position %d of %s, whose waitlist is %d", rq.uid, a.Position, k.item.SKU, k.item.Waitlist)
	}
	if pos, ok := e.placed[rq.uid]; ok && pos != a.Position {
		return fmt.Errorf("uid %d told position %d of %s, now %d", rq.uid, pos, k.item.SKU, a.Position)
	}
	if e.promoted[rq.uid] && rq.epoch == w.lapses {
		return fmt.Errorf("uid %d, promoted in %s, is answered waitlisted", rq.uid, k.item.SKU)
	}
	for uid, pos := range e.placed {
		if pos == a.Position && uid != rq.uid {
			return fmt.Errorf("%s position %d told to uid %d and to uid %d", k.item.SKU, pos, uid, rq.uid)
		}
	}
	if _, ok := e.placed[rq.uid]; !ok {
		w.stats.Waitlisted++
	}
	if !e.promoted[rq.uid] {
		e.waiting[rq.uid] = a.Position
	}
	e.placed[rq.uid] = a.Position
	return nil
}

// beforeLapse reports whether an answer naming a win is one uid was told
// before its qualification lapsed, decided before the lapse.
func (w *world) beforeLapse(rq *request, a *answer) bool {
	f, ok := w.econ[rq.sku].former[rq.uid]
	return ok && rq.epoch < f.epoch && f.seq == a.Seq && f.ticket == a.Ticket
}
