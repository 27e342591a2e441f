package engine

import "maps"

// Frozen is a read-only view of a shard's winners as they were when Freeze
// made it. Any number of goroutines may read it at once while the shard's
// own goroutine goes on: the shard never writes what a view references (the
// first change after Freeze copies the winner table; see unshare). The live
// driver publishes one when a shard sells out, so that the stampede after
// the last unit is answered from the view without queueing on the shard.
type Frozen struct {
	wins     []winEntry
	byUID    map[uint64]uint64
	position map[uint64]uint64 // waitlist places (waitlist.go)
	head     uint64            // places 1..head were promoted
	lapsed   map[uint64]uint64
	controls uint64 // the control strand's length when frozen
}

// Freeze returns a view of the shard's winners now. It costs nothing: the
// view shares the shard's tables until the shard next changes them.
func (s *Shard) Freeze() *Frozen {
	s.shared = true
	return &Frozen{wins: s.wins[:len(s.wins):len(s.wins)], byUID: s.byUID,
		position: s.econ.position, head: s.econ.head, lapsed: s.econ.lapsed, controls: s.controls}
}

// Current reports whether f still shows the shard: no control record
// (a lapse, a promotion, a pause) came after it was made.
func (s *Shard) Current(f *Frozen) bool { return f != nil && f.controls == s.controls }

// Lookup answers whether uid won, with its win as a Lookup attempt would
// describe it (Result Won), or a Decision with Result None.
func (f *Frozen) Lookup(uid uint64) Decision {
	seq, ok := f.byUID[uid]
	if !ok {
		if pos, waiting := f.position[uid]; waiting && pos > f.head {
			return Decision{Result: Waitlisted, Position: pos}
		}
		return Decision{Result: None}
	}
	e := &f.wins[seq-1]
	return Decision{Result: Won, Seq: seq, Ticket: e.ticket, TimeUnixNano: e.timeUnixNano}
}

// Buy answers a buy from the sold-out shard the view shows, for a user
// whose reservation (when required) was checked, as Step would: the
// original win (AlreadyWon), the waitlist place, limit_reached for a
// qualification that lapsed, or sold_out.
func (f *Frozen) Buy(uid uint64) Decision {
	d := f.Lookup(uid)
	switch {
	case d.Result == Won:
		d.Result = AlreadyWon
	case d.Result == Waitlisted:
	default:
		if _, ok := f.lapsed[uid]; ok {
			return Decision{Result: LimitReached}
		}
		d.Result = SoldOut
	}
	return d
}

// Wins is the number of winners in the view.
func (f *Frozen) Wins() uint64 { return uint64(len(f.wins)) }

// unshare gives the shard its own copy of the winner table before it
// changes it, when a Frozen view still references the current one. Today a
// shard frozen at sold-out never changes its table again; kinds that give
// units back (more stock, a lapsed qualification) pay the copy once.
func (s *Shard) unshare() {
	if !s.shared {
		return
	}
	s.wins = append(make([]winEntry, 0, cap(s.wins)), s.wins...)
	s.byUID = maps.Clone(s.byUID)
	s.econ.clone()
	s.shared = false
}
