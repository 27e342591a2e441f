package nethttpfront

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"seckill/internal/live/gate"
)

// ErrStopped is returned by Run when net/http stopped serving although
// nobody asked it to. The caller must treat it as fatal.
var ErrStopped = errors.New("nethttpfront: server stopped unexpectedly")

// Options configure the front end; the caller passes validated
// configuration.
type Options struct {
	Addr           string // host:port to listen on
	Gate           *gate.Gate
	MaxHeadBytes   int           // request line + headers; longer gets 431
	IdleTimeout    time.Duration // an incomplete request is closed after this
	MaxConnections int           // beyond this a connection gets busy and is closed
	Logger         *slog.Logger
}

// Server serves the public API with net/http.
type Server struct {
	opts   Options
	gate   *gate.Gate
	log    *slog.Logger
	http   *http.Server
	booted chan struct{}

	open     atomic.Int64 // connections currently open
	queued   atomic.Int64 // attempts waiting for a shard
	refused  atomic.Int64 // connections refused over max_connections
	draining atomic.Bool
	stopping atomic.Bool
	bootOnce sync.Once
}

// New returns a server; Run starts it.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{opts: opts, gate: opts.Gate, log: opts.Logger, booted: make(chan struct{})}
	s.http = &http.Server{
		Handler: s,
		// ReadHeaderTimeout is net/http's form of idle_timeout: a request
		// head that has not arrived in time closes the connection.
		ReadHeaderTimeout: opts.IdleTimeout,
		MaxHeaderBytes:    opts.MaxHeadBytes,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Run listens and serves until Stop. It returns ErrStopped (wrapped) when
// net/http ends on its own.
func (s *Server) Run() error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("nethttpfront: listen %s: %w", s.opts.Addr, err)
	}
	busy := s.gate.BusyResponse()
	lim := &limitListener{Listener: ln, max: int64(s.opts.MaxConnections), open: &s.open, refused: &s.refused, busy: busy}
	s.bootOnce.Do(func() { close(s.booted) })
	err = s.http.Serve(lim)
	if s.stopping.Load() {
		return nil
	}
	return fmt.Errorf("nethttpfront: serve %s: %w", s.opts.Addr, errors.Join(ErrStopped, err))
}

// Booted is closed once the listener accepts connections.
func (s *Server) Booted() <-chan struct{} { return s.booted }

// Drain makes new requests answer unavailable and waits until every queued
// attempt has been answered or ctx ends, so a shutdown loses no reply.
func (s *Server) Drain(ctx context.Context) error {
	s.draining.Store(true)
	return gate.WaitQueued(ctx, &s.queued)
}

// Stop closes the listener and every connection. Connections still waiting
// for their request head are not worth waiting for: after Drain nothing they
// could ask would be served.
func (s *Server) Stop(ctx context.Context) error {
	s.stopping.Store(true)
	if err := s.http.Close(); err != nil {
		return fmt.Errorf("nethttpfront: stop: %w", err)
	}
	return nil
}

// Conns returns the connections open now and those refused over
// max_connections since start, for the operator's metrics.
func (s *Server) Conns() (open, refused int64) { return s.open.Load(), s.refused.Load() }
