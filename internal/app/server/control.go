package server

import (
	"context"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"seckill/engine"
	"seckill/internal/app/admin"
	"seckill/internal/config"
	"seckill/internal/live/shardloop"
	"seckill/internal/live/uidset"
	"seckill/internal/store/auditlog"
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
	var loops []*shardloop.Loop
	for _, l := range s.loops {
		sp := l.Spec()
		if sp.Activity == activity && (sku == "" || sp.SKU == sku) {
			loops = append(loops, l)
		}
	}
	if len(loops) == 0 {
		return admin.ControlOutcome{}, fmt.Errorf("%w: no sku matches activity %q sku %q", admin.ErrNotFound, activity, sku)
	}
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
	var failed []string
	for i, r := range results {
		switch {
		case errs[i] != nil:
			failed = append(failed, fmt.Sprintf("%s: %v", loops[i].Spec().SKU, errs[i]))
		case r.Verdict == engine.ControlApplied:
			out.Applied++
			s.log.Info("control recorded", "activity", activity, "sku", r.Record.SKU, "kind", r.Record.Kind.String(), "seq", r.Record.Seq, "after_wins", r.Record.AfterWins)
		case r.Verdict == engine.ControlUnchanged:
			out.Unchanged++
		default:
			failed = append(failed, fmt.Sprintf("%s: %v", loops[i].Spec().SKU, r.Verdict))
		}
	}
	if len(failed) > 0 {
		return out, fmt.Errorf("%w: %s control on %d of %d skus not made: %v", admin.ErrUnavailable, change.Kind, len(failed), len(loops), failed)
	}
	return out, nil
}

// applyConfigReservations puts each reservation activity's configured list
// in force on its recovered shards, before serving, where it differs from
// the list the configuration gave last time (a first start, or an edited
// reservations_file). A list the operator put in force while serving is
// kept across a restart with the same file. The records go to the store in
// one synced batch, after the lists they name.
func (s *Server) applyConfigReservations(shards map[[2]string]*engine.Shard) error {
	var controls []engine.Control
	now := time.Now().UnixNano()
	for ai := range s.cfg.Activities {
		act := &s.cfg.Activities[ai]
		if act.Reservation != "required" {
			continue
		}
		set, err := uidset.LoadFile(act.ReservationsFile)
		if err != nil {
			return fmt.Errorf("server: activity %s: reservations: %w", act.ID, err)
		}
		digest := set.Digest()
		stored := false
		for ii := range act.Items {
			shard := shards[[2]string{act.ID, act.Items[ii].SKU}]
			if shard.ConfigReservations() == digest {
				continue
			}
			if !stored {
				if err := auditlog.StoreReservations(s.store, set); err != nil {
					return fmt.Errorf("server: activity %s: %w", act.ID, err)
				}
				stored = true
			}
			c := reservationsControl(set, engine.SourceConfig)
			c.TimeUnixNano = now
			if v := shard.Control(&c); v == engine.ControlApplied {
				controls = append(controls, c)
			}
		}
		s.log.Info("reservations", "activity", act.ID, "file_uids", set.Len(), "file_digest", hex.EncodeToString(digest[:8]), "recorded", stored)
	}
	if err := s.store.Append(nil, controls); err != nil {
		return fmt.Errorf("server: record the configured reservation lists: %w", err)
	}
	return nil
}

// activity returns the configured activity id, or nil.
func (s *Server) activity(id string) *config.Activity {
	for i := range s.cfg.Activities {
		if s.cfg.Activities[i].ID == id {
			return &s.cfg.Activities[i]
		}
	}
	return nil
}
