package engine

import "fmt"

// ControlVerdict is the shard's answer to a control change.
type ControlVerdict uint8

const (
	// ControlApplied: the change is in force from this point of the
	// shard's sequence on, and the record Control completed must be
	// persisted (with the wins around it) before anyone is told.
	ControlApplied ControlVerdict = iota + 1
	// ControlUnchanged: the shard already is as the change asks (a pause
	// of a paused shard); nothing to record.
	ControlUnchanged
	// ControlRefused: the change is not valid for this shard (an unknown
	// kind, arguments the kind does not take, a reservation list for an
	// activity that requires none, a list that is not the one its digest
	// names, a stock whose quota is below the wins already issued);
	// nothing changed.
	ControlRefused
	// ControlUnavailable: the store failed under the shard.
	ControlUnavailable
)

var verdictNames = [...]string{ControlApplied: "applied", ControlUnchanged: "unchanged", ControlRefused: "refused", ControlUnavailable: "unavailable"}

func (v ControlVerdict) String() string {
	if int(v) < len(verdictNames) && verdictNames[v] != "" {
		return verdictNames[v]
	}
	return "invalid"
}

// Control decides a control change at this point of the shard's sequence:
// attempts stepped before it were decided under the old state, attempts
// after it under the new one. The caller fills c's Kind, Source, arguments,
// Set or Blocklist (for a list) and TimeUnixNano; when the verdict is
// ControlApplied, Control has completed the record — names, Seq, AfterWins,
// WinHead, Prev, Hash — and the caller must persist it in sequence with the
// shard's wins (the win it follows is in the same or an earlier commit).
//
// A qualification report (ControlPaid, ControlLapsed) is judged first
// (qualification.go): refused with a reason (RefusalReason) when it does
// not fit, unchanged when repeated; a lapse that passes the unit to a
// waiting user also decides that promotion, which the caller takes with
// TakeRecords and persists right after c.
func (s *Shard) Control(c *Control) ControlVerdict {
	s.econ.refusal = nil
	if s.failed {
		return ControlUnavailable
	}
	if s.Refusal(c) != "" {
		return ControlRefused
	}
	if v := s.refuseLottery(c); v != 0 {
		return v
	}
	if c.Kind == ControlWaitlisted || c.Kind == ControlPromoted || c.Source == SourceSale {
		s.econ.refusal = ErrSaleDecides
		return ControlRefused
	}
	if isReport(c.Kind) {
		v, err := s.judgeReport(c)
		if v != ControlApplied {
			s.econ.refusal = err
			return v
		}
	}
	if s.unchangedBy(c) {
		return ControlUnchanged
	}
	s.complete(c)
	s.applyControl(c)
	s.afterReport(c)
	s.afterStock(c) // a raise's qualifications go to the waiting users first (stock_waitlist.go)
	return ControlApplied
}

// complete fills in the fields that place c in the shard's log: names,
// its seq in the control strand, the win it follows, the chain hashes.
func (s *Shard) complete(c *Control) {
	c.Activity, c.SKU = s.spec.Activity, s.spec.SKU
	c.Seq = s.controls + 1
	c.AfterWins, c.WinHead = s.Sold(), s.lastHash()
	c.Prev = s.controlHash
	c.Hash = ComputeControlHash(c)
}

// Refusal says why Control would refuse c on this shard now, or "" when it
// would not; the admin API quotes it to the operator.
func (s *Shard) Refusal(c *Control) string {
	switch {
	case !c.Valid():
		return fmt.Sprintf("control kind %d (%s) with arguments it does not take", c.Kind, c.Kind)
	case c.Kind == ControlReservations && c.Set == nil:
		return "reservation list not given"
	case c.Kind == ControlReservations && !s.spec.ReservationRequired:
		return fmt.Sprintf("activity %s requires no reservation", s.spec.Activity)
	case c.Kind == ControlBlocklist && !blocklistFits(c):
		return "blocklist not given, or not the one its digest and count name"
	case c.Kind == ControlSetStock:
		return s.refuseStock(c)
	case isLiveSetting(c.Kind):
		return s.refuseLiveSetting(c)
	}
	return ""
}

// unchangedBy reports whether c would leave the shard as it is.
func (s *Shard) unchangedBy(c *Control) bool {
	switch c.Kind {
	case ControlPause:
		return s.paused
	case ControlResume:
		return !s.paused
	case ControlReservations:
		return c.Digest == s.resvDigest && (c.Source != SourceConfig || c.Digest == s.configDigest)
	case ControlSetStock:
		return s.stockUnchanged(c)
	case ControlEndNow:
		return s.ended
	case ControlSetEnd, ControlReleaseRate, ControlSetWaitlist:
		return s.liveSettingUnchanged(c)
	case ControlBlocklist:
		// An empty list changes nothing on a shard that never had one:
		// a store gets no blocklist records until somebody is blocked.
		return c.Digest == s.blockDigest || (s.blocked == nil && c.Num == 0)
	}
	return false
}

