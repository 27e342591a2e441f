package sim

import (
	"fmt"
	"time"

	"seckill/internal/live/uidset"
	"seckill/internal/store/auditlog"
)

// This file is the simulation's control-change driver: the operator's
// pause, resume and reservation swaps, made the way the admin API makes
// them (internal/app/admin: flip the route, or swap the set, then record
// the activity's configuration in the audit log, as the server's
// RecordConfig does, with the simulated time).

// setPaused pauses or resumes one SKU and records the change.
func (in *instance) setPaused(s *sale, sku int, paused bool) error {
	in.routes[sku].SetPaused(paused)
	reason := auditlog.ReasonResume
	if paused {
		reason = auditlog.ReasonPause
	}
	return in.recordConfig(s.skus[sku].act.ID, reason)
}

// swapReservations replaces an activity's reservation list and records the
// change.
func (in *instance) swapReservations(activity string, set *uidset.Set) error {
	in.resv[activity].Store(set)
	return in.recordConfig(activity, auditlog.ReasonReservations)
}

// recordConfig stores the activity's configuration as it is in force now,
// when it changed, as server.RecordConfig does.
func (in *instance) recordConfig(activity, reason string) error {
	var resv *uidset.Set
	if p := in.resv[activity]; p != nil {
		resv = p.Load()
	}
	for i := range in.cfg.Activities {
		act := &in.cfg.Activities[i]
		if act.ID != activity {
			continue
		}
		paused := map[string]bool{}
		for _, q := range in.routes {
			if q.Activity == activity {
				paused[q.SKU] = q.Paused()
			}
		}
		c := auditlog.FromActivity(act, resv, func(sku string) bool { return paused[sku] }, reason, time.Unix(0, in.clock.read()))
		if _, err := in.rec.Record(c, resv); err != nil {
			return fmt.Errorf("record config of %s: %w", activity, err)
		}
		return nil
	}
	return fmt.Errorf("no activity %q", activity)
}
