package server

import (
	"fmt"
	"sync"
	"time"

	"seckill/internal/config"
	"seckill/internal/live/uidset"
	"seckill/internal/store/auditlog"
)

// auditState writes the config records the audit needs (package auditlog):
// one per activity when serving starts, and one after each admin change.
// mu makes taking the snapshot and writing it one step, so that two admin
// changes racing cannot store their snapshots in the wrong order.
type auditState struct {
	mu  sync.Mutex
	rec *auditlog.Recorder
}

// recordConfigs writes, after recovery and before serving, a config record
// for every activity whose effective configuration differs from the last
// one stored (a first start, or a restart with a changed config file).
func (s *Server) recordConfigs() error {
	rec, err := auditlog.NewRecorder(s.store)
	if err != nil {
		return fmt.Errorf("server: audit log: %w", err)
	}
	s.audit.rec = rec
	for i := range s.cfg.Activities {
		if err := s.RecordConfig(s.cfg.Activities[i].ID, auditlog.ReasonStart); err != nil {
			return err
		}
	}
	return nil
}

// RecordConfig stores activity's configuration as it is in force now, if
// it changed since the last record; the admin API calls it after a change
// has taken effect (admin.ConfigRecorder). The record is synced before it
// returns.
func (s *Server) RecordConfig(activity, reason string) error {
	s.audit.mu.Lock()
	defer s.audit.mu.Unlock()
	var act *config.Activity
	for i := range s.cfg.Activities {
		if s.cfg.Activities[i].ID == activity {
			act = &s.cfg.Activities[i]
		}
	}
	if act == nil {
		return fmt.Errorf("server: audit log: no activity %q", activity)
	}
	var resv *uidset.Set
	if p := s.reservations[activity]; p != nil {
		resv = p.Load()
	}
	paused := map[string]bool{}
	for _, r := range s.routes {
		if r.Activity == activity {
			paused[r.SKU] = r.Paused()
		}
	}
	c := auditlog.FromActivity(act, resv, func(sku string) bool { return paused[sku] }, reason, time.Now())
	wrote, err := s.audit.rec.Record(c, resv)
	if err != nil {
		return fmt.Errorf("server: audit log: %w", err)
	}
	if wrote {
		s.log.Info("config recorded for audit", "activity", activity, "reason", reason, "seq", c.Seq)
	}
	return nil
}
