package server

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"seckill/engine"
	"seckill/internal/app/admin"
	"seckill/internal/config"
	"seckill/internal/live/shardloop"
	"seckill/internal/live/uidset"
	"seckill/internal/store/auditlog"
	"seckill/wal"
)

// SetPaused pauses or resumes the SKUs of activity (all of them, or only
// sku) through their shards (admin.Engine).
func (s *Server) SetPaused(ctx context.Context, activity, sku string, paused bool) (admin.ControlOutcome, error) {
	kind := engine.ControlResume
	if paused {
		kind = engine.ControlPause
	}
	return s.control(ctx, activity, sku, engine.Control{Kind: kind, Source: engine.SourceOperator})
}

// SetReservations puts set in force as activity's reservation list on every
// SKU of it (admin.Engine). The list is stored (synced, by digest) before
// any control record names it.
func (s *Server) SetReservations(ctx context.Context, activity string, set *uidset.Set) (admin.ControlOutcome, error) {
	act := s.activity(activity)
	if act == nil || act.Reservation != "required" {
		return admin.ControlOutcome{}, fmt.Errorf("%w: activity %q does not require reservations", admin.ErrNotFound, activity)
	}
	if err := auditlog.StoreReservations(s.store, set); err != nil {
		return admin.ControlOutcome{}, fmt.Errorf("%w: %w", admin.ErrUnavailable, err)
	}
	return s.control(ctx, activity, "", reservationsControl(set, engine.SourceOperator))
}

func reservationsControl(set *uidset.Set, src engine.ControlSource) engine.Control {
	return engine.Control{Kind: engine.ControlReservations, Source: src, Digest: set.Digest(), Num: uint64(set.Len()), Set: set}
}

// control hands change to every shard of activity (or only sku's) and
// waits for each durable answer. An activity-wide change is one control
// record per shard, each decided in sequence with that shard's attempts;
// the shards take it concurrently, so their commits share fsyncs. If one
// shard fails, the others may have made the change: the outcome counts
// them, and the operator can repeat the request (a shard already in that
// state answers unchanged).
func (s *Server) control(ctx context.Context, activity, sku string, change engine.Control) (admin.ControlOutcome, error) {
	loops := s.loopsOf(activity, sku)
	if len(loops) == 0 {
		return admin.ControlOutcome{}, fmt.Errorf("%w: no sku matches activity %q sku %q", admin.ErrNotFound, activity, sku)
	}
	return s.controlLoops(ctx, loops, activity, change)
}

// controlLoops hands change to each of loops and waits for each durable
// answer (see control); scope names them in the log. A shard that refuses
// the change (engine.Shard.Refusal) makes the error wrap admin.ErrRefused
// with its reason, unless another could not make it at all.
func (s *Server) controlLoops(ctx context.Context, loops []*shardloop.Loop, scope string, change engine.Control) (admin.ControlOutcome, error) {
	results := make([]shardloop.ControlResult, len(loops))
	errs := make([]error, len(loops))
	var wg sync.WaitGroup
	for i, l := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = l.Control(ctx, change)
		}()
	}
	wg.Wait()
	out := admin.ControlOutcome{SKUs: len(loops)}
	var failed, refused []string
	for i, r := range results {
		switch {
		case errs[i] != nil:
			failed = append(failed, fmt.Sprintf("%s: %v", loops[i].Spec().SKU, errs[i]))
		case r.Verdict == engine.ControlApplied:
			out.Applied++
			s.log.Info("control recorded", "activity", r.Record.Activity, "sku", r.Record.SKU, "kind", r.Record.Kind.String(), "seq", r.Record.Seq, "after_wins", r.Record.AfterWins)
		case r.Verdict == engine.ControlUnchanged:
			out.Unchanged++
		case r.Verdict == engine.ControlRefused:
			refused = append(refused, fmt.Sprintf("%s: %v", loops[i].Spec().SKU, r.Reason))
		default:
			failed = append(failed, fmt.Sprintf("%s: %v", loops[i].Spec().SKU, r.Verdict))
		}
	}
	if len(failed) > 0 {
		return out, fmt.Errorf("%w: %s control on %d of %d skus of %s not made: %v", admin.ErrUnavailable, change.Kind, len(failed)+len(refused), len(loops), scope, append(failed, refused...))
	}
	if len(refused) > 0 && change.Kind != engine.ControlSetStock {
		// The shards' state no longer allows it (a beacon after the
		// lottery window closed).
		return out, fmt.Errorf("%w: %s control on %d of %d skus refused: %v", admin.ErrConflict, change.Kind, len(refused), len(loops), refused)
	}
	if len(refused) > 0 {
		return out, fmt.Errorf("%w: %s on %d of %d skus of %s: %s", admin.ErrRefused, change.Kind, len(refused), len(loops), scope, strings.Join(refused, "; "))
	}
	return out, nil
}

