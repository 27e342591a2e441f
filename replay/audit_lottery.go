package replay

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"seckill/engine"
)

// LotteryRow is a SKU's fair opening as the audit re-derived it from the
// log alone (SPEC, "Fair opening"): the commitment, the entrants, the
// beacon, the seed the draw revealed, and the winners the draw gives.
type LotteryRow struct {
	Commitment     string `json:"commitment"`
	WindowNanos    int64  `json:"window_nanos"`
	Promise        string `json:"beacon_promised"` // the promised beacon's name; "" = none
	Beacon         string `json:"beacon"`          // hex; "" = none in force at the draw
	BeaconMissing  bool   `json:"beacon_missing"`  // promised, but none was posted before the draw
	Seed           string `json:"seed"`            // hex; "" = not drawn
	Drawn          bool   `json:"drawn"`
	Entrants       uint64 `json:"entrants"`
	Winners        uint64 `json:"winners"`
	DrawUnixNano   int64  `json:"draw_unix_nano"`
	FirstWinnerSeq uint64 `json:"first_winner_seq"`
}

// lotteryAudit is the audit state of one SKU's lottery.
type lotteryAudit struct {
	row      LotteryRow
	commit   *engine.Control
	close    int64 // start + window; 0 before a commit
	entrants []uint64
	seen     map[uint64]uint64 // uid → the control seq that entered it
	beacon   []byte
	winners  []uint64 // expected, in seq order
	first    uint64   // seq of winners[0]
	rest     []uint64 // the order after the winners: the draw's waitlist places come from its head
	checked  uint64   // winners matched so far
}

// lotteryControl audits a lottery record at its place: the commitment once
// and before the window opens; entrants inside the window, after the
// commitment, before the draw, each once; the beacon before the close; the
// draw once, after the close, revealing the committed seed, with the beacon
// in force and every entrant — and from it the winners its wins must be.
func (c *chainAudit) lotteryControl(ctl *engine.Control, o Offense) {
	s := c.sku
	switch ctl.Kind {
	case engine.ControlLotteryCommit, engine.ControlLotteryEntrants, engine.ControlLotteryBeacon, engine.ControlLotteryDraw:
	case engine.ControlWaitlisted:
		c.lotteryWaitlisted(ctl, o)
		return
	default:
		return
	}
	if s.lot == nil {
		s.lot = &lotteryAudit{seen: map[uint64]uint64{}}
	}
	l := s.lot
	bad := func(format string, args ...any) {
		c.offend(CheckLottery, withReason(o, fmt.Sprintf("control %d (%s): ", ctl.Seq, ctl.Kind)+fmt.Sprintf(format, args...)))
	}
	start := s.shard.Spec().StartUnixNano
	if l.commit == nil && ctl.Kind != engine.ControlLotteryCommit {
		bad("no commitment recorded before it")
	}
	switch ctl.Kind {
	case engine.ControlLotteryCommit:
		if l.commit != nil {
			bad("a second commitment (the first is control %d)", l.commit.Seq)
			return
		}
		cp := *ctl
		l.commit, l.close = &cp, start+int64(ctl.Num)
		l.row.Commitment, l.row.WindowNanos, l.row.Promise = hexHash(ctl.Digest), int64(ctl.Num), string(ctl.Data)
		if ctl.TimeUnixNano >= start {
			bad("the commitment was recorded at %s, not before the window opened at %s", fmtTime(ctl.TimeUnixNano), fmtTime(start))
		}
	case engine.ControlLotteryEntrants:
		switch {
		case l.row.Drawn:
			bad("entrants recorded after the draw")
		case ctl.TimeUnixNano < start || ctl.TimeUnixNano >= l.close:
			bad("entrants recorded at %s, outside the window [%s, %s)", fmtTime(ctl.TimeUnixNano), fmtTime(start), fmtTime(l.close))
		}
		if len(ctl.Data)%8 != 0 || uint64(len(ctl.Data)/8) != ctl.Num {
			bad("holds %d bytes of uids but says %d entrants", len(ctl.Data), ctl.Num)
		}
		for _, uid := range engine.EntrantsOf(ctl) {
			if at, dup := l.seen[uid]; dup {
				bad("uid %d entered twice (first in control %d)", uid, at)
				continue
			}
			l.seen[uid] = ctl.Seq
			l.entrants = append(l.entrants, uid)
		}
	case engine.ControlLotteryBeacon:
		if l.row.Drawn || (l.close != 0 && ctl.TimeUnixNano >= l.close) {
			bad("beacon recorded at %s, after the window closed at %s", fmtTime(ctl.TimeUnixNano), fmtTime(l.close))
		}
		l.beacon = append([]byte(nil), ctl.Data...)
	case engine.ControlLotteryDraw:
		c.lotteryDraw(ctl, bad)
	}
}

