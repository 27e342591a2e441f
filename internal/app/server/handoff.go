package server

import (
	"fmt"

	"seckill/internal/config"
	"seckill/internal/handoff/export"
	"seckill/internal/handoff/push"
	"seckill/internal/live/shardloop"
)

// handoff is how the engine hands its winners to the mall while it serves:
// the exporter behind POST /admin/export (the store is locked to this
// process, so the nightly file of a running engine is made here) and, when
// [export] push_url is set, the live pusher.
type handoff struct {
	exporter *export.Exporter
	pusher   *push.Pusher
}

// openHandoff creates the exporter and the pusher over the open store; the
// pusher must exist before the loops, which signal it.
func (s *Server) openHandoff() error {
	ex, err := export.New(s.store, s.cfg.Export.Dir, s.cfg.Server.DataDir, s.log)
	if err != nil {
		return fmt.Errorf("server: export.dir: %w", err)
	}
	s.handoff.exporter = ex
	if s.cfg.Export.PushURL == "" {
		return nil
	}
	opts := PushOptions(s.cfg.Export)
	opts.Logger = s.log
	p, err := push.New(s.store, opts)
	if err != nil {
		return fmt.Errorf("server: push: %w", err)
	}
	s.handoff.pusher = p
	return nil
}

// PushOptions are the live push's settings from a validated [export]
// section (which bounds and defaults each); cmd/seckill's re-push uses them
// too.
func PushOptions(e config.Export) push.Options {
	return push.Options{URL: e.PushURL, Secret: e.PushSecretBytes, CAFile: e.PushCAFile, Batch: e.PushBatch,
		Timeout: e.PushTimeout, MaxAttempts: e.PushMaxAttempts, Backoff: e.PushBackoff, BackoffMax: e.PushBackoffMax}
}

// wireDurable makes loop wake the pusher after each durable commit.
func (s *Server) wireDurable(loop *shardloop.Loop) {
	if s.handoff.pusher != nil {
		loop.OnDurable(s.handoff.pusher.Notify())
	}
}

// startPush starts the live push once the engine serves.
func (s *Server) startPush() {
	if p := s.handoff.pusher; p != nil {
		if err := p.Start(); err != nil {
			s.log.Error("push not started", "err", err)
			return
		}
		s.log.Info("pushing winners to the mall", "url", s.cfg.Export.PushURL)
	}
}

// stopPush stops the live push before the store closes; what it had not
// delivered stays pending in the store.
func (s *Server) stopPush() {
	if p := s.handoff.pusher; p != nil {
		p.Stop()
	}
}

// Exporter exports the running engine's winners (POST /admin/export).
func (s *Server) Exporter() *export.Exporter { return s.handoff.exporter }

// Pusher is the live push, or nil when push_url is empty.
func (s *Server) Pusher() *push.Pusher { return s.handoff.pusher }
