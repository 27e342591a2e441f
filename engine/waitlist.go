package engine

import (
	"encoding/binary"
	"fmt"
	"maps"
)

// The sale economics of a SKU (the seed's WaitList and cart percentage):
// the quota may overbook the stock (quota_percent up to 1000), because most
// qualifications are never paid; once every qualification is issued, the
// next Spec.Waitlist eligible users are waitlisted; and when the mall
// reports a qualification lapsed (qualification.go), its unit passes to the
// first user still waiting, or, with nobody waiting and the round open,
// returns to sale.
//
// Every step is a control record in the SKU's control strand, so it is
// durable and hash-chained before anyone is told, and it sits in log order
// with the wins:
//
//	kind        source     num       uid          digest
//	waitlisted  sale       position  the user     zero
//	paid        operator   seq       its holder   zero
//	lapsed      operator   seq       its holder   zero
//	promoted    sale       seq       new holder   ticket(16) ‖ promoted_from uid(8) ‖ round(8)
//
// A promoted record is the seq issued again: the same seq, a new ticket
// (signed for the new holder, so unforgeable like a win's), the uid whose
// qualification lapsed, and the round (1 for the first re-issue of the seq,
// and so on: the mall's idempotency key is activity/sku/seq/rN). It goes to
// the first waitlisted user when someone waits, else to the next buyer
// while the round is open.
//
// Choices where the SPEC is silent: a waitlisted user's retry (and /result)
// answers waitlisted with the same position, and no new record; positions
// are fixed when given (the first still waiting is the lowest position not
// yet promoted). A user whose qualification lapsed has had their unit under
// the purchase limit: their later buys answer limit_reached and their
// /result none. Under limit = "activity" a waitlisted user holds the
// activity's claim, as a winner does, so they cannot be waitlisted or win
// elsewhere and a promotion never gives anyone a second unit.
type economics struct {
	waiting  []uint64          // uids in waitlist order: waiting[i] holds position i+1
	position map[uint64]uint64 // uid → its waitlist position, kept after its promotion
	head     uint64            // positions 1..head have been promoted
	free     []uint64          // lapsed seqs back on sale, in lapse order
	fates    map[uint64]fate   // seq → what became of it, for seqs the mall reported on
	lapsed   map[uint64]uint64 // uid → the seq that lapsed under it
	pending  []Control         // records decided since the driver last took them
	refusal  error             // why Control last refused a report
	// owed is a seq that lapsed while users waited: the engine stores its
	// promotion right after the lapse, in the same commit, so the next
	// record must be that promotion (CheckEconomics).
	owed uint64
}

// fate is what the mall reported of one seq.
type fate struct {
	round  uint64 // how many times the seq was issued again
	paid   bool
	vacant bool // lapsed, not issued again yet
}

// SourceSale marks a record the sale itself decided: a buyer's waitlist
// place, a lapsed unit issued again.
const SourceSale ControlSource = 2

// joined is how many users were ever waitlisted.
func (e *economics) joined() uint64 { return uint64(len(e.waiting)) }

// waitingAt reports the position of uid if it waits now.
func (e *economics) waitingAt(uid uint64) (uint64, bool) {
	pos, ok := e.position[uid]
	return pos, ok && pos > e.head
}

// standing answers a buy from a user who holds a waitlist place or whose
// qualification lapsed.
func (e *economics) standing(uid uint64) (Decision, bool) {
	if _, ok := e.lapsed[uid]; ok {
		return Decision{Result: LimitReached}, true
	}
	if pos, ok := e.waitingAt(uid); ok {
		return Decision{Result: Waitlisted, Position: pos}, true
	}
	return Decision{}, false
}

// clone gives the economics their own maps, when a Frozen view shares them.
func (e *economics) clone() {
	e.position = maps.Clone(e.position)
	e.lapsed = maps.Clone(e.lapsed)
}

