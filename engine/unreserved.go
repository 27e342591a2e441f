package engine

// WinnersOutside returns the uids that won on this shard but are not in set
// (every winner when set is nil), or nil when there are none. A front end's
// not_reserved pre-filter must let these uids through to the shard: Step
// answers a winner already_won before it looks at the reservation list, so a
// winner a new list leaves out still hears of its win.
func (s *Shard) WinnersOutside(set Reservations) map[uint64]struct{} {
	var out map[uint64]struct{}
	add := func(uid uint64) {
		if set != nil && set.Contains(uid) {
			return
		}
		if out == nil {
			out = map[uint64]struct{}{}
		}
		out[uid] = struct{}{}
	}
	for i := range s.wins {
		add(s.wins[i].uid)
	}
	// Waitlisted users and those whose qualification lapsed are answered
	// before the list too (waitlist.go); a promotion keeps its uid in here.
	for uid := range s.econ.position {
		add(uid)
	}
	for uid := range s.econ.lapsed {
		add(uid)
	}
	return out
}
