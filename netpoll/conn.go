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
	// replies is the reply queue of the connection's event loop; nextReply
	// links the context on it while its reply waits there (wake.go).
	replies   *replyQueue
	nextReply *connCtx

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
	x.c, x.replies = nil, nil
	x.pending = gate.Pending{}
	ctxPool.Put(x)
}

// Reply is the shard's answer to a queued attempt; it runs on the shard's
// goroutine, the per-SKU serial path, so it only keeps the decision and
// queues the context on its event loop's reply queue, which wakes the loop
// once for all the replies that wait there. The loop encodes and writes
// each (deliver). It allocates nothing.
func (x *connCtx) Reply(d *engine.Decision) {
	x.decision = *d
	q := x.replies // read before publishing stateReplied: after it, x may be freed
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
	// From here the reply queue owns x: a close does not free it, deliver
	// does.
	q.push(x)
}

// deliver encodes the shard's decision and writes it, then closes the
// connection; it runs on the event loop, which took x from its reply
// queue. The attempt stops counting as queued only once its answer is in
// the socket (or gnet's buffer, which the close flushes), so that a drain
// waits for the write and not merely for the shard. If the peer left
// meanwhile, the attempt is only settled.
func (x *connCtx) deliver() {
	if x.state.Load()&stateClosed != 0 {
		x.abandon()
		return
	}
	s, c := x.srv, x.c
	bp := replyPool.Get().(*[]byte)
	resp := s.gate.Answer(&x.pending, &x.decision, (*bp)[:0])
	x.state.Store(0)     // answered: from here the close frees x
	_, _ = c.Write(resp) // a failed write closes c at once, freeing x
	*bp = resp[:0]
	replyPool.Put(bp)
	_ = c.EventLoop().Close(c) // flushes what Write buffered; a no-op if c is gone
	s.queued.Add(-1)
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
			if old&stateQueued == 0 {
				x.free()
			}
			// Otherwise the shard still holds it, and Reply abandons it;
			// or its reply waits in the reply queue, and deliver does.
			return
		}
	}
}
