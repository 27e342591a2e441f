package netpoll

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"seckill/httpmin"
	"seckill/internal/live/gate"
)

// ErrStopped is returned by Run when gnet's engine stopped although nobody
// asked it to — for example after accept(2) failed with EMFILE. The caller
// must treat it as fatal: the process no longer serves.
var ErrStopped = errors.New("netpoll: event engine stopped unexpectedly")

// Options configure the front end; New fills nothing in, the caller passes
// validated configuration.
type Options struct {
	Addr         string // gnet protocol address, e.g. "tcp://127.0.0.1:8080"
	Gate         *gate.Gate
	ReadBuffer   int // bytes read at a time, and the longest request line; longer gets 431
	MaxHeadBytes int // the whole head, streamed through ReadBuffer; longer gets 431
	// ProxyProtocol requires a PROXY protocol header from TrustedProxies
	// and takes the client's address from it.
	ProxyProtocol  bool
	TrustedProxies *gate.Proxies
	IdleTimeout    time.Duration // an incomplete request is closed after this
	MaxConnections int           // beyond this a connection gets busy and is closed
	// Floor answers every complete request with a constant response and
	// skips the engine: the cost of the network layer alone, for benchmarks.
	Floor  bool
	Logger *slog.Logger
}

// Server is the gnet event handler.
type Server struct {
	gnet.BuiltinEventEngine
	opts   Options
	gate   *gate.Gate
	log    *slog.Logger
	wheel  *idleWheel
	eng    gnet.Engine
	booted chan struct{}
	busy   []byte // the constant answer to a connection over the limit

	open    atomic.Int64 // connections currently open
	queued  atomic.Int64 // attempts waiting for a shard
	refused atomic.Int64 // connections refused over max_connections
	// partialHeads counts connections that keep a head read in part
	// (partial.go).
	partialHeads atomic.Int64
	draining     atomic.Bool
	stopping     atomic.Bool
	bootOnce     sync.Once
	bootErr      error // why OnBoot refused to serve; read by Run after the engine ended
	// replyQueues holds each event loop's reply queue (wake.go), by
	// gnet.EventLoop; failed, why the front end cannot go on serving.
	replyQueues sync.Map
	failed      atomic.Pointer[error]
}

// New returns a server; Run starts it.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	// Zero limits mean httpmin's defaults; gnet would otherwise read into a
	// buffer of no size.
	if opts.ReadBuffer <= 0 {
		opts.ReadBuffer = httpmin.ReadBufferBytes
	}
	if opts.MaxHeadBytes <= 0 {
		opts.MaxHeadBytes = httpmin.DefaultMaxHeadBytes
	}
	busy := floorResponse
	if opts.Gate != nil {
		busy = opts.Gate.BusyResponse()
	}
	return &Server{
		busy:   busy,
		opts:   opts,
		gate:   opts.Gate,
		log:    opts.Logger,
		wheel:  newIdleWheel(opts.IdleTimeout, time.Now()),
		booted: make(chan struct{}),
	}
}

// Run serves until Stop. It returns ErrStopped (wrapped) when the engine ends
// on its own.
func (s *Server) Run() error {
	if err := claimAddress(s.opts.Addr); err != nil {
		return err
	}
	err := gnet.Run(s, s.opts.Addr,
		gnet.WithMulticore(true),
		// One SO_REUSEPORT listener per event loop. In this mode gnet
		// accepts one connection per readiness event and runs OnOpen — and
		// so our refusal and close of a connection over the limit —
		// before it accepts the next. With a single shared acceptor it
		// would instead accept the whole backlog first, and a flood would
		// reach EMFILE, which stops gnet's engine for good.
		gnet.WithReusePort(true),
		// SO_REUSEADDR too, so that the sockets a crashed engine leaves
		// closing carry it and never hold the port against a restart.
		gnet.WithReuseAddr(true),
		gnet.WithReadBufferCap(s.opts.ReadBuffer),
		gnet.WithWriteBufferCap(replyBufferBytes),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithTicker(true),
		gnet.WithLogger(gnetLogger{s.log}),
	)
	if s.bootErr != nil {
		return s.bootErr
	}
	if failed := s.failed.Load(); failed != nil {
		return errors.Join(ErrStopped, *failed)
	}
	if s.stopping.Load() {
		return err
	}
	if err == nil {
		err = ErrStopped
	}
	return fmt.Errorf("netpoll: run %s: %w", s.opts.Addr, errors.Join(ErrStopped, err))
}

