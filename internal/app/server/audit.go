package server

import (
	"fmt"
	"time"

	"seckill/internal/config"
	"seckill/internal/store/auditlog"
)

// recordConfigs writes, after recovery and before serving, a config record
// (package auditlog) for every activity whose effective configuration
// differs from the last one stored: a first start, or a restart with a
// changed config file. Changes made while serving are control records,
// written by the shards in sequence with their wins (control.go).
func (s *Server) recordConfigs() error {
	rec, err := auditlog.NewRecorder(s.store)
	if err != nil {
		return fmt.Errorf("server: audit log: %w", err)
	}
	now := time.Now()
	for i := range s.cfg.Activities {
		c := ConfigRecord(&s.cfg.Activities[i], now)
		wrote, err := rec.Record(c)
		if err != nil {
			return fmt.Errorf("server: audit log: %w", err)
		}
		if wrote {
			s.log.Info("config recorded for audit", "activity", c.Activity, "seq", c.Seq)
		}
	}
	return nil
}

// ConfigRecord describes act as the audit needs it, in force from now: the
// config record (package auditlog) a start writes when it differs from the
// last one.
func ConfigRecord(act *config.Activity, now time.Time) *auditlog.Config {
	c := &auditlog.Config{
		Version:       auditlog.Version,
		Activity:      act.ID,
		Title:         act.Title,
		FailText:      act.FailText,
		DeliveryHint:  act.DeliveryHint,
		Reason:        auditlog.ReasonStart,
		TimeUnixNano:  now.UnixNano(),
		StartUnixNano: act.StartTime.UnixNano(),
		EndUnixNano:   act.EndTime.UnixNano(),
		Limit:         act.Limit,
		Reservation:   act.Reservation,
		Captcha:       act.Captcha,
		AdmitPerSec:   act.AdmitPerSec,
		Queue:         act.Queue,
	}
	for _, it := range act.Items {
		c.Items = append(c.Items, auditlog.Item{
			SKU:           it.SKU,
			Stock:         it.Stock,
			QuotaPercent:  it.QuotaPercent,
			Quota:         it.Quota(),
			Waitlist:      it.Waitlist,
			ReleasePerSec: it.ReleasePerSec,
			Price:         it.Price,
			Name:          it.Name,
			Variant:       it.Variant,
		})
	}
	return c
}
