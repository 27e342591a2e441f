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
		s.countRaiseRelease(c.TimeUnixNano)
		s.appendWin(uid, c.TimeUnixNano, netip.Addr{})
		s.econ.head++
	}
}

// countRaiseRelease counts a raise's win in its second as Apply counts
// every stored win, so the live shard and a recovered one agree on the
// release rate's count.
func (s *Shard) countRaiseRelease(t int64) {
	if s.spec.ReleasePerSec > 0 {
		s.releaseIn(t)
		s.releasedThisSec++
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

// appliedWaiterWin moves the waitlist's head past a stored win's holder
// when it was the first waiting user (checkWaiterWin passed).
func (s *Shard) appliedWaiterWin(uid uint64) {
	if s.econ.head < s.econ.joined() && s.econ.waiting[s.econ.head] == uid {
		s.econ.head++
	}
}
