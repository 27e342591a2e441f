package engine

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// The fair opening (SPEC, "Fair opening") is four kinds of control record in
// a SKU's control strand, so it is hash-chained, ordered with the wins, and
// applied by recovery and the audit at the place the live shard decided it:
//
//   - ControlLotteryCommit puts the lottery in force before the window opens:
//     Num is the window in nanoseconds from the activity's start, Digest the
//     commitment SHA-256(seed), Data the name of the promised beacon (empty:
//     none promised).
//   - ControlLotteryEntrants records entrants as they arrive, committed with
//     the batch that decided them: Num uids, Data their 8-byte big-endian
//     values (at most EntrantsPerRecord per record).
//   - ControlLotteryBeacon records the beacon value posted before the window
//     closed: Data.
//   - ControlLotteryDraw is the draw: Digest is the seed itself (revealed),
//     Data the beacon in force (empty when none was posted: a promised beacon
//     that is missing is thereby recorded), Num the number of entrants drawn.
//     The winner records it produces follow it in the same commit: wins
//     AfterWins+1 .. AfterWins+k are the first k of DrawOrder, k = min(units
//     left, entrants).
//
// Live, a shard learns its seed (ArmLottery) before the commitment is
// recorded; nobody else learns it before the draw record.

// EntrantsPerRecord is how many uids one ControlLotteryEntrants record holds:
// 128 × 8 bytes = MaxControlData. A batch of N entrants is ⌈N/128⌉ records,
// so a million entrants cost the log some eight thousand records, not a
// million.
const EntrantsPerRecord = MaxControlData / 8

// DefaultMaxEntrants bounds the entrants of one SKU's lottery when
// ArmLottery is given 0: a million phones at the opening second is the
// design load, and the engine and its loop hold about 70 bytes per entrant
// (docs/BENCHMARKS.md, "Fair opening"), so a SKU's lottery stays near
// 75 MB (plus, live, the held connections). Attempts over it get busy until the window closes.
const DefaultMaxEntrants = 1 << 20

// lottery is a shard's fair opening, put in force by a ControlLotteryCommit.
type lottery struct {
	closeUnixNano int64 // start + window: entrants before, first-come after
	commitment    [32]byte
	promise       []byte // the promised beacon's name; empty: none

	entrants []uint64            // recorded entrants, in record order
	isIn     map[uint64]struct{} // recorded and pending entrants
	pending  []uint64            // entered, not in a record yet (FlushEntrants)
	beacon   []byte

	drawn      bool
	drawnCount int      // entrants drawn
	seed       [32]byte // revealed by the draw (live: known from ArmLottery)
	drawAt     int64
	winners    []uint64 // the first k of the order, the draw's wins in seq order
	next       []uint64 // live, until Draw has used them: the order after the winners, as far as the waitlist goes
	firstWin   uint64   // seq of winners[0]
}

// lotteryArm is what the live assembly tells a shard of its lottery; the
// log never holds it before the draw.
type lotteryArm struct {
	seed        [32]byte
	armed       bool
	maxEntrants int
}

// ArmLottery gives the shard its lottery seed (secret until the draw) and
// the bound on entrants (0: DefaultMaxEntrants). Only the live shard needs
// it; recovery and the audit read the seed from the draw record.
func (s *Shard) ArmLottery(seed [32]byte, maxEntrants int) {
	if maxEntrants <= 0 {
		maxEntrants = DefaultMaxEntrants
	}
	s.arm = lotteryArm{seed: seed, armed: true, maxEntrants: maxEntrants}
}

// LotteryState is what a shard shows of its lottery: the commitment from the
// commit record on, the seed and beacon once drawn.
type LotteryState struct {
	InForce       bool
	CloseUnixNano int64
	Commitment    [32]byte
	Promise       string
	Entrants      int
	Drawn         bool
	Seed          [32]byte
	Beacon        []byte
	Winners       int
}

// Lottery reports the shard's lottery (InForce false when none).
func (s *Shard) Lottery() LotteryState {
	l := s.lot
	if l == nil {
		return LotteryState{}
	}
	st := LotteryState{InForce: true, CloseUnixNano: l.closeUnixNano, Commitment: l.commitment, Promise: string(l.promise),
		Entrants: len(l.isIn), Drawn: l.drawn, Beacon: l.beacon}
	if l.drawn {
		st.Seed, st.Winners, st.Entrants = l.seed, len(l.winners), l.drawnCount
	}
	return st
}

