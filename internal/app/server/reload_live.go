package server

import (
	"context"
	"fmt"
	"slices"
	"time"

	"seckill/engine"
	"seckill/internal/config"
)

// liveChanges are a reload's changes to settings the shards decide by,
// each a control record with source config (engine.ControlSetEnd,
// ControlReleaseRate, ControlSetWaitlist), so recovery and replay judge
// the attempts after it by the new value.
type liveChanges struct {
	ends      []endChange
	rates     []itemChange
	waitlists []itemChange
}

// endChange is a round's end moved to a future time.
type endChange struct {
	field    string // activity[N].end
	activity string
	end      time.Time
}

// itemChange is a new value of one item's setting.
type itemChange struct {
	field    string // activity[N].item[M].release_per_sec or .waitlist
	activity string
	sku      string
	value    uint64
}

// planLive checks d's live changes of activity a (base: its entry as it
// runs) against the running shards and rounds, adds those that fit to
// plan, and returns the refusals, each naming its field: an end moved on a
// round an end-now record ended, or into the window of another round of
// one of its SKUs; a waitlist below the users already waitlisted.
func (s *Server) planLive(plan *liveChanges, running *config.Config, a, base *config.Activity, d liveChanges) config.Problems {
	var refused config.Problems
	refuse := func(field, why string) { refused = append(refused, config.Problem{Field: field, Message: why}) }
	for _, e := range d.ends {
		e.activity = a.ID
		if why := s.refuseEnd(running, base, e.end); why != "" {
			refuse(e.field, why)
			continue
		}
		plan.ends = append(plan.ends, e)
	}
	for _, r := range d.rates {
		r.activity = a.ID
		plan.rates = append(plan.rates, r)
	}
	for _, w := range d.waitlists {
		w.activity = a.ID
		if why := s.refuseWaitlist(w); why != "" {
			refuse(w.field, why)
			continue
		}
		plan.waitlists = append(plan.waitlists, w)
	}
	return refused
}

// refuseEnd says why act's end cannot move to end, or "".
func (s *Server) refuseEnd(running *config.Config, act *config.Activity, end time.Time) string {
	for _, l := range s.loopsOf(act.ID, "") {
		if l.Public().Ended() {
			return "the round was ended (POST /admin/end or an earlier reload); an ended round stays ended (add a new round to sell again)"
		}
	}
	if !end.After(act.StartTime) {
		return fmt.Sprintf("the end %s is not after the start %s", end.UTC().Format(time.RFC3339), act.StartTime.UTC().Format(time.RFC3339))
	}
	for i := range running.Activities {
		other := &running.Activities[i]
		if other.ID == act.ID || !other.StartTime.Before(end) || !act.StartTime.Before(other.EndTime) {
			continue
		}
		for _, it := range act.Items {
			if other.Item(it.SKU) != nil {
				return fmt.Sprintf("the end %s would overlap round %q, which sells sku %q from %s", end.UTC().Format(time.RFC3339), other.ID, it.SKU, other.StartTime.UTC().Format(time.RFC3339))
			}
		}
	}
	return ""
}

// refuseWaitlist says why w's waitlist cannot be set now, or "".
func (s *Server) refuseWaitlist(w itemChange) string {
	loops := s.loopsOf(w.activity, w.sku)
	if len(loops) == 0 {
		return fmt.Sprintf("no running sku %q in activity %q", w.sku, w.activity)
	}
	if n := loops[0].Public().Waitlisted(); w.value < uint64(n) {
		return fmt.Sprintf("waitlist %d is below the %d users already waitlisted", w.value, n)
	}
	return ""
}

// applyRefusable makes the changes a shard may refuse even after the plan's
// checks (a sale moves on meanwhile): waitlists, stocks, moved ends, in
// that order. It returns the fields it applied; on an error, those are in
// force and recorded, and the one it names and those after it are not.
func (s *Server) applyRefusable(ctx context.Context, plan *reloadPlan) ([]string, error) {
	var applied []string
	for _, w := range plan.live.waitlists {
		change := engine.SetWaitlist(w.value)
		if err := s.reloadControl(ctx, w.activity, w.sku, change); err != nil {
			return applied, fmt.Errorf("server: reload: %s: %w", w.field, err)
		}
		s.updateItem(w.activity, w.sku, func(it *config.Item) { it.Waitlist = int(w.value) })
		applied = append(applied, w.field)
	}
	for _, sc := range plan.stocks {
		old := s.item(sc.activity, sc.sku).QuotaPercent
		s.updateItem(sc.activity, sc.sku, func(it *config.Item) { it.QuotaPercent = sc.quotaPercent }) // setStock takes the quota from it
		if _, err := s.setStock(ctx, sc.activity, sc.sku, sc.stock, engine.SourceConfig); err != nil {
			s.updateItem(sc.activity, sc.sku, func(it *config.Item) { it.QuotaPercent = old })
			return applied, fmt.Errorf("server: reload: %s: %w", sc.field, err)
		}
		s.updateItem(sc.activity, sc.sku, func(it *config.Item) { it.Stock = int64(sc.stock) })
		applied = append(applied, sc.field)
	}
	for _, e := range plan.live.ends {
		change := engine.SetEnd(e.end.UnixNano())
		if err := s.reloadControl(ctx, e.activity, "", change); err != nil {
			return applied, fmt.Errorf("server: reload: %s: %w", e.field, err)
		}
		s.liveMu.Lock()
		s.activityLocked(e.activity).EndTime = e.end // the overlap checks and the reload's config record see it
		s.liveMu.Unlock()
		applied = append(applied, e.field)
	}
	return applied, nil
}

// applyRates puts the new release rates in force.
func (s *Server) applyRates(ctx context.Context, rates []itemChange) error {
	for _, r := range rates {
		if err := s.reloadControl(ctx, r.activity, r.sku, engine.SetReleaseRate(uint32(r.value))); err != nil {
			return fmt.Errorf("server: reload: %s: %w", r.field, err)
		}
		s.updateItem(r.activity, r.sku, func(it *config.Item) { it.ReleasePerSec = int(r.value) })
	}
	return nil
}

// reloadControl hands a reload's change to the shards of activity (all, or
// sku's), stamped now and with source config.
func (s *Server) reloadControl(ctx context.Context, activity, sku string, change engine.Control) error {
	change.Source, change.TimeUnixNano = engine.SourceConfig, time.Now().UnixNano()
	_, err := s.control(ctx, activity, sku, change)
	return err
}

// updateItem changes the running configuration's item, so the admin API
// (a later POST /admin/stock takes the quota_percent in force) and the
// reload's config record see the value the shards now have.
func (s *Server) updateItem(activity, sku string, change func(*config.Item)) {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	if act := s.activityLocked(activity); act != nil {
		if i := slices.IndexFunc(act.Items, func(it config.Item) bool { return it.SKU == sku }); i >= 0 {
			change(&act.Items[i])
		}
	}
}
