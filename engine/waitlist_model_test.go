package engine

import (
	"math/rand/v2"
	"testing"
)

// econModel is the reference model of the sale economics: the SPEC's rules
// written plainly, with none of the shard's data structures.
type econModel struct {
	quota, waitlist uint64
	end             int64
	issued          uint64
	holder          map[uint64]uint64 // seq → uid; 0 while vacant
	seqOf           map[uint64]uint64 // uid → seq held
	lapsedUID       map[uint64]bool
	paid            map[uint64]bool // by seq
	waiting         []uint64
	position        map[uint64]uint64
	promoted        int
	free            []uint64
}

func newEconModel(quota, waitlist uint64, end int64) *econModel {
	return &econModel{quota: quota, waitlist: waitlist, end: end, holder: map[uint64]uint64{}, seqOf: map[uint64]uint64{},
		lapsedUID: map[uint64]bool{}, paid: map[uint64]bool{}, position: map[uint64]uint64{}}
}

func (m *econModel) give(seq, uid uint64) {
	m.holder[seq], m.seqOf[uid] = uid, seq
}

// buy returns the result and the seq (won, already_won) or position.
func (m *econModel) buy(uid uint64, now int64) (Result, uint64) {
	switch pos := m.position[uid]; {
	case now >= m.end:
		return Ended, 0
	case m.seqOf[uid] != 0:
		return AlreadyWon, m.seqOf[uid]
	case m.lapsedUID[uid]:
		return LimitReached, 0
	case pos > uint64(m.promoted):
		return Waitlisted, pos
	case m.issued < m.quota:
		m.issued++
		m.give(m.issued, uid)
		return Won, m.issued
	case len(m.free) > 0:
		seq := m.free[0]
		m.free = m.free[1:]
		m.give(seq, uid)
		return Won, seq
	case uint64(len(m.waiting)) < m.waitlist:
		m.waiting = append(m.waiting, uid)
		m.position[uid] = uint64(len(m.waiting))
		return Waitlisted, uint64(len(m.waiting))
	}
	return SoldOut, 0
}

func (m *econModel) report(lapse bool, seq uint64, now int64) ControlVerdict {
	switch {
	case seq == 0 || seq > m.issued:
		return ControlRefused
	case m.holder[seq] == 0 && lapse:
		return ControlUnchanged
	case m.holder[seq] == 0:
		return ControlRefused
	case m.paid[seq] && lapse:
		return ControlRefused
	case m.paid[seq]:
		return ControlUnchanged
	case !lapse:
		m.paid[seq] = true
		return ControlApplied
	}
	old := m.holder[seq]
	m.lapsedUID[old] = true
	delete(m.seqOf, old)
	m.holder[seq] = 0
	switch {
	case m.promoted < len(m.waiting):
		m.give(seq, m.waiting[m.promoted])
		m.promoted++
	case now < m.end:
		m.free = append(m.free, seq)
	}
	return ControlApplied
}

// raise is a set_stock that adds n qualifications: the users who wait get
// them first, in waitlist order; the rest open to new buyers.
func (m *econModel) raise(n uint64) {
	m.quota += n
	for m.issued < m.quota && m.promoted < len(m.waiting) {
		m.issued++
		m.give(m.issued, m.waiting[m.promoted])
		m.promoted++
	}
}

// TestEconomicsAgainstModel drives a shard and the reference model with the
// same random buys, lookups, paid/lapsed reports and stock raises, compares every
// answer, then rebuilds the shard from its log and compares again.
func TestEconomicsAgainstModel(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 11))
		spec := testSpec()
		spec.Quota, spec.Waitlist = 1+rng.Uint64N(4), rng.Uint64N(4)
		l := newEconLog(t, spec)
		m := newEconModel(spec.Quota, spec.Waitlist, spec.EndUnixNano)
		now := spec.StartUnixNano
		for step := 0; step < 80; step++ {
			now += rng.Int64N(2e8) // the round ends (20 s) somewhere in most runs
			uid := 1 + rng.Uint64N(12)
			switch rng.IntN(5) {
			case 4:
				if rng.IntN(3) > 0 {
					continue // raises are rarer than the rest
				}
				n := 1 + rng.Uint64N(2)
				if v := l.raise(l.s.Quota() + n); v != ControlApplied {
					t.Fatalf("seed %d step %d: raise by %d: %s", seed, step, n, v)
				}
				m.raise(n)
			case 0, 1:
				d := l.buy(uid, now)
				got := d.Seq + d.Position
				want, wantNum := m.buy(uid, now)
				if d.Result != want || got != wantNum {
					t.Fatalf("seed %d step %d: buy uid %d: %s %d; model %s %d", seed, step, uid, d.Result, got, want, wantNum)
				}
			case 2:
				seq := rng.Uint64N(spec.Quota + 2)
				lapse := rng.IntN(3) > 0
				kind := ControlPaid
				if lapse {
					kind = ControlLapsed
				}
				v, _ := l.report(kind, seq, 0, now)
				if want := m.report(lapse, seq, now); v != want {
					t.Fatalf("seed %d step %d: %s seq %d: %s; model %s", seed, step, kind, seq, v, want)
				}
			case 3:
				d := l.s.Step(&Attempt{Kind: Lookup, UID: uid, NowUnixNano: now})
				want := None
				if m.seqOf[uid] != 0 {
					want = Won
				} else if m.position[uid] > uint64(m.promoted) {
					want = Waitlisted
				}
				if d.Result != want {
					t.Fatalf("seed %d step %d: lookup uid %d: %s; model %s", seed, step, uid, d.Result, want)
				}
			}
			if live := uint64(len(m.seqOf)); live > m.quota || l.s.Quota() != m.quota {
				t.Fatalf("seed %d: %d holders, quota %d (shard's %d)", seed, live, m.quota, l.s.Quota())
			}
		}
		r, err := l.recover(spec)
		if err != nil {
			t.Fatalf("seed %d: recover: %v", seed, err)
		}
		if r.ChainHead() != l.s.ChainHead() || r.Remaining() != l.s.Remaining() {
			t.Fatalf("seed %d: recovered shard differs", seed)
		}
		for uid := uint64(1); uid <= 12; uid++ {
			a := Attempt{Kind: Lookup, UID: uid, NowUnixNano: now}
			if got, want := r.Step(&a), l.s.Step(&a); got != want {
				t.Fatalf("seed %d uid %d: recovered %+v; live %+v", seed, uid, got, want)
			}
		}
	}
}
