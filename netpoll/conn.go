package netpoll

import (
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"seckill/engine"
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
// gen tells a timing-wheel entry for an earlier connection from this one.
type connCtx struct {
	srv     *Server
	c       gnet.Conn
	gen     atomic.Uint64
	state   atomic.Uint32
	pending gate.Pending
	out     []byte  // the encoded reply, filled on the shard goroutine
	outBuf  *[]byte // the pooled buffer out lives in
	partial *[]byte // the request head so far, when it came in pieces

	wheelSecond int64 // where the idle wheel filed this connection
	wheelIndex  int
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
	if x.outBuf != nil {
		*x.outBuf = x.out[:0]
		replyPool.Put(x.outBuf)
		x.out, x.outBuf = nil, nil
	}
	x.dropPartial()
	x.c = nil
	x.pending = gate.Pending{}
	ctxPool.Put(x)
}

// Reply is the shard's answer to a queued attempt; it runs on the shard's
// goroutine. The answer is encoded here, then the event loop is woken to
// write it, since only the loop may write to the connection synchronously.
func (x *connCtx) Reply(tag uint64, d *engine.Decision) {
	conn := x.c // read before publishing stateReplied: after it, x may be freed
	x.outBuf = replyPool.Get().(*[]byte)
	x.out = x.srv.gate.Answer(&x.pending, d, (*x.outBuf)[:0])
	x.srv.queued.Add(-1)
	for {
		old := x.state.Load()
		if x.state.CompareAndSwap(old, old|stateReplied) {
			if old&stateClosed != 0 {
				x.free() // the peer left while we decided; nobody to tell
				return
			}
			break
		}
	}
	_ = conn.Wake(nil)
}

// closed records the connection's close; it runs on the event loop.
func (x *connCtx) closed() {
	for {
		old := x.state.Load()
		if x.state.CompareAndSwap(old, old|stateClosed) {
			if old&stateQueued != 0 && old&stateReplied == 0 {
				return // the shard still holds it; Reply frees it
			}
			x.free()
			return
		}
	}
}
