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
	head    []byte
	req     httpmin.Request
	out     []byte
	pending gate.Pending
	answer  []byte
	done    chan struct{}
	srv     *Server
}

var exchangePool = sync.Pool{New: func() any {
	return &exchange{
		head: make([]byte, 0, httpmin.ReadBufferBytes),
		out:  make([]byte, 0, replyBufferBytes),
		done: make(chan struct{}, 1),
	}
}}

// Reply is the shard's answer; it runs on the shard's goroutine, encodes
// the answer and wakes the handler, which is blocked in ServeHTTP.
func (x *exchange) Reply(_ uint64, d *engine.Decision) {
	x.answer = x.srv.gate.Answer(&x.pending, d, x.out[:0])
	x.done <- struct{}{}
}

// ServeHTTP answers one request through the gate and closes the connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := exchangePool.Get().(*exchange)
	x.srv = s
	resp := s.serve(x, r)
	writeResponse(w, resp)
	x.answer, x.pending = nil, gate.Pending{}
	exchangePool.Put(x)
}

// serve returns the encoded response, waiting for the shard when the gate
// queued the attempt. The handler always waits for a queued reply, even
// when the client left, so a pooled exchange never receives a stale one.
func (s *Server) serve(x *exchange, r *http.Request) []byte {
	x.head = appendHead(x.head[:0], r)
	x.req.Reset()
	switch o := x.req.Parse(x.head, s.opts.MaxHeadBytes); o {
	case httpmin.Complete:
	case httpmin.MethodNotAllowed, httpmin.Preflight:
		return gate.Encode(x.out[:0], engine.MethodNotAllowed)
	case httpmin.HeadTooLarge:
		return gate.Encode(x.out[:0], engine.HeaderTooLarge)
	default:
		return gate.Encode(x.out[:0], engine.BadRequest)
	}
	if s.draining.Load() {
		return gate.Encode(x.out[:0], engine.Unavailable)
	}
	s.queued.Add(1)
	defer s.queued.Add(-1)
	resp, queued := s.gate.Serve(&x.req, clientAddr(r), time.Now().UnixNano(), x, 0, &x.pending, x.out[:0])
	if !queued {
		return resp
	}
	<-x.done
	return x.answer
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
