package engine

import (
	"fmt"
	"math"
	"time"
)

// The settings a running sale may change besides its stock: the end of the
// round (ControlSetEnd), tier 3's release rate (ControlReleaseRate) and the
// waitlist's length (ControlSetWaitlist). Each is a control record because
// the shard's decisions depend on it: a replay that read the value from
// the configuration alone would judge the attempts after the change by the
// old value. A record's value stays in force, across restarts too, until a
// later record of its kind.

// SetEnd returns a ControlSetEnd moving the round's end to endUnixNano.
// The caller fills Source and TimeUnixNano (the moment of the change, which
// the shard compares with the ends old and new) and hands it to Control on
// every shard of the activity.
func SetEnd(endUnixNano int64) Control {
	return Control{Kind: ControlSetEnd, Num: uint64(max(endUnixNano, 0))}
}

// SetReleaseRate returns a ControlReleaseRate: perSec winners a second from
// the record on (0 = no limit).
func SetReleaseRate(perSec uint32) Control {
	return Control{Kind: ControlReleaseRate, Num: uint64(perSec)}
}

// SetWaitlist returns a ControlSetWaitlist: up to n users may wait for a
// lapsed qualification.
func SetWaitlist(n uint64) Control { return Control{Kind: ControlSetWaitlist, Num: n} }

// End is the round's end in force, in unix nanoseconds: Spec.EndUnixNano
// until a ControlSetEnd moves it. (An end-now record ends the round
// without moving it; see Ended.)
func (s *Shard) End() int64 { return s.end }

// ReleasePerSec is tier 3 in force: Spec.ReleasePerSec until a
// ControlReleaseRate changes it; 0 = no limit.
func (s *Shard) ReleasePerSec() uint32 { return s.releasePerSec }

// Waitlist is the waitlist length in force: Spec.Waitlist until a
// ControlSetWaitlist changes it.
func (s *Shard) Waitlist() uint64 { return s.waitlist }

func isLiveSetting(k ControlKind) bool {
	return k == ControlSetEnd || k == ControlReleaseRate || k == ControlSetWaitlist
}

// refuseLiveSetting says why the shard cannot make c now, or "". An ended
// round stays ended: its end is not moved, whether it ended by its time or
// by an end-now record, because buyers were told `ended` and the gate routed
// the SKU on to its next round.
func (s *Shard) refuseLiveSetting(c *Control) string {
	if why := s.badLiveSetting(c); why != "" {
		return why
	}
	if c.Kind != ControlSetEnd {
		return ""
	}
	end := int64(c.Num)
	switch {
	case s.ended:
		return "the round was ended by an end-now record; an ended round stays ended"
	case c.TimeUnixNano >= s.end:
		return fmt.Sprintf("the round ended at %s; an ended round stays ended", fmtUnixNano(s.end))
	case end <= c.TimeUnixNano:
		return fmt.Sprintf("the new end %s is not after the change's time %s: end the round now instead", fmtUnixNano(end), fmtUnixNano(c.TimeUnixNano))
	case end <= s.spec.StartUnixNano:
		return fmt.Sprintf("the new end %s is not after the start %s", fmtUnixNano(end), fmtUnixNano(s.spec.StartUnixNano))
	}
	return ""
}

// badLiveSetting says what makes c's argument impossible whatever the
// shard's time: recovery and the audit refuse such a record too.
func (s *Shard) badLiveSetting(c *Control) string {
	switch c.Kind {
	case ControlSetEnd:
		if c.Num == 0 || c.Num > math.MaxInt64 {
			return fmt.Sprintf("end %d is not a time", c.Num)
		}
	case ControlReleaseRate:
		if c.Num > math.MaxUint32 {
			return fmt.Sprintf("release_per_sec %d is above %d", c.Num, uint32(math.MaxUint32))
		}
	case ControlSetWaitlist:
		if c.Num < s.econ.joined() {
			return fmt.Sprintf("waitlist %d is below the %d users already waitlisted", c.Num, s.econ.joined())
		}
	}
	return ""
}

// CheckLiveSetting is ApplyControl's (and the audit's) check of a stored record of these
// kinds: its argument must be possible at its place in the log. (The
// time-based refusals are the live decision's; a stored record is judged
// by what it says.)
func (s *Shard) CheckLiveSetting(c *Control) error {
	if !isLiveSetting(c.Kind) {
		return nil
	}
	if why := s.badLiveSetting(c); why != "" {
		return fmt.Errorf("%w: %s/%s control %d: %s", ErrBadControl, c.Activity, c.SKU, c.Seq, why)
	}
	return nil
}

func (s *Shard) liveSettingUnchanged(c *Control) bool {
	switch c.Kind {
	case ControlSetEnd:
		return s.end == int64(c.Num)
	case ControlReleaseRate:
		return s.releasePerSec == uint32(c.Num)
	}
	return s.waitlist == c.Num
}

func (s *Shard) applyLiveSetting(c *Control) {
	switch c.Kind {
	case ControlSetEnd:
		s.end = int64(c.Num)
	case ControlReleaseRate:
		// The second under way keeps its count: a lower rate than the
		// units released in it makes the rest of it busy.
		s.releasePerSec = uint32(c.Num)
	case ControlSetWaitlist:
		s.waitlist = c.Num
	}
}

func fmtUnixNano(t int64) string { return time.Unix(0, t).UTC().Format(time.RFC3339Nano) }