// applyControl puts c in force and moves the control strand's head to it.
// It is the one place a control kind changes the shard.
func (s *Shard) applyControl(c *Control) {
	switch c.Kind {
	case ControlPause:
		s.paused = true
	case ControlResume:
		s.paused = false
	case ControlReservations:
		s.resv, s.resvDigest = c.Set, c.Digest
		if c.Source == SourceConfig {
			s.configDigest = c.Digest
		}
	case ControlSetStock:
		s.applyStock(c)
	case ControlEndNow:
		s.ended = true
	case ControlSetEnd, ControlReleaseRate, ControlSetWaitlist:
		s.applyLiveSetting(c)
	case ControlBlocklist:
		s.blocked, s.blockDigest = c.Blocklist, c.Digest
	case ControlWaitlisted, ControlPaid, ControlLapsed, ControlPromoted:
		s.applyEconomics(c)
	case ControlLotteryCommit, ControlLotteryEntrants, ControlLotteryBeacon, ControlLotteryDraw:
		s.applyLottery(c)
	default:
		panic(fmt.Sprintf("engine: control kind %d has no effect defined", c.Kind))
	}
	s.controls, s.controlHash = c.Seq, c.Hash
}

// ApplyControl feeds a stored control record back into the shard, at the
// place it was decided: recovery and replay call it once the shard holds
// exactly the wins the record names (c.AfterWins), before the next win. It
// checks that c continues the control strand where the win strand is now
// (ChainHead.ContinueControl), that its kind and arguments are valid, that
// a list record comes with its list (c.Set or c.Blocklist, loaded by
// digest), and that a set-stock leaves the quota at or above the wins.
func (s *Shard) ApplyControl(c *Control) error {
	if c.Activity != s.spec.Activity || c.SKU != s.spec.SKU {
		return fmt.Errorf("%w: control for %s/%s applied to shard %s/%s", ErrChainBroken, c.Activity, c.SKU, s.spec.Activity, s.spec.SKU)
	}
	head := s.ChainHead()
	if err := head.ContinueControl(c); err != nil {
		return err
	}
	if !c.Valid() {
		return fmt.Errorf("%w: %s/%s control %d: kind %d (%s) with arguments it does not take", ErrBadControl, c.Activity, c.SKU, c.Seq, c.Kind, c.Kind)
	}
	if c.Kind == ControlReservations && c.Set == nil {
		return fmt.Errorf("%w: %s/%s control %d: reservation list %x not loaded", ErrBadControl, c.Activity, c.SKU, c.Seq, c.Digest)
	}
	if c.Kind == ControlBlocklist && !blocklistFits(c) {
		return fmt.Errorf("%w: %s/%s control %d: blocklist %x not loaded", ErrBadControl, c.Activity, c.SKU, c.Seq, c.Digest)
	}
	if why := s.refuseStock(c); c.Kind == ControlSetStock && why != "" {
		return fmt.Errorf("%w: %s/%s control %d: %s", ErrBadControl, c.Activity, c.SKU, c.Seq, why)
	}
	if err := s.CheckLiveSetting(c); err != nil {
		return err
	}
	if err := s.CheckEconomics(c); err != nil {
		return err
	}
	s.applyControl(c)
	return nil
}

// AdoptControl puts c in force whatever its faults, re-anchoring the control
// strand at it, so an audit that reported c can go on with the records
// after it. An unknown kind changes nothing but the strand's head. Like
// Adopt, it is for audit shards only.
func (s *Shard) AdoptControl(c *Control) {
	if _, known := controlKinds[c.Kind]; !known {
		s.controls, s.controlHash = c.Seq, c.Hash
		return
	}
	s.applyControl(c)
}

// Paused reports whether a control record paused the shard.
func (s *Shard) Paused() bool { return s.paused }

// Reservations returns the reservation list in force (nil when none) and
// the digest a control record gave it (zero when the list came with
// NewShard).
func (s *Shard) Reservations() (Reservations, [32]byte) { return s.resv, s.resvDigest }

// ConfigReservations is the digest of the last reservation list a record
// with SourceConfig put in force: a restart records the configuration's
// list only when it differs from this one.
func (s *Shard) ConfigReservations() [32]byte { return s.configDigest }
