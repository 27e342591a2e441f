package replay

import (
	"encoding/hex"
	"fmt"

	"seckill/engine"
	"seckill/internal/store/auditlog"
)

// Change is one control record of the log as the report lists it: every
// change made to a sale while it ran (or by the configuration at a start),
// in key order (activity, SKU, control seq).
type Change struct {
	Activity string `json:"activity"`
	SKU      string `json:"sku"`
	Seq      uint64 `json:"seq"`
	Kind     string `json:"kind"`   // engine.ControlKind's name: pause, set_stock, end_now, blocklist, ...
	Source   string `json:"source"` // operator or config
	// AfterWins is the SKU's wins when the change was decided: it holds
	// for win AfterWins+1 on.
	AfterWins    uint64 `json:"after_wins"`
	TimeUnixNano int64  `json:"time_unix_nano"`
	Detail       string `json:"detail"` // the arguments, in words
}

// changeOf describes control record c for the report.
func changeOf(c *engine.Control) Change {
	ch := Change{Activity: c.Activity, SKU: c.SKU, Seq: c.Seq, Kind: c.Kind.String(), Source: c.Source.String(),
		AfterWins: c.AfterWins, TimeUnixNano: c.TimeUnixNano}
	switch c.Kind {
	case engine.ControlSetStock:
		ch.Detail = fmt.Sprintf("stock %d, quota %d", c.Num, c.StockQuota())
	case engine.ControlReservations:
		ch.Detail = fmt.Sprintf("list %x…, %d uids", c.Digest[:6], c.Num)
	case engine.ControlBlocklist:
		ch.Detail = fmt.Sprintf("list %x…, %d entries", c.Digest[:6], c.Num)
	case engine.ControlSetEnd:
		ch.Detail = "end " + fmtTime(int64(c.Num))
	case engine.ControlReleaseRate:
		ch.Detail = fmt.Sprintf("release_per_sec %d", c.Num)
	case engine.ControlSetWaitlist:
		ch.Detail = fmt.Sprintf("waitlist %d", c.Num)
	}
	return ch
}

// blockEntry is a blocklist a control record names, or why it cannot be
// had.
type blockEntry struct {
	list *engine.Blocklist
	err  error
}

// loadBlocklist loads the blocklist of digest d once.
func (a *auditor) loadBlocklist(d [32]byte) {
	if a.blocklists[d] != nil {
		return
	}
	e := &blockEntry{}
	e.list, e.err = auditlog.LoadBlocklist(a.log, hex.EncodeToString(d[:]))
	a.blocklists[d] = e
}

// controlKind notes what one of the newer kinds puts in force, for the
// checks of the wins after it (inForceKinds).
func (c *chainAudit) controlKind(ctl *engine.Control) {
	s := c.sku
	switch ctl.Kind {
	case engine.ControlSetStock:
		s.stockCtl = ctl.Seq
		s.row.Stock, s.row.Quota, s.row.stockSet = int64(ctl.Num), int64(ctl.StockQuota()), true
	case engine.ControlEndNow:
		s.endedBy = ctl.Seq
	case engine.ControlSetEnd:
		s.endCtl = ctl.Seq
	case engine.ControlReleaseRate:
		s.rateCtl = ctl.Seq
	case engine.ControlBlocklist:
		s.blockList, s.blockCtl = c.a.blocklists[ctl.Digest], ctl.Seq
		if s.blockList.err == nil {
			ctl.Blocklist = s.blockList.list
		}
	}
}

// inForceKinds checks a win against what the newer control kinds before it
// put in force: the end of the round, the blocklist, a stock set while
// serving (whose quota replaces the config record's). It reports whether
// a set-stock record gave the quota, so the config's is not applied.
func (c *chainAudit) inForceKinds(w *engine.Win, pos uint64, o Offense) (quotaSet bool) {
	s := c.sku
	if s.shard.Ended() {
		c.offend(CheckWindow, withReason(o, fmt.Sprintf("won after control %d ended the round", s.endedBy)))
	}
	if e := s.blockList; e != nil {
		switch {
		case e.err != nil:
			c.offend(CheckBlocked, withReason(o, fmt.Sprintf("cannot check (control %d): %v", s.blockCtl, e.err)))
		case e.list.Blocked(w.UID, w.Client):
			c.offend(CheckBlocked, withReason(o, fmt.Sprintf("uid %d or client %v is on the blocklist in force (control %d)", w.UID, w.Client, s.blockCtl)))
		}
	}
	if s.stockCtl == 0 {
		return false
	}
	if q := s.shard.Quota(); pos > q {
		c.offend(CheckQuota, withReason(o, fmt.Sprintf("seq %d is beyond the quota %d set by control %d", pos, q, s.stockCtl)))
	}
	return true
}
