package replay

import (
	"fmt"
	"sort"

	"seckill/engine"
	"seckill/internal/auditlog"
)

// skuState is the audit of the SKU whose records are being read.
type skuState struct {
	act    *actState
	sku    string
	index  int32 // among the activity's SKUs with records, in key order
	shard  *engine.Shard
	head   *headState // nil: no head marker
	row    *SKURow
	counts secondCounter

	lastSeq  uint64 // key seq of the last record that decoded
	lastHash [32]byte
	lastWin  Offense // the last record that decoded, for findings about the tail

	// pending is a record that did not decode; whether it is a partly
	// written tail or damage depends on whether more records follow.
	pending *pendingRecord
	// unreadable is the seq of a damaged record: the record after it is
	// not blamed for a gap or a prev hash nobody can read.
	unreadable uint64

	// The config in force at the last win looked at, and its item.
	cfgIndex int
	item     *auditlog.Item
}

type pendingRecord struct {
	seq uint64
	err string
}

func (a *auditor) startSKU(activity, sku string) *skuState {
	act := a.act(activity)
	s := &skuState{
		act:      act,
		sku:      sku,
		index:    int32(len(act.skus)),
		shard:    newShard(a.signer, act, sku),
		head:     a.heads[skuKey{activity, sku}],
		row:      a.row(activity, sku),
		cfgIndex: -1,
	}
	act.skus = append(act.skus, sku)
	if s.head != nil {
		s.head.seen = true
	}
	a.cur = s
	return s
}

// configAt returns the config record of the SKU's activity in force at t
// (the latest whose time is not after t) and its item for the SKU, either of
// which may be nil. Wins come in seq order, so the last answer almost always
// still holds.
func (s *skuState) configAt(t int64) (*auditlog.Config, *auditlog.Item) {
	h := s.act.history
	i := s.cfgIndex
	if i < 0 || h[i].TimeUnixNano > t || (i+1 < len(h) && h[i+1].TimeUnixNano <= t) {
		i = sort.Search(len(h), func(j int) bool { return h[j].TimeUnixNano > t }) - 1
		s.cfgIndex, s.item = i, nil
		if i >= 0 {
			s.item = h[i].Item(s.sku)
		}
	}
	if i < 0 {
		return nil, nil
	}
	return &h[i], s.item
}

// win audits one record that decoded. pos is the seq of its key; misplaced
// is set when the record's own activity, SKU or seq differ from the key's.
func (a *auditor) win(s *skuState, w *engine.Win, pos uint64, misplaced bool) {
	o := Offense{Activity: s.act.id, SKU: s.sku, Seq: pos, UID: w.UID, TimeUnixNano: w.TimeUnixNano}
	var fault engine.Fault
	if misplaced {
		fault = s.shard.Check(w)
	} else if err := s.shard.Apply(w); err != nil {
		if fault = s.shard.Check(w); fault == 0 {
			// Check mirrors Apply; if they ever disagree, say so.
			a.offend(CheckChain, withReason(o, "engine refused the record: "+err.Error()))
		}
	}
	if fault != 0 {
		a.faults(s, w, pos, fault, o)
		anchor := *w
		anchor.Seq = pos
		vouched := s.head != nil && pos <= s.head.Seq
		if vouched || pos-s.shard.Sold() <= maxAdoptGap {
			s.shard.Adopt(&anchor)
		}
	}
	if s.head != nil && pos > s.head.Seq {
		a.offend(CheckDigest, withReason(o, fmt.Sprintf("beyond the head marker (seq %d): not written by the engine", s.head.Seq)))
	}
	a.inForce(s, w, pos, o)

	r := s.row
	if r.Winners == 0 || w.TimeUnixNano < r.FirstWinUnixNano {
		r.FirstWinUnixNano = w.TimeUnixNano
	}
	if r.Winners == 0 || w.TimeUnixNano > r.LastWinUnixNano {
		r.LastWinUnixNano = w.TimeUnixNano
	}
	r.Winners++
	s.lastSeq, s.lastHash, s.lastWin = pos, w.Hash, o
}

// faults reports what engine.Shard.Check found in a record.
func (a *auditor) faults(s *skuState, w *engine.Win, pos uint64, f engine.Fault, o Offense) {
	next := s.shard.Sold() + 1
	afterDamage := s.unreadable != 0 && s.unreadable+1 == pos && next == s.unreadable
	if f&engine.FaultShard != 0 {
		a.offend(CheckChain, withReason(o, fmt.Sprintf("the key names %s/%s but the record is of %s/%s", s.act.id, s.sku, w.Activity, w.SKU)))
	}
	if f&engine.FaultSeq != 0 && !afterDamage {
		switch {
		case w.Seq != pos:
			a.offend(CheckSeq, withReason(o, fmt.Sprintf("the key of seq %d holds the record of seq %d", pos, w.Seq)))
		case pos == next+1:
			a.offend(CheckSeq, withReason(o, fmt.Sprintf("seq %d is missing", next)))
		case pos > next:
			a.offend(CheckSeq, withReason(o, fmt.Sprintf("seqs %d..%d are missing", next, pos-1)))
		default:
			a.offend(CheckSeq, withReason(o, fmt.Sprintf("seq %d repeats", pos)))
		}
	}
	if f&engine.FaultPrev != 0 && !afterDamage {
		if s.shard.Sold() == 0 {
			a.offend(CheckChain, withReason(o, "prev is not zero, but no record precedes it"))
		} else {
			a.offend(CheckChain, withReason(o, fmt.Sprintf("prev is not the hash of the stored seq %d", s.shard.Sold())))
		}
	}
	if f&engine.FaultHash != 0 {
		a.offend(CheckChain, withReason(o, "hash does not match the record: edited after it was written"))
	}
	if f&engine.FaultTicket != 0 {
		a.offend(CheckTickets, withReason(o, "ticket does not verify"))
	}
	if f&engine.FaultQuota != 0 {
		a.offend(CheckQuota, withReason(o, fmt.Sprintf("seq %d is beyond every quota recorded for the sku (%d)", pos, s.shard.Spec().Quota)))
	}
	if f&engine.FaultDuplicate != 0 {
		first := s.shard.Step(&engine.Attempt{Kind: engine.Lookup, UID: w.UID})
		a.offend(CheckLimit, withReason(o, fmt.Sprintf("uid %d already won seq %d of this sku", w.UID, first.Seq)))
	}
}