// LotteryDue reports whether the window has closed at now and the draw has
// not happened: the driver draws (a ControlLotteryDraw) before it steps any
// attempt decided at now.
func (s *Shard) LotteryDue(now int64) bool {
	return s.lot != nil && !s.lot.drawn && now >= s.lot.closeUnixNano && !s.failed
}

// stepLottery decides a buy while a lottery is in force and not drawn:
// inside the window it enters the uid (Entered; the driver holds the reply
// until the draw is durable), after it — the draw not made yet — busy for a
// moment. ok is false once drawn: first come, first served.
func (s *Shard) stepLottery(a *Attempt) (Decision, bool) {
	l := s.lot
	if l == nil || l.drawn {
		return Decision{}, false
	}
	if a.NowUnixNano >= l.closeUnixNano {
		// The driver draws before stepping attempts of a closed window;
		// a driver that does not gets busy, never a first-come win.
		return Decision{Result: Busy, RetryMs: 1}, true
	}
	if !s.arm.armed {
		// A lottery in force whose seed this shard does not hold cannot be
		// drawn as committed.
		return Decision{Result: Unavailable}, true
	}
	if _, in := l.isIn[a.UID]; in {
		return Decision{Result: Entered}, true
	}
	if len(l.isIn) >= s.arm.maxEntrants {
		return Decision{Result: Busy, RetryMs: (l.closeUnixNano - a.NowUnixNano + 1e6 - 1) / 1e6}, true
	}
	if s.spec.LimitActivity {
		// Entering holds the activity claim until the draw, so a uid is an
		// entrant of one SKU of the activity at most; the draw gives the
		// losers' claims back.
		if holder, ok := s.claims.Claim(a.UID, s.spec.Index); !ok && holder != s.spec.Index {
			return Decision{Result: LimitReached}, true
		}
	}
	l.isIn[a.UID] = struct{}{}
	l.pending = append(l.pending, a.UID)
	return Decision{Result: Entered}, true
}

// Draw makes the draw when the window has closed at now and it has not
// been made: the draw record (the seed revealed, the beacon in force, the
// entrant count), the winners' wins — the first min(units left, entrants)
// of DrawOrder — and, once every unit is issued, the next `waitlist` of
// the order on the waitlist (JoinWaitlist). It reports whether it drew.
// The driver persists the records (TakeRecords) and the wins (WinAt) in
// one commit, and answers no entrant before that commit is durable.
func (s *Shard) Draw(now int64) bool {
	if !s.LotteryDue(now) || !s.arm.armed {
		return false
	}
	l := s.lot
	if len(l.pending) > 0 {
		panic(fmt.Sprintf("engine: %s/%s draws with entrants not flushed", s.spec.Activity, s.spec.SKU))
	}
	c := Control{Kind: ControlLotteryDraw, Source: SourceSale, TimeUnixNano: now,
		Digest: s.arm.seed, Data: append([]byte(nil), l.beacon...), Num: uint64(len(l.entrants))}
	s.decide(&c)
	for _, uid := range l.winners {
		s.appendWin(uid, now, netip.Addr{})
	}
	if s.Sold() >= s.quota {
		for _, uid := range l.next {
			s.JoinWaitlist(uid, now)
		}
	}
	l.next = nil
	return true
}

// FlushEntrants turns the entrants entered since the last flush into
// ControlLotteryEntrants records, appended to dst complete (chained, hashed)
// and put in force, with time now. The driver calls it before each control
// change it steps and at the end of each batch, so entrants are recorded in
// the order they were decided relative to other control records, and
// persists the records with the batch.
func (s *Shard) FlushEntrants(dst []Control, now int64) []Control {
	l := s.lot
	if l == nil {
		return dst
	}
	for len(l.pending) > 0 {
		n := min(len(l.pending), EntrantsPerRecord)
		data := make([]byte, 8*n)
		for i, uid := range l.pending[:n] {
			binary.BigEndian.PutUint64(data[8*i:], uid)
		}
		l.pending = l.pending[n:]
		c := Control{Kind: ControlLotteryEntrants, Source: SourceSale, TimeUnixNano: now, Num: uint64(n), Data: data}
		s.complete(&c)
		s.applyControl(&c)
		dst = append(dst, c)
	}
	l.pending = l.pending[:0]
	return dst
}

