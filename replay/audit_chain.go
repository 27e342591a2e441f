package replay

import (
	"cmp"
	"fmt"
	"slices"
	"sort"

	"seckill/engine"
	"seckill/internal/live/uidset"
	"seckill/internal/store/auditlog"
	"seckill/wal"
)

// chainAudit is the audit of one record range: one (activity, SKU) chain,
// plus any malformed keys that sort among its records. Chains run in
// parallel; each keeps its findings to itself until finish merges them in
// key order.
type chainAudit struct {
	a   *auditor
	rg  wal.RecordRange
	sku *skuState // nil for a range that holds no chain

	// controlsOnly marks the audit of a SKU with control records but no
	// winner record: there is no range to read.
	controlsOnly bool

	records        uint64
	controlRecords uint64
	checks         [numChecks]checkList
	trunc          []Truncation
	recordHead     engine.ChainHead // the chain's head from its records, for the digest
	hasHead        bool
	// limit holds every win of the chain when its activity has limit =
	// "activity" in some config record; checkLimits reads them all.
	limit []limitWin
	// resvQ holds the winners to look up in reservation lists.
	resvQ []resvQuery
	// changes lists the chain's control records for the report.
	changes []Change
}

// skuState is the audit state of a chain's SKU.
type skuState struct {
	act    *actState
	sku    string
	index  int32 // among the activity's chains, in key order
	shard  *engine.Shard
	head   *headState // nil: no head marker
	row    *SKURow
	counts secondCounter

	// The control strand: its records in seq order, how many were
	// applied, its head marker, and where it ended.
	ctl         []wal.ControlRecord
	ctlNext     int
	ctlHead     *headState // nil: no control head marker
	lastCtlSeq  uint64
	lastCtlHash [32]byte
	// What the control records put in force: the reservation list (nil
	// before any) and the record that did, the pause record.
	resvList *listEntry
	resvCtl  uint64
	pausedBy uint64
	// lot is the SKU's fair opening as its records go (audit_lottery.go).
	lot *lotteryAudit
	// ... and of the newer kinds (audit_control_kinds.go): the records
	// that set the stock, ended the round, put the blocklist in force.
	stockCtl  uint64
	endedBy   uint64
	endCtl    uint64 // the set-end record whose end is in force
	rateCtl   uint64 // the release-rate record whose rate is in force
	blockList *blockEntry
	blockCtl  uint64

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

func (c *chainAudit) offend(check int, o Offense) { c.checks[check].add(o) }

// run reads the range and audits each record.
func (c *chainAudit) run() error {
	if s := c.sku; s != nil {
		s.shard = newShard(c.a.key, s.act, s.sku)
		if s.head != nil {
			// The head marker says how many records to expect (a forged
			// one could say anything: bounded by the quota and a cap).
			s.shard.Reserve(int(min(s.head.Seq, s.shard.Spec().Quota, presizeCap)))
		}
	}
	if !c.controlsOnly {
		if err := c.a.log.ScanRecordsIn(c.rg, c.record); err != nil {
			return err
		}
	}
	c.finish()
	return nil
}

// record takes one stored record of the range, in key order.
func (c *chainAudit) record(r *wal.Record) error {
	c.records++
	s := c.sku
	switch {
	case !r.KeyOK:
		c.offend(CheckChain, Offense{Reason: fmt.Sprintf("malformed winner key %q", r.Key)})
		return nil
	case s == nil || r.SKU != s.sku || r.Activity != s.act.id:
		// Ranges start where chains start, so this means the store
		// changed under the audit.
		c.offend(CheckChain, Offense{Activity: r.Activity, SKU: r.SKU, Seq: r.Seq, Reason: "record outside the range of its chain"})
		return nil
	}
	if s.pending != nil {
		// A record that did not decode, followed by more of its chain:
		// not a tail cut short but a damaged record.
		c.offend(CheckChain, Offense{Activity: s.act.id, SKU: s.sku, Seq: s.pending.seq, Reason: "record does not decode: " + s.pending.err})
		s.unreadable = s.pending.seq
		s.pending = nil
	}
	if !r.ValueOK {
		s.pending = &pendingRecord{seq: r.Seq, err: r.Err.Error()}
		return nil
	}
	c.win(&r.Win, r.Seq, r.Err != nil)
	return nil
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
func (c *chainAudit) win(w *engine.Win, pos uint64, misplaced bool) {
	s := c.sku
	c.controlsBefore(pos)
	o := Offense{Activity: s.act.id, SKU: s.sku, Seq: pos, UID: w.UID, TimeUnixNano: w.TimeUnixNano}
	// Asked before Apply moves the waitlist on: a stock raise's win for a
	// waiting user does not count against the release rate.
	raise := s.shard.ServesWaiter(w.UID)
	var fault engine.Fault
	if misplaced {
		fault = s.shard.Check(w)
	} else if err := s.shard.Apply(w); err != nil {
		if fault = s.shard.Check(w); fault == 0 {
			// Check mirrors Apply; if they ever disagree, say so.
			c.offend(CheckChain, withReason(o, "engine refused the record: "+err.Error()))
		}
	}
	if fault != 0 {
		c.faults(w, pos, fault, o)
		anchor := *w
		anchor.Seq = pos
		vouched := s.head != nil && pos <= s.head.Seq
		if vouched || pos-s.shard.Sold() <= maxAdoptGap {
			s.shard.Adopt(&anchor)
		}
	}
	if s.head != nil && pos > s.head.Seq {
		c.offend(CheckDigest, withReason(o, fmt.Sprintf("beyond the head marker (seq %d): not written by the engine", s.head.Seq)))
	}
	c.inForce(w, pos, raise, o)
	c.lotteryWin(w, pos, o)

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
func (c *chainAudit) faults(w *engine.Win, pos uint64, f engine.Fault, o Offense) {
	s := c.sku
	next := s.shard.Sold() + 1
	afterDamage := s.unreadable != 0 && s.unreadable+1 == pos && next == s.unreadable
	if f&engine.FaultShard != 0 {
		c.offend(CheckChain, withReason(o, fmt.Sprintf("the key names %s/%s but the record is of %s/%s", s.act.id, s.sku, w.Activity, w.SKU)))
	}
	if f&engine.FaultSeq != 0 && !afterDamage {
		switch {
		case w.Seq != pos:
			c.offend(CheckSeq, withReason(o, fmt.Sprintf("the key of seq %d holds the record of seq %d", pos, w.Seq)))
		case pos == next+1:
			c.offend(CheckSeq, withReason(o, fmt.Sprintf("seq %d is missing", next)))
		case pos > next:
			c.offend(CheckSeq, withReason(o, fmt.Sprintf("seqs %d..%d are missing", next, pos-1)))
		default:
			c.offend(CheckSeq, withReason(o, fmt.Sprintf("seq %d repeats", pos)))
		}
	}
	if f&engine.FaultPrev != 0 && !afterDamage {
		if s.shard.Sold() == 0 {
			c.offend(CheckChain, withReason(o, "prev is not zero, but no record precedes it"))
		} else {
			c.offend(CheckChain, withReason(o, fmt.Sprintf("prev is not the hash of the stored seq %d", s.shard.Sold())))
		}
	}
	if f&engine.FaultHash != 0 {
		c.offend(CheckChain, withReason(o, "hash does not match the record: edited after it was written"))
	}
	if f&engine.FaultTicket != 0 {
		c.offend(CheckTickets, withReason(o, "ticket does not verify"))
	}
	if f&engine.FaultQuota != 0 {
		c.offend(CheckQuota, withReason(o, fmt.Sprintf("seq %d is beyond the quota the sku had (%d)", pos, s.shard.Quota())))
	}
	if f&engine.FaultDuplicate != 0 {
		first := s.shard.Step(&engine.Attempt{Kind: engine.Lookup, UID: w.UID})
		c.offend(CheckLimit, withReason(o, fmt.Sprintf("uid %d already won seq %d of this sku", w.UID, first.Seq)))
	}
	if f&engine.FaultWaitlistOrder != 0 {
		c.offend(CheckEconomics, withReason(o, fmt.Sprintf("seq %d went to uid %d while a waitlisted user waited: a stock raise serves the waitlist first", pos, w.UID)))
	}
}

// inForce checks a win against what the control records before it put in
// force (pause, reservation list, end, blocklist, stock, and a moved end or
// release rate in place of the config's) and the config record in force
// at its time (window, quota unless a record set the stock, release rate,
// limit). raise marks a stock raise's win for a waiting user, which the release
// rate does not count (engine/stock_waitlist.go).
func (c *chainAudit) inForce(w *engine.Win, pos uint64, raise bool, o Offense) {
	s := c.sku
	if s.shard.Paused() {
		c.offend(CheckPaused, withReason(o, fmt.Sprintf("won while paused by control %d", s.pausedBy)))
	}
	quotaSet := c.inForceKinds(w, pos, o)
	t := w.TimeUnixNano
	var n uint64
	if !raise {
		n = s.counts.add(t)
	}
	act := s.act
	cfg, it := s.configAt(t)
	if act.limitActivity {
		c.limit = append(c.limit, limitWin{t: t, sku: s.index, seq: pos, uid: w.UID, under: cfg != nil && cfg.Limit == "activity"})
	}
	if cfg == nil {
		c.offend(CheckConfig, withReason(o, fmt.Sprintf("no config recorded for activity %s at %s", act.id, fmtTime(t))))
		return
	}
	if it == nil {
		c.offend(CheckConfig, withReason(o, fmt.Sprintf("the config in force (record %d) has no sku %s", cfg.Seq, s.sku)))
		return
	}
	end, endBy := cfg.EndUnixNano, fmt.Sprintf("config record %d", cfg.Seq)
	if s.endCtl != 0 {
		end, endBy = s.shard.End(), fmt.Sprintf("control %d", s.endCtl)
	}
	if t < cfg.StartUnixNano {
		c.offend(CheckWindow, withReason(o, fmt.Sprintf("won at %s, before the start %s", fmtTime(t), fmtTime(cfg.StartUnixNano))))
	} else if t >= end {
		c.offend(CheckWindow, withReason(o, fmt.Sprintf("won at %s, at or after the end %s (%s)", fmtTime(t), fmtTime(end), endBy)))
	}
	if !quotaSet && (it.Quota < 0 || pos > uint64(it.Quota)) {
		c.offend(CheckQuota, withReason(o, fmt.Sprintf("seq %d is beyond the quota %d in force (record %d)", pos, it.Quota, cfg.Seq)))
	}
	rate, rateBy := uint64(it.ReleasePerSec), fmt.Sprintf("config record %d", cfg.Seq)
	if s.rateCtl != 0 {
		rate, rateBy = uint64(s.shard.ReleasePerSec()), fmt.Sprintf("control %d", s.rateCtl)
	}
	if rate > 0 && n > rate {
		c.offend(CheckReleaseRate, withReason(o, fmt.Sprintf("win %d in the second from %s; release_per_sec is %d (%s)", n, fmtTime(floorDiv(t, 1e9)*1e9), rate, rateBy)))
	}
	if cfg.Reservation == "required" {
		c.checkReserved(cfg, w, o)
	}
}

// checkReserved queues the winner for the reservation check (see
// checkQueued) against the list the control records put in force before
// it — or, in a store written before control records, the list the config
// record in force names; no list, or one the store cannot give, is a
// finding at once.
func (c *chainAudit) checkReserved(cfg *auditlog.Config, w *engine.Win, o Offense) {
	s := c.sku
	list, ctl := s.resvList, s.resvCtl
	if list == nil {
		list = c.a.legacyList(cfg)
	}
	switch {
	case list == nil:
		c.offend(CheckReservation, withReason(o, "no reservation list in force: no control record put one before this win"))
	case list.err != nil:
		c.offend(CheckReservation, withReason(o, fmt.Sprintf("cannot check (%s): %v", listSource(ctl), list.err)))
	default:
		c.resvQ = append(c.resvQ, resvQuery{uid: w.UID, t: w.TimeUnixNano, seq: o.Seq, ctl: ctl, set: list.set})
	}
}

// listSource names what put a reservation list in force: control record
// ctl, or (0) a config record of a store written before control records.
func listSource(ctl uint64) string {
	if ctl == 0 {
		return "config record"
	}
	return fmt.Sprintf("control %d", ctl)
}

// resvQuery is one winner to look up in the reservation list control record
// ctl put in force (0: a config record's).
type resvQuery struct {
	uid uint64
	t   int64
	seq uint64
	ctl uint64
	set *uidset.Set
}

func queryUID(q *resvQuery) uint64 { return q.uid }

// checkQueued checks the chain's winners against the reservation lists in
// force when each was decided. The lookups are sorted by uid and each list
// is walked with a cursor, since a lookup in a list of millions in seq
// (random uid) order costs a cache miss or two apiece; the findings are
// reported in seq order as usual.
func (c *chainAudit) checkQueued() {
	if len(c.resvQ) == 0 {
		return
	}
	s := c.sku
	q := radixSortBy(c.resvQ, make([]resvQuery, len(c.resvQ)), queryUID)
	type cursor struct {
		set *uidset.Set
		at  int
	}
	var cursors []cursor // one per list; a chain rarely sees more than two
	var missing []resvQuery
	for _, x := range q {
		k := 0
		for k < len(cursors) && cursors[k].set != x.set {
			k++
		}
		if k == len(cursors) {
			cursors = append(cursors, cursor{set: x.set})
		}
		uids := x.set.Sorted()
		at := lowerBoundFrom(uids, cursors[k].at, x.uid)
		cursors[k].at = at
		if at < len(uids) && uids[at] == x.uid {
			continue
		}
		missing = append(missing, x)
	}
	slices.SortFunc(missing, func(a, b resvQuery) int { return cmp.Compare(a.seq, b.seq) })
	for _, x := range missing {
		d := x.set.Digest()
		c.offend(CheckReservation, Offense{Activity: s.act.id, SKU: s.sku, Seq: x.seq, UID: x.uid, TimeUnixNano: x.t,
			Reason: fmt.Sprintf("uid %d is not in the reservation list in force (%s, %d uids, %x…)", x.uid, listSource(x.ctl), x.set.Len(), d[:6])})
	}
	c.resvQ = nil
}

// finish closes the audit of the chain: its tail against its head marker,
// its head for the digest, its table row.
func (c *chainAudit) finish() {
	s := c.sku
	if s == nil {
		return
	}
	c.finishControls()
	c.finishLottery()
	c.checkQueued()
	act := s.act
	var headSeq uint64
	if s.head != nil {
		headSeq = s.head.Seq
	}
	switch {
	case s.pending != nil:
		c.trunc = append(c.trunc, Truncation{Activity: act.id, SKU: s.sku, LastSeq: s.lastSeq, HeadSeq: headSeq, Partial: true})
	case s.head == nil && c.controlsOnly:
		// A SKU that never sold: its control strand is all there is.
	case s.head == nil:
		c.offend(CheckDigest, Offense{Activity: act.id, SKU: s.sku, Reason: "no head marker: the engine writes one with every win, so it was removed"})
	case headSeq > s.lastSeq:
		c.trunc = append(c.trunc, Truncation{Activity: act.id, SKU: s.sku, LastSeq: s.lastSeq, HeadSeq: headSeq})
	case headSeq == s.lastSeq && s.head.Hash != s.lastHash:
		c.offend(CheckDigest, withReason(s.lastWin, "the last record's hash is not the one its head marker names: rewritten after it was written"))
	}
	if s.lastSeq > 0 || s.lastCtlSeq > 0 {
		c.recordHead = engine.ChainHead{SKU: s.sku, Wins: s.lastSeq, Hash: s.lastHash, Controls: s.lastCtlSeq, ControlHash: s.lastCtlHash}
		c.hasHead = true
	}
	if s.lastSeq > 0 {
		s.row.ChainHead = hexHash(s.lastHash)
	}
	s.row.PeakPerSec = s.counts.peak
	// The shard holds every winner of the chain; let it go now rather than
	// when the whole audit ends, or the live heap grows with every chain.
	s.shard = nil
}

func withReason(o Offense, reason string) Offense {
	o.Reason = reason
	return o
}
