package netpoll

import (
	"errors"

	"github.com/panjf2000/gnet/v2"

	"seckill/internal/live/gate"
	"seckill/netpoll/proxyproto"
)

// readProxyHeader reads the PROXY protocol header a trusted balancer must
// send first ([server] proxy_protocol), and takes the client's address from
// it: the blocklist, the per-address rate and the winner record are then
// about the buyer, not the balancer. It returns the bytes after the header
// and ok; with ok false the header is incomplete (kept, act None) or
// invalid (answered 400, act Close). When the header came in pieces, rest
// lives in the pooled join buffer, which the caller puts back once done. A connection from anyone else that
// starts with a PROXY header is not read here: its "PROXY ..." line is no
// HTTP request line, so the parser refuses it with 400 too.
func (s *Server) readProxyHeader(c gnet.Conn, x *connCtx, buf []byte) (rest []byte, join *[]byte, act gnet.Action, ok bool) {
	data := buf
	if x.partial != nil {
		join = joinPool.Get().(*[]byte)
		*join = append(append((*join)[:0], *x.partial...), buf...)
		data = *join
		x.dropPartial()
	}
	h, n, err := proxyproto.Parse(data)
	if err != nil {
		if errors.Is(err, proxyproto.ErrIncomplete) {
			x.keepPartial(data)
			act = gnet.None
		} else {
			bp := replyPool.Get().(*[]byte)
			act = s.write(c, bp, s.gate.Refuse(gate.RefuseMalformed, false, nil, (*bp)[:0]))
		}
		if join != nil {
			joinPool.Put(join)
		}
		_, _ = c.Discard(-1)
		return nil, nil, act, false
	}
	if !h.Local {
		x.client = h.Source.Addr().Unmap()
	}
	x.proxied = false
	return data[n:], join, gnet.None, true
}
