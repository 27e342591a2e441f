package server

import (
	"context"

	"seckill/internal/config"
	"seckill/internal/live/gate"
	"seckill/internal/live/nethttpfront"
	"seckill/netpoll"
)

// frontEnd is what Run needs of a public front end: serve until stopped,
// say when it accepts, drain queued attempts, stop.
type frontEnd interface {
	Run() error
	Booted() <-chan struct{}
	Drain(ctx context.Context) error
	Stop(ctx context.Context) error
}

// newFrontEnd builds the front end server.front_end names: the gnet event
// loop (production), its constant-answer floor, or net/http, the latter two
// for benchmarks. All of them share the same gate and shards.
func (s *Server) newFrontEnd(maxConns int) frontEnd {
	sc := &s.cfg.Server
	s.log.Info("front end", "kind", sc.FrontEnd)
	if sc.FrontEnd == config.FrontEndNetHTTP {
		return nethttpfront.New(nethttpfront.Options{
			Addr:           sc.Listen,
			Gate:           s.gate,
			MaxHeadBytes:   sc.ReadBuffer,
			IdleTimeout:    sc.IdleTimeout,
			MaxConnections: maxConns,
			Logger:         s.log,
		})
	}
	return netpoll.New(netpoll.Options{
		Addr:           "tcp://" + sc.Listen,
		Gate:           s.gate,
		ReadBuffer:     sc.ReadBuffer,
		MaxHeadBytes:   sc.MaxHeadBytes,
		ProxyProtocol:  sc.ProxyProtocol,
		TrustedProxies: gate.NewProxies(sc.ParsedTrustedProxies),
		IdleTimeout:    sc.IdleTimeout,
		MaxConnections: maxConns,
		Floor:          sc.FrontEnd == config.FrontEndFloor,
		Logger:         s.log,
	})
}
