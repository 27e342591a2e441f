package engine

import (
	"errors"
	"fmt"
	"net/netip"
)

// A stock raise while users wait (issue 11). The waiting users were told
// they are in line, so the qualifications a ControlSetStock adds go to them
// first, in waitlist order, and only the rest opens to new buyers. Each is
// an ordinary win — a new seq, its ticket signed for the waiting user, no
// client address, the set_stock record's time — decided with the record
// (Shard.Control) and persisted in the same commit, right after it; the
// mall gets it like any win (idempotency key activity/sku/seq), and the
// user's /result answers won. Recovery and the audit Apply it like any
// win: Apply moves the waitlist's head past its holder, and refuses a win
// that would skip a waiting user (ErrWaitlistOrder), so "waitlist order
// kept" covers raises as it covers lapses.
//
// Like a lapse's promotion, a raise's win is not counted against
// release_per_sec: the rate paces how fast places open to the public
// (the seed's 放号), and these users were let in before, when they joined
// the waitlist. Counting them would let one raise with more waiters than
// the rate break the audit's release_rate check, or hold the new places
// back from the users in line.

// ErrWaitlistOrder: a stored win goes to someone else while a waitlisted
// user waits for a qualification.
var ErrWaitlistOrder = errors.New("engine: a win skips a waiting user")

// afterStock issues the qualifications a raise added to the users who
// wait, first in line first, until the quota or the waitlist runs out. The
// caller (the shard loop) takes the new wins after Sold's value before
// Control and persists them in the record's commit.
func (s *Shard) afterStock(c *Control) {
	if c.Kind != ControlSetStock {
		return
	}
	for s.Sold() < s.quota && s.econ.head < s.econ.joined() {
		uid := s.econ.waiting[s.econ.head]
		s.appendWin(uid, c.TimeUnixNano, netip.Addr{})
		s.econ.head++
	}
}

// checkWaiterWin reports a stored win that skips a waiting user: while
// someone waits, only the first of them may get a new seq (a raise's).
func (s *Shard) checkWaiterWin(w *Win) error {
	if s.econ.head == s.econ.joined() {
		return nil
	}
	if first := s.econ.waiting[s.econ.head]; w.UID != first {
		return fmt.Errorf("%w: %s/%s seq %d to uid %d while waitlist position %d (uid %d) waits", ErrWaitlistOrder, w.Activity, w.SKU, w.Seq, w.UID, s.econ.head+1, first)
	}
	return nil
}

// ServesWaiter reports whether a win for uid would go to the first
// waiting user: a stock raise's win, which the release rate does not
// count. The audit asks it before it applies a stored win.
func (s *Shard) ServesWaiter(uid uint64) bool {
	return s.econ.head < s.econ.joined() && s.econ.waiting[s.econ.head] == uid
}

// appliedWaiterWin moves the waitlist's head past a stored win's holder
// when it was the first waiting user (checkWaiterWin passed).
func (s *Shard) appliedWaiterWin(uid uint64) {
	if s.ServesWaiter(uid) {
		s.econ.head++
	}
}
