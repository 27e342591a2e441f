package netpoll

import (
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"seckill/engine"
	"seckill/httpmin"
	"seckill/internal/live/gate"
)

// Bits of connCtx.state. A context is returned to the pool by whichever of
// the connection's close and the shard's reply happens second.
const (
	stateQueued uint32 = 1 << iota
	stateReplied
	stateClosed
)

// replyBufferBytes bounds an encoded reply: status line and headers (~130
// bytes) plus the largest body the gate writes (gate.maxBody).
const replyBufferBytes = 1280

// connCtx is what the front end keeps per connection. Contexts are pooled:
// gen tells a timing-wheel entry for an earlier connection from this one. A
// context whose attempt is queued on a shard goes back to the pool only
// after the shard's reply arrived, so a reply always reaches the connection
// that asked: no tag is needed to detect a stale one.
type connCtx struct {
	srv      *Server
	c        gnet.Conn
	gen      atomic.Uint64
	state    atomic.Uint32
	pending  gate.Pending
	decision engine.Decision // the shard's answer, stored by Reply before stateReplied
	partial  *[]byte         // the compact head so far (or a PROXY header's first piece)
	head     httpmin.Stream  // the request head read so far, over partial
	reading  bool            // head has been reset for this connection
	proxied  bool            // a trusted proxy's PROXY header is still to come
	client   netip.Addr      // the peer, or the client its PROXY header named

	wheelTick  int64 // where the idle wheel filed this connection
	wheelIndex int
}

var ctxPool = sync.Pool{New: func() any { return new(connCtx) }}

var replyPool = sync.Pool{New: func() any {
	b := make([]byte, 0, replyBufferBytes)
	return &b
}}

var genCounter atomic.Uint64

func newConnCtx(srv *Server, c gnet.Conn) *connCtx {
	x := ctxPool.Get().(*connCtx)
	x.srv, x.c = srv, c
	x.state.Store(0)
	x.gen.Store(genCounter.Add(1))
	return x
}

func (x *connCtx) free() {
	x.dropPartial()
	x.reading, x.proxied, x.client = false, false, netip.Addr{}
	x.c = nil
	x.pending = gate.Pending{}
	ctxPool.Put(x)
}

// Reply is the shard's answer to a queued attempt; it runs on the shard's
// goroutine, the per-SKU serial path, so it only keeps the decision and
// wakes the event loop, which encodes and writes it (writeReply).
func (x *connCtx) Reply(d *engine.Decision) {
	x.decision = *d
	conn := x.c // read before publishing stateReplied: after it, x may be freed
	for {
		old := x.state.Load()
		if x.state.CompareAndSwap(old, old|stateReplied) {
			if old&stateClosed != 0 {
				x.abandon() // the peer left while we decided; nobody to tell
				return
			}
			break
		}
	}
	_ = conn.Wake(nil)
}

// writeReply encodes the shard's decision and writes it; it runs on the
// event loop once Reply has published stateReplied. The attempt stops
// counting as queued only here, once its answer is in the socket, so that a
// drain waits for the write and not merely for the shard.
func (x *connCtx) writeReply(c gnet.Conn) gnet.Action {
	bp := replyPool.Get().(*[]byte)
	_ = x.srv.write(c, bp, x.srv.gate.Answer(&x.pending, &x.decision, (*bp)[:0]))
	x.srv.queued.Add(-1)
	x.state.Store(0) // answered: the shard holds nothing any more
	return gnet.Close
}

// abandon ends a queued attempt whose answer can no longer be written, and
// frees the context.
func (x *connCtx) abandon() {
	x.srv.gate.Forget(&x.pending, &x.decision)
	x.srv.queued.Add(-1)
	x.free()
}

// closed records the connection's close; it runs on the event loop.
func (x *connCtx) closed() {
	for {
		old := x.state.Load()
		if x.state.CompareAndSwap(old, old|stateClosed) {
			switch {
			case old&stateQueued == 0:
				x.free()
			case old&stateReplied != 0:
				x.abandon() // replied, but the wake came after the close
			}
			// Otherwise the shard still holds it; Reply abandons it.
			return
		}
	}
}
