package sim

import (
	"fmt"

	"seckill/engine"
	"seckill/internal/live/shardloop"
	"seckill/internal/live/uidset"
	"seckill/internal/store/auditlog"
)

// This file is the simulation's control-change driver and its model of
// them: the operator's pause, resume and reservation swaps, made the way
// the admin API makes them (internal/app/server: store the list, then one
// control task into each shard's inbox, behind the attempts already
// queued), and what each shard had in force when it decided each attempt.

// inForce is what a shard's control records have put in force.
type inForce struct {
	paused bool
	list   *uidset.Set // nil: none yet
}

// inboxItem mirrors one task of a shard's inbox, in inbox order: a queued
// request, or a control change.
type inboxItem struct {
	rq     *request
	ctl    *shardloop.ControlTask
	report *engine.Control // the mall's report ctl carries, if it is one
}

// control makes one operator change: pause or resume a SKU, or replace a
// reservation list on every SKU of an activity.
func (w *world) control() error {
	if w.rng.IntN(2) == 0 {
		return w.report()
	}
	w.stats.Controls++
	var resvActs []string
	for i := range w.sale.cfg.Activities {
		if a := &w.sale.cfg.Activities[i]; a.Reservation == "required" {
			resvActs = append(resvActs, a.ID)
		}
	}
	if len(resvActs) > 0 && w.rng.IntN(3) == 0 {
		act := resvActs[w.rng.IntN(len(resvActs))]
		set := drawReservations(w.rng, w.sale.buyers)
		d := set.Digest()
		w.traceEvent('R', []byte(act), d[:])
		if err := auditlog.StoreReservations(w.in.log, set); err != nil {
			if w.faults.mode.Load() == uint32(faultNone) {
				return fmt.Errorf("store a reservation list without an injected fault: %w", err)
			}
			return nil
		}
		for i := range w.sale.skus {
			if w.sale.skus[i].act.ID == act {
				w.offerControl(i, engine.Control{Kind: engine.ControlReservations, Digest: d, Num: uint64(set.Len()), Set: set})
			}
		}
		return nil
	}
	i := w.rng.IntN(len(w.sale.skus))
	kind := engine.ControlPause
	if w.decidedState[i].paused {
		kind = engine.ControlResume
	}
	w.traceEvent('P', []byte(w.sale.skus[i].item.SKU), []byte(kind.String()))
	w.offerControl(i, engine.Control{Kind: kind})
	return nil
}

// offerControl queues c on shard i behind what is queued there. A full
// inbox refuses it (the admin API would retry until its deadline).
func (w *world) offerControl(i int, c engine.Control) {
	task, err := w.in.loops[i].OfferControl(c)
	if err != nil || task == nil {
		return
	}
	w.inbox[i] = append(w.inbox[i], inboxItem{ctl: task})
}

// decided walks a batch shard i has just stepped, in inbox order: each
// control change's durable answer moves the model's state, and each request
// remembers the state it was decided under.
func (w *world) decided(i int, batch []inboxItem) error {
	for _, it := range batch {
		if it.rq != nil {
			it.rq.decidedUnder = w.decidedState[i]
			it.rq.byShard = true
			it.rq.epoch = w.lapses
			continue
		}
		res := <-it.ctl.Done() // answered by the step
		if it.report != nil {
			if err := w.decidedReport(i, it.report, &res); err != nil {
				return err
			}
			continue
		}
		switch res.Verdict {
		case engine.ControlApplied:
			switch res.Record.Kind {
			case engine.ControlPause:
				w.decidedState[i].paused = true
			case engine.ControlResume:
				w.decidedState[i].paused = false
			case engine.ControlReservations:
				w.decidedState[i].list = res.Record.Set.(*uidset.Set)
			}
		case engine.ControlUnchanged:
		case engine.ControlUnavailable:
			if w.faults.mode.Load() == uint32(faultNone) {
				return fmt.Errorf("%s: control change unavailable without an injected fault", w.sale.skus[i].item.SKU)
			}
		default:
			return fmt.Errorf("%s: control change %s", w.sale.skus[i].item.SKU, res.Verdict)
		}
	}
	return nil
}

// recoveredState reads what the recovered shards have in force: a control
// change whose commit failed may or may not have reached the disk, so after
// a restart the store says which (and the audit checks the store).
func (w *world) recoveredState() {
	w.decidedState = make([]inForce, len(w.sale.skus))
	for i, l := range w.in.loops {
		w.decidedState[i].paused = l.Public().Paused()
		if set, ok := l.Public().Reservations().(*uidset.Set); ok {
			w.decidedState[i].list = set
		}
	}
}

// gateList is the reservation list the gate's pre-filter reads for shard i
// now (the last one made durable).
func (w *world) gateList(i int) *uidset.Set {
	set, _ := w.in.loops[i].Public().Reservations().(*uidset.Set)
	return set
}