// loopsOf returns the loops of activity's SKUs (all, or only sku's).
func (s *Server) loopsOf(activity, sku string) []*shardloop.Loop {
	s.liveMu.RLock()
	defer s.liveMu.RUnlock()
	var loops []*shardloop.Loop
	for _, l := range s.loops {
		sp := l.Spec()
		if sp.Activity == activity && (sku == "" || sp.SKU == sku) {
			loops = append(loops, l)
		}
	}
	return loops
}

// applyConfigReservations puts the configured reservation lists in force
// on the recovered shards before serving (ApplyConfigReservations).
func (s *Server) applyConfigReservations(shards map[[2]string]*engine.Shard) error {
	n, err := ApplyConfigReservations(s.store, s.cfg.Activities, func(act *config.Activity) (*uidset.Set, error) {
		return uidset.LoadFile(act.ReservationsFile)
	}, func(activity, sku string) *engine.Shard {
		return shards[[2]string{activity, sku}]
	}, time.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if n > 0 {
		s.log.Info("configured reservation lists recorded", "shards", n)
	}
	return nil
}

// ApplyConfigReservations puts each reservation activity's configured list
// in force on its recovered shards, before they serve, where it differs
// from the list the configuration gave last time (a first start, or an
// edited reservations_file, as listOf reads it): one control record per
// shard, with
// engine.SourceConfig. A list the operator put in force while serving is
// thus kept across a restart with the same file. The lists are stored
// first, then the records in one synced batch; it returns how many shards
// recorded one. The simulation (internal/testkit/sim) assembles its engine
// with it too.
func ApplyConfigReservations(store *wal.Log, acts []config.Activity, listOf func(act *config.Activity) (*uidset.Set, error),
	shardOf func(activity, sku string) *engine.Shard, nowUnixNano int64) (int, error) {
	var controls []engine.Control
	for ai := range acts {
		act := &acts[ai]
		if act.Reservation != "required" {
			continue
		}
		set, err := listOf(act)
		if err != nil {
			return 0, fmt.Errorf("activity %s: reservations: %w", act.ID, err)
		}
		digest := set.Digest()
		stored := false
		for ii := range act.Items {
			shard := shardOf(act.ID, act.Items[ii].SKU)
			if shard == nil || shard.ConfigReservations() == digest {
				continue
			}
			if !stored {
				if err := auditlog.StoreReservations(store, set); err != nil {
					return 0, fmt.Errorf("activity %s: %w", act.ID, err)
				}
				stored = true
			}
			c := reservationsControl(set, engine.SourceConfig)
			c.TimeUnixNano = nowUnixNano
			if shard.Control(&c) == engine.ControlApplied {
				controls = append(controls, c)
			}
		}
	}
	if err := store.Append(nil, controls); err != nil {
		return 0, fmt.Errorf("record the configured reservation lists: %w", err)
	}
	return len(controls), nil
}

// activity returns the configured activity id, or nil.
func (s *Server) activity(id string) *config.Activity {
	s.liveMu.RLock()
	defer s.liveMu.RUnlock()
	return s.activityLocked(id)
}

// activityLocked is activity for a caller holding liveMu.
func (s *Server) activityLocked(id string) *config.Activity {
	for i := range s.cfg.Activities {
		if s.cfg.Activities[i].ID == id {
			return &s.cfg.Activities[i]
		}
	}
	return nil
}