// stepIssued decides a buy once every seq of the quota has been issued: a
// lapsed unit back on sale is issued again (a promoted record), else the
// waitlist takes the user while it has room, else sold_out.
func (s *Shard) stepIssued(a *Attempt) Decision {
	if len(s.econ.free) == 0 {
		return s.JoinWaitlist(a.UID, a.NowUnixNano)
	}
	if d, busy := s.releaseBusy(a.NowUnixNano); busy {
		return d
	}
	if !s.claim(a.UID) {
		return Decision{Result: LimitReached}
	}
	s.countRelease()
	seq := s.econ.free[0]
	s.reissue(seq, a.UID, a.NowUnixNano)
	d := s.decisionFor(seq)
	d.Result, d.Record = Won, RecordControl
	return d
}

// JoinWaitlist gives uid the next waitlist place: a waitlisted record the
// driver takes with TakeRecords and persists before it answers. It answers
// sold_out when the waitlist is full, limit_reached when another SKU of the
// activity holds uid's claim. The caller has made every check before
// sold-out (window, already won, reservation); the opening lottery calls it
// for the entrants drawn after the quota. Calling it while a qualification
// is still to be issued is a broken invariant: it panics.
func (s *Shard) JoinWaitlist(uid uint64, nowUnixNano int64) Decision {
	if s.Sold() < s.quota || len(s.econ.free) > 0 {
		panic(fmt.Sprintf("engine: %s/%s waitlist joined with qualifications left", s.spec.Activity, s.spec.SKU))
	}
	if s.econ.joined() >= s.waitlist {
		return Decision{Result: SoldOut}
	}
	if !s.claim(uid) {
		return Decision{Result: LimitReached}
	}
	pos := s.econ.joined() + 1
	s.decide(&Control{Kind: ControlWaitlisted, Source: SourceSale, TimeUnixNano: nowUnixNano, Num: pos, UID: uid})
	return Decision{Result: Waitlisted, Record: RecordControl, Position: pos}
}

// reissue issues the vacant seq to uid: a promoted record, decided and
// applied here and left for TakeRecords.
func (s *Shard) reissue(seq, uid uint64, now int64) {
	c := Control{Kind: ControlPromoted, Source: SourceSale, TimeUnixNano: now, Num: seq, UID: uid}
	ticket := s.signer.Sign(s.spec.Activity, s.spec.SKU, seq, uid)
	c.Digest = promotionDigest(ticket, s.wins[seq-1].uid, s.econ.fates[seq].round+1)
	s.decide(&c)
}

// decide completes a record the sale itself makes, puts it in force and
// leaves it for the driver (TakeRecords).
func (s *Shard) decide(c *Control) {
	s.complete(c)
	s.applyControl(c)
	s.econ.pending = append(s.econ.pending, *c)
}

// TakeRecords appends to dst the control records the shard decided since
// the last call — waitlist places and re-issued seqs from Step, the
// promotion that follows a lapse from Control — in their order, and
// forgets them. The driver persists them with the batch they were decided
// in, before it answers.
func (s *Shard) TakeRecords(dst []Control) []Control {
	if len(s.econ.pending) == 0 {
		return dst
	}
	dst = append(dst, s.econ.pending...)
	clear(s.econ.pending)
	s.econ.pending = s.econ.pending[:0]
	return dst
}

// Waitlisted is how many users were ever waitlisted, and how many of them
// have been promoted.
func (s *Shard) Waitlisted() (joined, promoted uint64) { return s.econ.joined(), s.econ.head }

// promotionDigest packs a promoted record's arguments into its Digest.
func promotionDigest(ticket [TicketBytes]byte, from, round uint64) [32]byte {
	var d [32]byte
	copy(d[:TicketBytes], ticket[:])
	binary.BigEndian.PutUint64(d[16:], from)
	binary.BigEndian.PutUint64(d[24:], round)
	return d
}

// Promotion unpacks a promoted record: the new ticket, the uid whose
// qualification lapsed, and the round (1 for the seq's first re-issue).
func (c *Control) Promotion() (ticket [TicketBytes]byte, from, round uint64) {
	copy(ticket[:], c.Digest[:TicketBytes])
	return ticket, binary.BigEndian.Uint64(c.Digest[16:]), binary.BigEndian.Uint64(c.Digest[24:])
}