// inForce checks a win against the config record in force at its time.
func (a *auditor) inForce(s *skuState, w *engine.Win, pos uint64, o Offense) {
	t := w.TimeUnixNano
	n := s.counts.add(t)
	act := s.act
	if act.limitActivity {
		act.noteWin(s, w, pos)
	}
	c, it := s.configAt(t)
	if c == nil {
		a.offend(CheckConfig, withReason(o, fmt.Sprintf("no config recorded for activity %s at %s", act.id, fmtTime(t))))
		return
	}
	if it == nil {
		a.offend(CheckConfig, withReason(o, fmt.Sprintf("the config in force (record %d) has no sku %s", c.Seq, s.sku)))
		return
	}
	if t < c.StartUnixNano {
		a.offend(CheckWindow, withReason(o, fmt.Sprintf("won at %s, before the start %s", fmtTime(t), fmtTime(c.StartUnixNano))))
	} else if t >= c.EndUnixNano {
		a.offend(CheckWindow, withReason(o, fmt.Sprintf("won at %s, at or after the end %s", fmtTime(t), fmtTime(c.EndUnixNano))))
	}
	if it.Quota < 0 || pos > uint64(it.Quota) {
		a.offend(CheckQuota, withReason(o, fmt.Sprintf("seq %d is beyond the quota %d in force (record %d)", pos, it.Quota, c.Seq)))
	}
	if it.ReleasePerSec > 0 && n > uint64(it.ReleasePerSec) {
		a.offend(CheckReleaseRate, withReason(o, fmt.Sprintf("win %d in the second from %s; release_per_sec is %d", n, fmtTime(floorDiv(t, 1e9)*1e9), it.ReleasePerSec)))
	}
	if c.Reservation == "required" {
		a.checkReserved(s, c, w, o)
	}
	if c.Limit == "activity" {
		act.candidates = append(act.candidates, limitWin{t: t, sku: s.index, seq: pos, uid: w.UID})
	}
}

// checkReserved checks that the winner was in the reservation list in
// force, or — within reservationGrace before a change — in the next one.
func (a *auditor) checkReserved(s *skuState, c *auditlog.Config, w *engine.Win, o Offense) {
	ok, err := a.reserved(c, w.UID)
	if err != nil {
		a.offend(CheckReservation, withReason(o, fmt.Sprintf("cannot check (config record %d): %v", c.Seq, err)))
		return
	}
	h := s.act.history
	for j := s.cfgIndex + 1; !ok && j < len(h) && h[j].TimeUnixNano-w.TimeUnixNano <= int64(reservationGrace); j++ {
		if h[j].Reservation == "required" {
			ok, _ = a.reserved(&h[j], w.UID)
		}
	}
	if !ok {
		a.offend(CheckReservation, withReason(o, fmt.Sprintf("uid %d is not in the reservation list in force (record %d, %d uids, %.12s…)", w.UID, c.Seq, c.ReservationsCount, c.ReservationsDigest)))
	}
}

// finishSKU closes the audit of the current SKU: its tail against its head
// marker, its chain head for the digest, its table row.
func (a *auditor) finishSKU() {
	s := a.cur
	if s == nil {
		return
	}
	a.cur = nil
	act := s.act
	var headSeq uint64
	if s.head != nil {
		headSeq = s.head.Seq
	}
	switch {
	case s.pending != nil:
		a.trunc = append(a.trunc, Truncation{Activity: act.id, SKU: s.sku, LastSeq: s.lastSeq, HeadSeq: headSeq, Partial: true})
		act.truncated = true
	case s.head == nil:
		a.offend(CheckDigest, Offense{Activity: act.id, SKU: s.sku, Reason: "no head marker: the engine writes one with every win, so it was removed"})
	case headSeq > s.lastSeq:
		a.trunc = append(a.trunc, Truncation{Activity: act.id, SKU: s.sku, LastSeq: s.lastSeq, HeadSeq: headSeq})
		act.truncated = true
	case headSeq == s.lastSeq && s.head.Hash != s.lastHash:
		a.offend(CheckDigest, withReason(s.lastWin, "the last record's hash is not the one its head marker names: rewritten after it was written"))
	}
	if s.lastSeq > 0 {
		act.recordHeads = append(act.recordHeads, Head{SKU: s.sku, Wins: s.lastSeq, Hash: s.lastHash})
		s.row.ChainHead = hexHash(s.lastHash)
	}
	s.row.PeakPerSec = s.counts.peak
}

func withReason(o Offense, reason string) Offense {
	o.Reason = reason
	return o
}
