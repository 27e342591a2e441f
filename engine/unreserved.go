package engine

// WinnersOutside returns the uids that won on this shard but are not in set
// (every winner when set is nil), or nil when there are none. A front end's
// not_reserved pre-filter must let these uids through to the shard: Step
// answers a winner already_won before it looks at the reservation list, so a
// winner a new list leaves out still hears of its win.
func (s *Shard) WinnersOutside(set Reservations) map[uint64]struct{} {
	var out map[uint64]struct{}
	for i := range s.wins {
		uid := s.wins[i].uid
		if set != nil && set.Contains(uid) {
			continue
		}
		if out == nil {
			out = map[uint64]struct{}{}
		}
		out[uid] = struct{}{}
	}
	return out
}