// Booted is closed once the listener accepts connections.
func (s *Server) Booted() <-chan struct{} { return s.booted }

// Drain makes new requests answer unavailable and waits until every queued
// attempt has been answered or ctx ends, so a shutdown loses no reply.
func (s *Server) Drain(ctx context.Context) error {
	s.draining.Store(true)
	return gate.WaitQueued(ctx, &s.queued)
}

// Stop shuts the engine down and closes every connection.
func (s *Server) Stop(ctx context.Context) error {
	s.stopping.Store(true)
	return s.eng.Stop(ctx)
}

// OnBoot records the engine so Stop can reach it.
func (s *Server) OnBoot(eng gnet.Engine) gnet.Action {
	s.eng = eng
	if n, err := sharedWith(s.opts.Addr); err != nil || n > 0 {
		if err == nil {
			err = fmt.Errorf("%w: %s, %d listening socket(s) of another process joined ours", ErrAddressTaken, s.opts.Addr, n)
		}
		s.bootErr = err
		return gnet.Shutdown
	}
	s.bootOnce.Do(func() { close(s.booted) })
	return gnet.None
}

// OnOpen admits a connection or refuses it when the process is at its
// connection limit, leaving file descriptors for the store and for accept
// itself.
func (s *Server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if _, wake := c.Context().(*replyQueue); wake {
		return nil, gnet.None // a loop's reply wake (wake.go), not a client
	}
	if s.open.Add(1) > int64(s.opts.MaxConnections) {
		s.open.Add(-1)
		s.refused.Add(1)
		drainSocket(c)
		return s.busy, gnet.Close
	}
	q, err := s.replyQueueOf(c)
	if err != nil {
		s.log.Error("netpoll: no reply queue for an event loop; stopping", "err", err)
		// A copy declared here: taking err's own address would move err
		// to the heap on every OnOpen, one allocation per connection.
		failed := err
		s.failed.CompareAndSwap(nil, &failed)
		s.open.Add(-1)
		return nil, gnet.Shutdown
	}
	x := newConnCtx(s, c)
	x.replies = q
	x.client = remoteAddr(c)
	x.proxied = s.opts.ProxyProtocol && s.opts.TrustedProxies.Contains(x.client)
	c.SetContext(x)
	s.wheel.add(time.Now(), c, x)
	return nil, gnet.None
}

// OnClose ends a connection's context.
func (s *Server) OnClose(c gnet.Conn, err error) gnet.Action {
	x, ok := c.Context().(*connCtx)
	if !ok {
		if _, wake := c.Context().(*replyQueue); wake {
			return s.wakeClosed(err)
		}
		return gnet.None // refused in OnOpen
	}
	s.open.Add(-1)
	c.SetContext(nil)
	s.wheel.remove(x)
	x.closed()
	return gnet.None
}

// OnTick sweeps the idle wheel and sleeps until its next tick times out.
// gnet runs it on a goroutine of its own, not on an event loop.
func (s *Server) OnTick() (time.Duration, gnet.Action) {
	s.wheel.sweep(time.Now())
	return s.wheel.untilNextSweep(time.Now()), gnet.None
}

var requestPool = sync.Pool{New: func() any { return new(httpmin.Request) }}

