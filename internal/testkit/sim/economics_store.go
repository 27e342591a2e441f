package sim

import (
	"encoding/hex"
	"fmt"

	"seckill/engine"
	"seckill/wal"
)

// storedEcon is one SKU's economics as its stored records, walked in log
// order by the simulation's own reference rules (independent of the
// engine's CheckEconomics, which recovery and the audit use), leave them.
type storedEcon struct {
	holder   []storedHolder    // by seq-1: who holds it now
	waiting  []uint64          // uids in position order
	head     int               // positions 1..head promoted
	free     []uint64          // lapsed seqs back on sale
	lapsedBy map[uint64]uint64 // uid → the seq that lapsed under it
	paid     map[uint64]bool
	vacant   map[uint64]bool
	promoted map[reported]bool
	owed     uint64 // a seq that lapsed while users waited: the next record must promote it
}

type storedHolder struct {
	uid    uint64
	ticket [engine.TicketBytes]byte
}

// remaining is the stock a recovered shard must publish: the quota less
// the issued seqs, plus the lapsed ones back on sale.
func (s *storedEcon) remaining(quota uint64) int64 {
	return int64(quota) - int64(len(s.holder)) + int64(len(s.free))
}

// scanEconomics walks every SKU's control records over its stored wins and
// checks the rules of the sale economics at every record: a waitlist place
// only once every seq is issued and none is back on sale, positions 1.. in
// order within the waitlist; paid and lapsed name the seq's holder, and
// nothing lapses or is paid after paid; a lapse while users wait is followed
// at once by its promotion; every promotion follows a lapse of its seq, names the lapsed uid and the next round, goes to the first
// waiter (or, nobody waiting, is the first unit back on sale); and no uid
// holds two things of a SKU (two seqs, a seq and a place, a lapsed one and
// anything new).
func (w *world) scanEconomics(wins [][]storedHolder) ([]*storedEcon, error) {
	out := make([]*storedEcon, len(w.sale.skus))
	for i := range out {
		out[i] = &storedEcon{
			holder: wins[i], lapsedBy: map[uint64]uint64{}, paid: map[uint64]bool{},
			vacant: map[uint64]bool{}, promoted: map[reported]bool{},
		}
	}
	rounds := make([]map[uint64]uint64, len(w.sale.skus))
	err := w.in.log.ScanControls(func(r *wal.ControlRecord) error {
		if r.Err != nil {
			return fmt.Errorf("control %s/%s %d: %w", r.Activity, r.SKU, r.Seq, r.Err)
		}
		i := w.sale.skuIndex(r.SKU)
		if i < 0 {
			return fmt.Errorf("control record of %s/%s, which the sale does not have", r.Activity, r.SKU)
		}
		if rounds[i] == nil {
			rounds[i] = map[uint64]uint64{}
		}
		if err := out[i].apply(&w.sale.skus[i], &r.Control, rounds[i]); err != nil {
			return fmt.Errorf("%s control %d (%s, num %d, uid %d): %w", r.SKU, r.Seq, r.Control.Kind, r.Control.Num, r.Control.UID, err)
		}
		return nil
	})
	return out, err
}

func (s *storedEcon) apply(k *skuInfo, c *engine.Control, rounds map[uint64]uint64) error {
	issued := min(c.AfterWins, uint64(len(s.holder)))
	if s.owed != 0 && (c.Kind != engine.ControlPromoted || c.Num != s.owed) {
		return fmt.Errorf("seq %d lapsed while users waited, and the next record is not its promotion", s.owed)
	}
	s.owed = 0
	switch c.Kind {
	case engine.ControlWaitlisted:
		switch {
		case issued < k.quota || len(s.free) > 0:
			return fmt.Errorf("a waitlist place with %d of %d seqs issued and %d back on sale", issued, k.quota, len(s.free))
		case c.Num != uint64(len(s.waiting))+1 || c.Num > uint64(k.item.Waitlist):
			return fmt.Errorf("waitlist position %d after %d places, waitlist %d", c.Num, len(s.waiting), k.item.Waitlist)
		}
		if err := s.holdsNothing(c.UID, issued); err != nil {
			return err
		}
		s.waiting = append(s.waiting, c.UID)
	case engine.ControlPaid, engine.ControlLapsed:
		switch {
		case c.Num < 1 || c.Num > issued:
			return fmt.Errorf("seq %d reported with %d issued", c.Num, issued)
		case s.vacant[c.Num]:
			return fmt.Errorf("seq %d reported after its lapse", c.Num)
		case s.paid[c.Num]:
			return fmt.Errorf("seq %d reported after paid", c.Num)
		case s.holder[c.Num-1].uid != c.UID:
			return fmt.Errorf("seq %d held by uid %d, reported for uid %d", c.Num, s.holder[c.Num-1].uid, c.UID)
		}
		if c.Kind == engine.ControlPaid {
			s.paid[c.Num] = true
			return nil
		}
		s.vacant[c.Num] = true
		s.lapsedBy[c.UID] = c.Num
		switch {
		case s.head < len(s.waiting):
			s.owed = c.Num
		case c.TimeUnixNano < k.act.EndTime.UnixNano():
			s.free = append(s.free, c.Num)
		}
	case engine.ControlPromoted:
		ticket, from, round := c.Promotion()
		switch {
		case c.Num < 1 || c.Num > issued || !s.vacant[c.Num]:
			return fmt.Errorf("seq %d promoted without a lapse of it before", c.Num)
		case from != s.holder[c.Num-1].uid:
			return fmt.Errorf("promoted_from uid %d, but seq %d lapsed under uid %d", from, c.Num, s.holder[c.Num-1].uid)
		case round != rounds[c.Num]+1:
			return fmt.Errorf("round %d, want %d", round, rounds[c.Num]+1)
		}
		if s.head < len(s.waiting) {
			if c.UID != s.waiting[s.head] {
				return fmt.Errorf("promoted uid %d, but position %d (uid %d) waits first", c.UID, s.head+1, s.waiting[s.head])
			}
			s.head++
		} else {
			if len(s.free) == 0 || s.free[0] != c.Num {
				return fmt.Errorf("seq %d issued again with nobody waiting, not the first unit back on sale (%v)", c.Num, s.free)
			}
			if err := s.holdsNothing(c.UID, issued); err != nil {
				return err
			}
			s.free = s.free[1:]
		}
		rounds[c.Num] = round
		delete(s.vacant, c.Num)
		s.holder[c.Num-1] = storedHolder{uid: c.UID, ticket: ticket}
		s.promoted[reported{seq: c.Num, uid: c.UID, round: round, ticket: ticket}] = true
	}
	return s.oneEach(issued)
}

