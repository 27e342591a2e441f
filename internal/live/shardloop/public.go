package shardloop

import (
	"sync/atomic"

	"seckill/engine"
)

// Public is the shard's state as the front end may read it from any
// goroutine: written only by the shard's loop, read with atomics. It shows
// what is durable: a control change appears here once its record is.
type Public struct {
	flags      atomic.Uint32
	remaining  atomic.Int64
	quota      atomic.Int64
	end        atomic.Int64 // unix nanoseconds
	waitlisted atomic.Int64
	resv       atomic.Pointer[reservationsBox]
	frozen     atomic.Pointer[engine.Frozen]
	lottery    atomic.Pointer[LotteryPublic]
}

// reservationsBox is a reservation list in force together with the winners
// it leaves out, published as one value so that NotReserved never sees a
// list without its exceptions.
type reservationsBox struct {
	set            engine.Reservations
	winnersOutside map[uint64]struct{} // read-only once published
}

const (
	flagSoldOut uint32 = 1 << iota
	flagFailed
	flagPaused
	flagEnded
)

// Ended reports whether a control record ended the round early
// (engine.ControlEndNow): from then on every buy answers ended.
func (p *Public) Ended() bool { return p.flags.Load()&flagEnded != 0 }

// Quota is the qualifications the shard may issue now: the configured
// quota, or the one the last set-stock record gave.
func (p *Public) Quota() int64 { return p.quota.Load() }

// End is the round's end in force, in unix nanoseconds: the configured
// end, or the one the last set-end record (engine.ControlSetEnd) gave. The
// front end's window check and /stock read it.
func (p *Public) End() int64 { return p.end.Load() }

// Waitlisted is how many users have joined the waitlist: a reload checks a
// new waitlist length against it before the shard decides.
func (p *Public) Waitlisted() int64 { return p.waitlisted.Load() }

// Paused reports whether a control record paused the shard.
func (p *Public) Paused() bool { return p.flags.Load()&flagPaused != 0 }

// Reservations is the reservation list in force (nil when none), for the
// front end's cheap not_reserved check.
func (p *Public) Reservations() engine.Reservations { return p.reservations() }

// NotReserved reports whether the shard, at the list in force, would answer
// a buy by uid not_reserved: uid is not in the list and has not won. A
// winner the list leaves out is not refused here, because the engine
// answers it already_won before it looks at the list (SPEC's order of
// checks); the front end then hands its attempt to the shard. It may be
// called only for a shard whose activity requires a reservation.
func (p *Public) NotReserved(uid uint64) bool {
	b := p.resv.Load()
	if b == nil {
		return true
	}
	if b.set != nil && b.set.Contains(uid) {
		return false
	}
	_, won := b.winnersOutside[uid]
	return !won
}

func (p *Public) reservations() engine.Reservations {
	if b := p.resv.Load(); b != nil {
		return b.set
	}
	return nil
}

// SoldOut reports whether every unit has a durable winner; from then on
// Loop.FrozenWinner answers from a frozen view of the winners.
func (p *Public) SoldOut() bool { return p.flags.Load()&flagSoldOut != 0 }

// Failed reports whether the store failed under this shard (fail closed).
func (p *Public) Failed() bool { return p.flags.Load()&flagFailed != 0 }

// Remaining is the quota minus the durable wins.
func (p *Public) Remaining() int64 { return p.remaining.Load() }

func (p *Public) set(flag uint32) { p.setFlag(flag, true) }

func (p *Public) setFlag(flag uint32, on bool) {
	for {
		old := p.flags.Load()
		v := old &^ flag
		if on {
			v |= flag
		}
		if old == v || p.flags.CompareAndSwap(old, v) {
			return
		}
	}
}
