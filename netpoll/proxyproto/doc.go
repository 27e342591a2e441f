// Package proxyproto decodes the PROXY protocol header (versions 1 and 2,
// haproxy.org/download/2.9/doc/proxy-protocol.txt) that a load balancer
// sends at the start of each connection to name the client it forwards.
//
// The engine behind a balancer otherwise sees only the balancer's address,
// so every winner record, blocklist check and per-address rate would be
// about the balancer. With [server] proxy_protocol on, netpoll requires the
// header from trusted_proxies and reads the client from it; anything else
// that starts a connection with it is refused like any malformed request.
//
// Parse is given the bytes received so far and returns ErrIncomplete until
// the whole header is there; it never allocates, so it can run on the event
// loop. Usage:
//
//	h, n, err := proxyproto.Parse(buf)
//	switch {
//	case errors.Is(err, proxyproto.ErrIncomplete):
//		// keep buf, wait for more
//	case err != nil:
//		// close the connection
//	default:
//		client := h.Source.Addr() // unless h.Local: then the peer itself
//		buf = buf[n:]             // the HTTP request follows
//	}
package proxyproto