// holdsNothing reports a uid that already holds a seq, a waitlist place or
// a lapsed qualification of the SKU.
func (s *storedEcon) holdsNothing(uid, issued uint64) error {
	for seq := range issued {
		if s.holder[seq].uid == uid && !s.vacant[seq+1] {
			return fmt.Errorf("uid %d holds seq %d already", uid, seq+1)
		}
	}
	for p, waiter := range s.waiting {
		if waiter == uid {
			return fmt.Errorf("uid %d holds waitlist position %d already", uid, p+1)
		}
	}
	if seq, ok := s.lapsedBy[uid]; ok {
		return fmt.Errorf("uid %d's seq %d lapsed", uid, seq)
	}
	return nil
}

// oneEach checks that no uid holds two seqs at once, and that the seqs held
// are within the quota.
func (s *storedEcon) oneEach(issued uint64) error {
	seen := make(map[uint64]uint64, issued)
	for seq := range issued {
		if s.vacant[seq+1] {
			continue
		}
		uid := s.holder[seq].uid
		if other, ok := seen[uid]; ok {
			return fmt.Errorf("uid %d holds seqs %d and %d at once", uid, other, seq+1)
		}
		seen[uid] = seq + 1
	}
	return nil
}

// checkToldEconomics checks the recovered store against what was told of
// the economics, after reconciling the reports whose answer was lost to the
// crash or a failed commit (they may or may not have reached the disk):
// every told waitlist place, paid report, lapse and promotion is stored;
// every told win is held by its uid with its ticket, unless the store shows
// that qualification lapsed (a report the engine never answered), in which
// case the model learns of the lapse and the promotion after it.
func (w *world) checkToldEconomics(i int, s *storedEcon) error {
	k := &w.sale.skus[i]
	e := w.econ[i]
	placedAt := map[uint64]uint64{}
	for p, uid := range s.waiting {
		placedAt[uid] = uint64(p + 1)
	}
	for uid, pos := range e.placed {
		if placedAt[uid] != pos {
			return fmt.Errorf("%s: uid %d was told waitlist position %d; the store has %d", k.item.SKU, uid, pos, placedAt[uid])
		}
	}
	for seq := range e.paid {
		if !s.paid[seq] {
			return fmt.Errorf("%s seq %d: told paid, no paid record stored", k.item.SKU, seq)
		}
	}
	for seq, uid := range e.lapsed {
		if s.lapsedBy[uid] != seq {
			return fmt.Errorf("%s seq %d: told lapsed under uid %d, no such lapse stored", k.item.SKU, seq, uid)
		}
	}
	for _, p := range e.reports {
		if !s.promoted[p] {
			return fmt.Errorf("%s seq %d: promotion to uid %d round %d told, not stored", k.item.SKU, p.seq, p.uid, p.round)
		}
	}
	// The store's lapses and promotions the model did not hear of.
	for uid, seq := range s.lapsedBy {
		if t, ok := w.told.wins[i][uid]; ok && t.seq == seq {
			w.lapse(i, seq, uid)
		}
	}
	for seq, h := range s.holder {
		if s.vacant[uint64(seq+1)] {
			continue
		}
		if _, waited := e.waiting[h.uid]; waited && placedAt[h.uid] <= uint64(s.head) {
			delete(e.waiting, h.uid)
			e.promoted[h.uid] = true
		}
	}
	for uid, t := range w.told.wins[i] {
		if t.seq > uint64(len(s.holder)) {
			return fmt.Errorf("%s: uid %d was told seq %d; the store has %d wins: a told win is lost", k.item.SKU, uid, t.seq, len(s.holder))
		}
		h := s.holder[t.seq-1]
		if s.vacant[t.seq] || h.uid != uid || hex.EncodeToString(h.ticket[:]) != t.ticket {
			return fmt.Errorf("%s seq %d: told uid %d ticket %s, stored uid %d ticket %x (vacant %v)", k.item.SKU, t.seq, uid, t.ticket, h.uid, h.ticket, s.vacant[t.seq])
		}
	}
	return nil
}
