package engine

import (
	"crypto/hmac"
	"errors"
	"fmt"
)

// The control kinds of the sale economics (waitlist.go has the table of
// their arguments). Stored in the log: never renumber.
const (
	// ControlWaitlisted gives UID waitlist position Num.
	ControlWaitlisted ControlKind = 7
	// ControlPaid: the mall reports seq Num, held by UID, paid. It can
	// never lapse after this.
	ControlPaid ControlKind = 8
	// ControlLapsed: the mall reports seq Num, held by UID, not paid
	// within pay_within. Its unit passes on (a ControlPromoted follows when
	// someone waits).
	ControlLapsed ControlKind = 9
	// ControlPromoted issues the vacant seq Num again, to UID; Digest holds
	// the ticket, the lapsed uid and the round (Control.Promotion).
	ControlPromoted ControlKind = 10
)

// Why a qualification report is refused (Shard.RefusalReason), each naming
// the problem for the mall.
var (
	ErrNeverIssued     = errors.New("engine: seq was never issued")
	ErrPaidCannotLapse = errors.New("engine: a paid qualification cannot lapse")
	ErrLapsedNotPaid   = errors.New("engine: the qualification lapsed; it cannot be paid")
	ErrNotHolder       = errors.New("engine: uid does not hold the seq")
	ErrSaleDecides     = errors.New("engine: waitlist places and promotions are decided by the sale, not reported")
)

// isReport reports whether k is a fate the mall reports.
func isReport(k ControlKind) bool { return k == ControlPaid || k == ControlLapsed }

// judgeReport decides a paid or lapsed report from the mall before it is
// recorded. c.Num names the seq; c.UID, when not zero, the holder the mall
// means (so that a late retry for an earlier round cannot lapse the seq's
// new holder); Control fills in the holder. A second report of the same
// fate is ControlUnchanged; a report that does not fit is ControlRefused
// with its reason kept for RefusalReason.
func (s *Shard) judgeReport(c *Control) (ControlVerdict, error) {
	seq := c.Num
	if seq == 0 || seq > s.Sold() {
		return ControlRefused, fmt.Errorf("%w: seq %d (issued: 1..%d)", ErrNeverIssued, seq, s.Sold())
	}
	f := s.econ.fates[seq]
	holder := s.wins[seq-1].uid
	earlier := c.UID != 0 && c.UID != holder && s.econ.lapsed[c.UID] == seq
	switch {
	case c.UID != 0 && c.UID != holder && !earlier:
		return ControlRefused, fmt.Errorf("%w: uid %d, seq %d", ErrNotHolder, c.UID, seq)
	case c.Kind == ControlLapsed && (f.vacant || earlier):
		return ControlUnchanged, nil
	case c.Kind == ControlPaid && (f.vacant || earlier):
		return ControlRefused, fmt.Errorf("%w: seq %d", ErrLapsedNotPaid, seq)
	case c.Kind == ControlPaid && f.paid:
		return ControlUnchanged, nil
	case c.Kind == ControlLapsed && f.paid:
		return ControlRefused, fmt.Errorf("%w: seq %d", ErrPaidCannotLapse, seq)
	}
	c.UID = holder
	return ControlApplied, nil
}

// afterReport decides what a recorded lapse sets off: the first waitlisted
// user gets the seq (a promoted record, left for TakeRecords).
func (s *Shard) afterReport(c *Control) {
	if c.Kind == ControlLapsed && s.econ.head < s.econ.joined() {
		s.reissue(c.Num, s.econ.waiting[s.econ.head], c.TimeUnixNano)
	}
}

// RefusalReason says why the last Control was ControlRefused, when a
// qualification report was; nil otherwise.
func (s *Shard) RefusalReason() error { return s.econ.refusal }