// lotteryDraw re-derives a draw: the seed must open the commitment, the
// beacon be the one in force, the count every entrant recorded; the order
// is engine.DrawOrder of the entrants recorded before it, and the wins that
// follow must be its first k.
func (c *chainAudit) lotteryDraw(ctl *engine.Control, bad func(string, ...any)) {
	s := c.sku
	l := s.lot
	if l.row.Drawn {
		bad("a second draw")
		return
	}
	if l.commit != nil && engine.LotteryCommitment(ctl.Digest) != l.commit.Digest {
		bad("the seed %x does not open the commitment %x: the seed was changed", ctl.Digest, l.commit.Digest)
	}
	if !bytes.Equal(ctl.Data, l.beacon) {
		bad("drew with beacon %x, but the beacon in force was %x", ctl.Data, l.beacon)
	}
	if ctl.Num != uint64(len(l.entrants)) {
		bad("drew %d entrants, but %d were recorded before it: an entrant was added or removed", ctl.Num, len(l.entrants))
	}
	if ctl.TimeUnixNano < l.close {
		bad("drawn at %s, before the window closed at %s", fmtTime(ctl.TimeUnixNano), fmtTime(l.close))
	}
	order := engine.DrawOrder(l.entrants, ctl.Digest, ctl.Data)
	quota := s.shard.Spec().Quota
	k := min(uint64(len(order)), quota-min(ctl.AfterWins, quota))
	l.winners, l.first, l.rest = order[:k], ctl.AfterWins+1, order[k:]
	l.row.Drawn, l.row.Seed, l.row.Beacon = true, hexHash(ctl.Digest), hex.EncodeToString(ctl.Data)
	l.row.Entrants, l.row.Winners, l.row.DrawUnixNano, l.row.FirstWinnerSeq = uint64(len(l.entrants)), k, ctl.TimeUnixNano, l.first
	l.row.BeaconMissing = l.row.Promise != "" && len(ctl.Data) == 0
	l.entrants, l.seen = nil, nil
}

// lotteryWaitlisted checks a waitlist place against the draw: the places
// 1..len(rest) can only have been made by the draw (first-come joins come
// after them), so place p must be the order's k+p-th entrant.
func (c *chainAudit) lotteryWaitlisted(ctl *engine.Control, o Offense) {
	l := c.sku.lot
	if l == nil || !l.row.Drawn || ctl.Num == 0 || ctl.Num > uint64(len(l.rest)) {
		return
	}
	if want := l.rest[ctl.Num-1]; ctl.UID != want {
		c.offend(CheckLottery, withReason(o, fmt.Sprintf("control %d: the draw gives waitlist place %d to uid %d; the record has uid %d", ctl.Seq, ctl.Num, want, ctl.UID)))
	}
}

// lotteryWin checks a win against the lottery: none inside the window, and
// the draw's wins exactly the winners it gives, at its time.
func (c *chainAudit) lotteryWin(w *engine.Win, pos uint64, o Offense) {
	l := c.sku.lot
	if l == nil || l.commit == nil {
		return
	}
	if !l.row.Drawn {
		// The window's attempts are entrants, and the engine draws
		// before it decides any attempt after the close.
		c.offend(CheckLottery, withReason(o, "a win before the lottery's draw"))
		return
	}
	if pos < l.first || pos >= l.first+uint64(len(l.winners)) {
		return
	}
	want := l.winners[pos-l.first]
	if w.UID != want || w.TimeUnixNano != l.row.DrawUnixNano {
		c.offend(CheckLottery, withReason(o, fmt.Sprintf("the draw gives seq %d to uid %d at %s; the record has uid %d at %s", pos, want, fmtTime(l.row.DrawUnixNano), w.UID, fmtTime(w.TimeUnixNano))))
	}
	l.checked++
}

// finishLottery reports what the end of the log says about the lottery: a
// draw whose wins are missing, a promised beacon never posted; and puts the
// lottery in the SKU's row.
func (c *chainAudit) finishLottery() {
	s := c.sku
	l := s.lot
	if l == nil {
		return
	}
	o := Offense{Activity: s.act.id, SKU: s.sku}
	if l.row.Drawn && l.checked < uint64(len(l.winners)) {
		c.offend(CheckLottery, withReason(o, fmt.Sprintf("the draw gives %d winners from seq %d, but the log holds %d of them: a winner was removed", len(l.winners), l.first, l.checked)))
	}
	row := l.row
	s.row.Lottery = &row
}