// EntrantsOf decodes the uids of a ControlLotteryEntrants record.
func EntrantsOf(c *Control) []uint64 {
	out := make([]uint64, len(c.Data)/8)
	for i := range out {
		out[i] = binary.BigEndian.Uint64(c.Data[8*i:])
	}
	return out
}

// refuseLottery reports whether a lottery control change is not valid here
// (ControlRefused) or leaves the shard as it is (ControlUnchanged); zero
// when it may be applied. A draw gets its seed, beacon and count here.
func (s *Shard) refuseLottery(c *Control) ControlVerdict {
	l := s.lot
	switch c.Kind {
	case ControlLotteryCommit:
		switch {
		case l != nil && l.commitment == c.Digest && l.closeUnixNano == s.spec.StartUnixNano+int64(c.Num) && string(l.promise) == string(c.Data):
			return ControlUnchanged
		case l != nil || c.Num == 0 || int64(c.Num) < 0:
			return ControlRefused // a lottery is committed once
		}
	case ControlLotteryEntrants:
		return ControlRefused // only FlushEntrants makes them
	case ControlLotteryBeacon:
		if l == nil || l.drawn || c.TimeUnixNano >= l.closeUnixNano || len(c.Data) == 0 || len(c.Data) > MaxBeaconBytes {
			return ControlRefused
		}
		if string(l.beacon) == string(c.Data) {
			return ControlUnchanged
		}
	case ControlLotteryDraw:
		return ControlRefused // only the sale draws (Draw)
	}
	return 0
}

// applyLottery puts a lottery record in force: the one place they change
// the shard, live and at recovery alike. A draw derives its winners here
// (DrawOrder); the live Control then appends their wins, recovery Applies
// the stored ones.
func (s *Shard) applyLottery(c *Control) {
	switch c.Kind {
	case ControlLotteryCommit:
		s.lot = &lottery{
			closeUnixNano: s.spec.StartUnixNano + int64(c.Num),
			commitment:    c.Digest,
			promise:       append([]byte(nil), c.Data...),
			isIn:          map[uint64]struct{}{},
		}
	case ControlLotteryEntrants:
		l := s.lotteryOf(c)
		for i := 0; i+8 <= len(c.Data); i += 8 {
			uid := binary.BigEndian.Uint64(c.Data[i:])
			l.entrants = append(l.entrants, uid)
			if _, in := l.isIn[uid]; !in {
				l.isIn[uid] = struct{}{}
				if s.spec.LimitActivity {
					s.claims.Claim(uid, s.spec.Index) // recovery: the live shard held it
				}
			}
		}
	case ControlLotteryBeacon:
		s.lotteryOf(c).beacon = append([]byte(nil), c.Data...)
	case ControlLotteryDraw:
		l := s.lotteryOf(c)
		l.drawn, l.seed, l.drawAt = true, c.Digest, c.TimeUnixNano
		order := DrawOrder(l.entrants, c.Digest, c.Data)
		k := min(uint64(len(order)), s.quota-min(s.Sold(), s.quota))
		l.winners, l.firstWin = order[:k:k], s.Sold()+1
		if s.arm.armed {
			// Live: the next `waitlist` of the order join the waitlist
			// (Draw); recovery reads their records instead.
			l.next = order[k:min(uint64(len(order)), k+s.waitlist)]
		}
		if s.spec.LimitActivity {
			for _, uid := range order[k:] {
				s.claims.Release(uid, s.spec.Index)
			}
		}
		// The entrants are done with: the winners are all that stays.
		l.drawnCount = len(l.entrants)
		l.entrants, l.pending, l.isIn = nil, nil, nil
	}
}

// lotteryOf returns the lottery a record after the commit belongs to; a
// store whose lottery records come without a commit gets an empty one
// (never in force for attempts), so the audit can go on and report it.
func (s *Shard) lotteryOf(c *Control) *lottery {
	if s.lot == nil {
		s.lot = &lottery{closeUnixNano: s.spec.StartUnixNano, isIn: map[uint64]struct{}{}}
	}
	if s.lot.isIn == nil {
		s.lot.isIn = map[uint64]struct{}{}
	}
	return s.lot
}

// DrawWinners is the draw's outcome: the winners in seq order and the seq of
// the first (nil before the draw).
func (s *Shard) DrawWinners() (winners []uint64, firstSeq uint64) {
	if s.lot == nil || !s.lot.drawn {
		return nil, 0
	}
	return s.lot.winners, s.lot.firstWin
}