// CheckEconomics reports why a stored record of an economics kind does not
// fit the shard where it stands: recovery refuses such a store and the
// audit names the fault. It is what replay's checks rest on: a waitlist
// place only once the quota is issued and in order, no uid holding two, a
// promotion only of a lapsed seq, to the first waiting user, right after a
// lapse while users wait, and nothing lapsed or promoted after paid.
func (s *Shard) CheckEconomics(c *Control) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s/%s control %d (%s): %s", ErrBadControl, c.Activity, c.SKU, c.Seq, c.Kind, fmt.Sprintf(format, args...))
	}
	if owed := s.econ.owed; owed != 0 && (c.Kind != ControlPromoted || c.Num != owed) {
		return bad("seq %d lapsed while users waited, and the record after the lapse is not its promotion", owed)
	}
	switch c.Kind {
	case ControlWaitlisted:
		switch {
		case s.Sold() < s.quota || len(s.econ.free) > 0:
			return bad("waitlist place %d while qualifications were left", c.Num)
		case c.Num != s.econ.joined()+1:
			return bad("waitlist position %d out of order (next is %d)", c.Num, s.econ.joined()+1)
		case c.Num > s.waitlist:
			return bad("waitlist position %d beyond the waitlist of %d", c.Num, s.waitlist)
		}
		return s.checkNewHolder(c.UID, bad)
	case ControlPaid, ControlLapsed:
		if c.Num == 0 || c.Num > s.Sold() {
			return bad("seq %d was never issued", c.Num)
		}
		f := s.econ.fates[c.Num]
		switch {
		case f.vacant:
			return bad("seq %d had lapsed already", c.Num)
		case c.UID != s.wins[c.Num-1].uid:
			return bad("uid %d does not hold seq %d", c.UID, c.Num)
		case f.paid:
			return bad("seq %d was paid already", c.Num)
		}
	case ControlPromoted:
		if c.Num == 0 || c.Num > s.Sold() || !s.econ.fates[c.Num].vacant {
			return bad("seq %d promoted without a lapse before it", c.Num)
		}
		ticket, from, round := c.Promotion()
		want := s.signer.Sign(s.spec.Activity, s.spec.SKU, c.Num, c.UID)
		switch {
		case from != s.wins[c.Num-1].uid:
			return bad("promoted_from %d, but seq %d lapsed under uid %d", from, c.Num, s.wins[c.Num-1].uid)
		case round != s.econ.fates[c.Num].round+1:
			return bad("round %d, want %d", round, s.econ.fates[c.Num].round+1)
		case !hmac.Equal(ticket[:], want[:]):
			return bad("ticket does not verify")
		case s.econ.head < s.econ.joined() && c.UID != s.econ.waiting[s.econ.head]:
			return bad("promoted uid %d ahead of waitlist position %d (uid %d)", c.UID, s.econ.head+1, s.econ.waiting[s.econ.head])
		case s.econ.head == s.econ.joined() && (len(s.econ.free) == 0 || s.econ.free[0] != c.Num):
			return bad("seq %d issued again with nobody waiting, but it is not the next unit back on sale", c.Num)
		}
		if s.econ.head < s.econ.joined() {
			return nil // the waiting user's claim and holdings were checked when they joined
		}
		return s.checkNewHolder(c.UID, bad)
	}
	return nil
}

// checkNewHolder reports a uid that already holds something of the shard
// (a seq, a waitlist place, a lapsed qualification) or another SKU's claim.
func (s *Shard) checkNewHolder(uid uint64, bad func(string, ...any) error) error {
	_, won := s.byUID[uid]
	_, placed := s.econ.position[uid]
	_, lapsed := s.econ.lapsed[uid]
	if won || placed || lapsed {
		return bad("uid %d already holds a qualification, a waitlist place or a lapsed one", uid)
	}
	if s.spec.LimitActivity {
		if holder, held := s.claims.Holder(uid); held && holder != s.spec.Index {
			return bad("uid %d holds the activity's claim in shard %d", uid, holder)
		}
	}
	return nil
}

// applyEconomics puts a record of an economics kind in force. It trusts the
// record (Control decided it, or ApplyControl checked it); an audit shard
// adopting a faulty one gets a best effort that never panics.
func (s *Shard) applyEconomics(c *Control) {
	s.unshare()
	e := &s.econ
	switch c.Kind {
	case ControlWaitlisted:
		e.waiting = append(e.waiting, c.UID)
		if e.position == nil {
			e.position = map[uint64]uint64{}
		}
		e.position[c.UID] = c.Num
		s.claim(c.UID)
	case ControlPaid:
		s.setFate(c.Num, func(f *fate) { f.paid = true })
	case ControlLapsed:
		if c.Num == 0 || c.Num > s.Sold() {
			return
		}
		s.setFate(c.Num, func(f *fate) { f.vacant = true })
		uid := s.wins[c.Num-1].uid
		if s.byUID[uid] == c.Num {
			delete(s.byUID, uid)
		}
		if e.lapsed == nil {
			e.lapsed = map[uint64]uint64{}
		}
		e.lapsed[uid] = c.Num
		if e.head < e.joined() {
			e.owed = c.Num
		}
		if e.head == e.joined() && c.TimeUnixNano < s.end && !s.ended {
			e.free = append(e.free, c.Num) // nobody waits, the round is open: back on sale
		}
	case ControlPromoted:
		if c.Num == 0 || c.Num > s.Sold() {
			return
		}
		ticket, _, round := c.Promotion()
		e.owed = 0
		w := &s.wins[c.Num-1]
		w.uid, w.ticket, w.timeUnixNano, w.client = c.UID, ticket, c.TimeUnixNano, [16]byte{}
		s.byUID[c.UID] = c.Num
		s.setFate(c.Num, func(f *fate) { f.vacant, f.round = false, round })
		if pos, ok := e.waitingAt(c.UID); ok && pos == e.head+1 {
			e.head++
		} else if len(e.free) > 0 && e.free[0] == c.Num {
			e.free = e.free[1:]
		}
		s.claim(c.UID)
	}
}

func (s *Shard) setFate(seq uint64, change func(*fate)) {
	if s.econ.fates == nil {
		s.econ.fates = map[uint64]fate{}
	}
	f := s.econ.fates[seq]
	change(&f)
	s.econ.fates[seq] = f
}
