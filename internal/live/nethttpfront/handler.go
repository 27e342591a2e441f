package nethttpfront

import (
	"net/http"
	"net/netip"
	"sync"
	"time"

	"seckill/engine"
	"seckill/httpmin"
	"seckill/internal/live/gate"
)

// replyBufferBytes bounds an encoded reply: status line and headers plus
// the largest body the gate writes.
const replyBufferBytes = 1280

// exchange is one request's working set, pooled: the rebuilt head, its
// parse, the reply buffer, and the replier the shard answers through.
type exchange struct {
	head     []byte
	req      httpmin.Request
	out      []byte
	pending  gate.Pending
	decision engine.Decision // the shard's answer, stored by Reply
	done     chan struct{}
}

var exchangePool = sync.Pool{New: func() any {
	return &exchange{
		head: make([]byte, 0, httpmin.ReadBufferBytes),
		out:  make([]byte, 0, replyBufferBytes),
		done: make(chan struct{}, 1),
	}
}}

// Reply is the shard's answer; it runs on the shard's goroutine, so it only
// keeps the decision and wakes the handler, blocked in serve, which encodes
// it on its own goroutine.
func (x *exchange) Reply(d *engine.Decision) {
	x.decision = *d
	x.done <- struct{}{}
}

// ServeHTTP answers one request through the gate and closes the connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := exchangePool.Get().(*exchange)
	resp, queued := s.serve(x, r)
	writeResponse(w, resp)
	if queued {
		// A drain waits for this answer to be in the socket, not merely
		// decided: Stop closes every connection next.
		_ = http.NewResponseController(w).Flush()
		s.queued.Add(-1)
	}
	x.pending = gate.Pending{}
	exchangePool.Put(x)
}

// serve returns the encoded response, waiting for the shard when the gate
// queued the attempt, and whether it did; a queued attempt is still counted
// in s.queued. The handler always waits for a queued reply, even when the
// client left, so a pooled exchange never receives a stale one.
func (s *Server) serve(x *exchange, r *http.Request) ([]byte, bool) {
	x.head = appendHead(x.head[:0], r)
	x.req.Reset()
	switch o := x.req.Parse(x.head, s.opts.MaxHeadBytes); o {
	case httpmin.Complete:
	default:
		return s.gate.Refuse(gate.RefusalOf(o), x.req.IsHead(), x.req.Origin(), x.out[:0]), false
	}
	// Counted before draining is read: Drain sets draining before it reads
	// the count, so either it waits for this attempt or this one sees it.
	s.queued.Add(1)
	if s.draining.Load() {
		s.queued.Add(-1)
		return s.gate.ServeDraining(&x.req, x.out[:0]), false
	}
	resp, queued := s.gate.Serve(&x.req, clientAddr(r), time.Now().UnixNano(), x, &x.pending, x.out[:0])
	if !queued {
		s.queued.Add(-1)
		return resp, false
	}
	<-x.done
	return s.gate.Answer(&x.pending, &x.decision, x.out[:0]), true
}

// appendHead rebuilds what the gate reads from a request — the request line
// and the Cookie headers — in the wire form httpmin parses.
func appendHead(dst []byte, r *http.Request) []byte {
	dst = append(dst, r.Method...)
	dst = append(dst, ' ')
	dst = append(dst, r.RequestURI...)
	dst = append(dst, " HTTP/1.1\r\n"...)
	for _, c := range r.Header["Cookie"] {
		dst = append(dst, "Cookie: "...)
		dst = append(dst, c...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}

func clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
