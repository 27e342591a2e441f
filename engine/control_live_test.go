package engine

import (
	"errors"
	"math"
	"testing"
)

// TestLiveSettingControls: set_end, release_rate and set_waitlist change
// the decisions after them, are refused where SPEC and ADMIN.md say
// (an ended round stays ended, a waitlist never below the users in it),
// leave an equal value unchanged, and a shard rebuilt from the log
// (recovery, replay) ends with the same values and chain head.
func TestLiveSettingControls(t *testing.T) {
	type step struct {
		name    string
		buy     uint64 // uid to buy (0: a control instead)
		now     int64
		want    Result
		kind    ControlKind
		num     uint64
		verdict ControlVerdict
	}
	buy := func(name string, uid uint64, now int64, want Result) step {
		return step{name: name, buy: uid, now: now, want: want}
	}
	ctl := func(name string, kind ControlKind, num uint64, now int64, v ControlVerdict) step {
		return step{name: name, kind: kind, num: num, now: now, verdict: v}
	}
	tests := []struct {
		name  string
		spec  func(*Spec)
		steps []step
		end   int64
		rate  uint32
		wait  uint64
	}{
		{"end moved later", nil, []step{
			buy("after the configured end", 1, 21e9, Ended),
			ctl("later end", ControlSetEnd, 30e9, 15e9, ControlApplied),
			buy("after the old end, before the new", 1, 25e9, Won),
			buy("at the new end", 2, 30e9, Ended),
			ctl("same end again", ControlSetEnd, 30e9, 16e9, ControlUnchanged),
		}, 30e9, 0, 0},
		{"end moved earlier, still ahead", nil, []step{
			ctl("earlier end", ControlSetEnd, 15e9, 12e9, ControlApplied),
			buy("before the new end", 1, 14e9, Won),
			buy("after the new end", 2, 16e9, Ended),
		}, 15e9, 0, 0},
		{"an ended round stays ended", nil, []step{
			ctl("moved after the end passed", ControlSetEnd, 40e9, 21e9, ControlRefused),
			buy("still ended", 1, 25e9, Ended),
		}, 20e9, 0, 0},
		{"no reopening after end now", nil, []step{
			ctl("end now", ControlEndNow, 0, 12e9, ControlApplied),
			ctl("a later end", ControlSetEnd, 40e9, 13e9, ControlRefused),
			buy("still ended", 1, 14e9, Ended),
		}, 20e9, 0, 0},
		{"end not after the change", nil, []step{
			ctl("end in the past", ControlSetEnd, 11e9, 12e9, ControlRefused),
			ctl("end before the start", ControlSetEnd, 9e9, 8e9, ControlRefused),
			ctl("no time", ControlSetEnd, 0, 8e9, ControlRefused),
			ctl("beyond int64", ControlSetEnd, math.MaxUint64, 8e9, ControlRefused),
		}, 20e9, 0, 0},
		{"release rate raised and lifted", func(s *Spec) { s.ReleasePerSec = 1 }, []step{
			buy("first of the second", 1, 11e9, Won),
			buy("second of the second", 2, 11e9+1, Busy),
			ctl("rate 2", ControlReleaseRate, 2, 11e9+2, ControlApplied),
			buy("second release now allowed", 2, 11e9+3, Won),
			buy("third of the second", 3, 11e9+4, Busy),
			ctl("same rate", ControlReleaseRate, 2, 11e9+5, ControlUnchanged),
			ctl("no limit", ControlReleaseRate, 0, 11e9+6, ControlApplied),
			buy("no limit now", 3, 11e9+7, Won),
			ctl("above uint32", ControlReleaseRate, math.MaxUint32+1, 11e9+8, ControlRefused),
		}, 20e9, 0, 0},
		{"release rate lowered mid-second", nil, []step{
			buy("unlimited", 1, 11e9, Won),
			ctl("rate 1", ControlReleaseRate, 1, 11e9+1, ControlApplied),
			buy("the second's unlimited release counts", 2, 11e9+2, Busy),
			buy("next second", 2, 12e9, Won),
			buy("spent", 3, 12e9+1, Busy),
		}, 20e9, 1, 0},
		{"waitlist opened and bounded", func(s *Spec) { s.Quota = 1 }, []step{
			buy("the quota", 1, 11e9, Won),
			buy("no waitlist", 2, 11e9, SoldOut),
			ctl("waitlist 2", ControlSetWaitlist, 2, 11e9, ControlApplied),
			buy("first place", 2, 11e9, Waitlisted),
			ctl("below the waiting", ControlSetWaitlist, 0, 11e9, ControlRefused),
			ctl("down to the waiting", ControlSetWaitlist, 1, 11e9, ControlApplied),
			buy("full", 3, 11e9, SoldOut),
			ctl("same length", ControlSetWaitlist, 1, 11e9, ControlUnchanged),
		}, 20e9, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := testSpec()
			if tc.spec != nil {
				tc.spec(&spec)
			}
			l := newEconLog(t, spec)
			for _, st := range tc.steps {
				if st.buy != 0 {
					if r := l.buy(st.buy, st.now).Result; r != st.want {
						t.Fatalf("%s: uid %d got %v, want %v", st.name, st.buy, r, st.want)
					}
					continue
				}
				before := l.s.ChainHead()
				c := Control{Kind: st.kind, Num: st.num, TimeUnixNano: st.now}
				if why := l.s.Refusal(&c); (why != "") != (st.verdict == ControlRefused) {
					t.Fatalf("%s: Refusal %q with verdict %v expected", st.name, why, st.verdict)
				}
				v, _ := l.report(st.kind, st.num, 0, st.now)
				if v != st.verdict {
					t.Fatalf("%s: %v, want %v", st.name, v, st.verdict)
				}
				if v != ControlApplied && l.s.ChainHead() != before {
					t.Fatalf("%s: %v moved the control strand", st.name, v)
				}
			}
			if l.s.End() != tc.end || l.s.ReleasePerSec() != tc.rate || l.s.Waitlist() != tc.wait {
				t.Fatalf("in force: end %d rate %d waitlist %d, want %d %d %d", l.s.End(), l.s.ReleasePerSec(), l.s.Waitlist(), tc.end, tc.rate, tc.wait)
			}
			r, err := l.recover(spec)
			if err != nil {
				t.Fatalf("recover: %v", err)
			}
			if r.ChainHead() != l.s.ChainHead() || r.End() != tc.end || r.ReleasePerSec() != tc.rate || r.Waitlist() != tc.wait {
				t.Fatalf("recovered end %d rate %d waitlist %d head %+v, live %+v", r.End(), r.ReleasePerSec(), r.Waitlist(), r.ChainHead(), l.s.ChainHead())
			}
		})
	}
}

// TestLiveSettingRecoveryRefusesBadRecords: a stored record that continues
// the chain but whose argument is impossible at its place (a waitlist below
// the users already in it, an end that is no time, a rate beyond uint32)
// stops recovery with ErrBadControl instead of being put in force.
func TestLiveSettingRecoveryRefusesBadRecords(t *testing.T) {
	spec := testSpec()
	spec.Quota, spec.Waitlist = 1, 1
	tests := []struct {
		name string
		c    Control
	}{
		{"waitlist below the waiting", SetWaitlist(0)},
		{"end zero", Control{Kind: ControlSetEnd}},
		{"rate beyond uint32", Control{Kind: ControlReleaseRate, Num: math.MaxUint32 + 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newEconLog(t, spec)
			l.buy(1, 11e9)
			if r := l.buy(2, 11e9).Result; r != Waitlisted {
				t.Fatalf("uid 2: %v", r)
			}
			c := tc.c
			l.s.complete(&c) // placed and hashed as a live record would be
			l.records, l.order = append(l.records, c), append(l.order, false)
			if _, err := l.recover(spec); !errors.Is(err, ErrBadControl) {
				t.Fatalf("recover: %v, want ErrBadControl", err)
			}
		})
	}
}