// OnTraffic reads a request head, or, on a loop's reply wake, writes the
// shards' replies that wait in its queue.
func (s *Server) OnTraffic(c gnet.Conn) gnet.Action {
	x, ok := c.Context().(*connCtx)
	if !ok {
		if q, wake := c.Context().(*replyQueue); wake {
			q.deliverAll(c)
			return gnet.None
		}
		return gnet.Close
	}
	if x.state.Load()&stateQueued != 0 {
		_, _ = c.Discard(-1) // bytes after the head; the answer is on its way
		return gnet.None
	}
	buf, _ := c.Peek(-1)
	if s.opts.Floor {
		return s.floor(c, buf)
	}
	if x.proxied {
		rest, join, act, ok := s.readProxyHeader(c, x, buf)
		if !ok {
			return act
		}
		if join != nil {
			defer joinPool.Put(join) // the Stream copies what it keeps of rest
		}
		buf = rest
	}
	if !x.reading {
		x.head.Reset(nil, s.opts.MaxHeadBytes, s.opts.ReadBuffer)
		x.reading = true
	}
	x.fitHead(x.head.Room(len(buf)))
	req := requestPool.Get().(*httpmin.Request)
	defer requestPool.Put(req)
	outcome := x.head.Feed(req, buf)
	_, _ = c.Discard(-1) // what the Stream needs of it is in the compact head
	switch outcome {
	case httpmin.Incomplete:
		// Keep only the compact head, right-sized (see partial.go); the
		// idle wheel bounds the wait.
		x.fitHead(len(x.head.Kept()))
		return gnet.None
	case httpmin.Complete:
	case httpmin.Preflight:
		bp := replyPool.Get().(*[]byte)
		return s.write(c, bp, s.gate.Preflight(req, (*bp)[:0]))
	default:
		bp := replyPool.Get().(*[]byte)
		return s.write(c, bp, s.gate.Refuse(gate.RefusalOf(outcome), req.IsHead(), x.head.Origin(), (*bp)[:0]))
	}
	defer x.dropPartial() // the request's views point into it until Serve returns
	// Count the attempt before looking at draining: Drain sets draining
	// before it reads the count, so either it waits for this attempt or
	// this attempt sees draining.
	s.queued.Add(1)
	bp := replyPool.Get().(*[]byte)
	if s.draining.Load() {
		s.queued.Add(-1)
		return s.write(c, bp, s.gate.ServeDraining(req, (*bp)[:0]))
	}
	x.state.Store(stateQueued) // before Serve: the reply may arrive before Serve returns
	resp, queued := s.gate.Serve(req, x.client, time.Now().UnixNano(), x, &x.pending, (*bp)[:0])
	if queued {
		replyPool.Put(bp)
		return gnet.None
	}
	s.queued.Add(-1)
	x.state.Store(0)
	return s.write(c, bp, resp)
}

// write writes resp, built in the pooled buffer bp, and closes the
// connection. gnet copies what Write cannot send at once, so the buffer is
// free again when Write returns.
func (s *Server) write(c gnet.Conn, bp *[]byte, resp []byte) gnet.Action {
	_, _ = c.Write(resp)
	*bp = resp[:0]
	replyPool.Put(bp)
	return gnet.Close
}

var floorResponse = httpmin.AppendResponse(nil, 200, nil, []byte(`{"result":"floor"}`))

var headEnd = []byte("\r\n\r\n")

func (s *Server) floor(c gnet.Conn, buf []byte) gnet.Action {
	if bytes.Contains(buf, headEnd) {
		_, _ = c.Write(floorResponse)
		return gnet.Close
	}
	if len(buf) > s.opts.MaxHeadBytes {
		return gnet.Close
	}
	return gnet.None
}

func remoteAddr(c gnet.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			return ip.Unmap()
		}
	}
	return netip.Addr{}
}

// drainSocket reads what the peer has already sent on a connection we are
// about to refuse. Closing a socket with unread input makes the kernel send
// RST instead of FIN, and an RST can destroy our busy answer in the peer's
// receive buffer before the client reads it. One non-blocking read on the
// raw descriptor is enough for a request head that arrived with the
// connection; gnet has not read from the socket yet at OnOpen.
func drainSocket(c gnet.Conn) {
	var scratch [2048]byte
	_, _ = unix.Read(c.Fd(), scratch[:])
}

// Conns returns the connections open now and those refused over
// max_connections since start, for the operator's metrics.
func (s *Server) Conns() (open, refused int64) { return s.open.Load(), s.refused.Load() }
