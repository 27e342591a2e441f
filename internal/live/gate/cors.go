package gate

import (
	"bytes"

	"seckill/httpmin"
)

// corsOrigins are the origins whose pages may call the API with the
// buyer's cookies ([server] cors_origins). Each keeps its header lines
// encoded once, so answering a browser costs a copy, not a format.
type corsOrigins struct {
	origins [][]byte
	headers [][]byte // per origin: the lines every answer to it carries
	preflit [][]byte // per origin: the whole 204 answer to its preflight
}

// noCORS marks a request whose Origin is absent or not listed: its answer
// carries no CORS header, so the browser keeps it from the page. Listed
// origins are numbered from 1, so a zero Pending asks for no CORS lines.
const noCORS = 0

func newCORSOrigins(list []string) corsOrigins {
	var c corsOrigins
	for _, o := range list {
		h := "Access-Control-Allow-Origin: " + o + "\r\n" +
			"Access-Control-Allow-Credentials: true\r\n" +
			"Vary: Origin\r\n"
		c.origins = append(c.origins, []byte(o))
		c.headers = append(c.headers, []byte(h))
		// A preflight asks whether the page may send its GET; the answer
		// has no body, so no Content-Length (RFC 9110 §8.6). Only
		// Content-Type may be asked for: the API reads no other request
		// header a page could set. Browsers cache the answer for Max-Age.
		c.preflit = append(c.preflit, []byte("HTTP/1.1 204 No Content\r\n"+h+
			"Access-Control-Allow-Methods: GET\r\n"+
			"Access-Control-Allow-Headers: Content-Type\r\n"+
			"Access-Control-Max-Age: 600\r\n"+
			"Connection: close\r\n\r\n"))
	}
	return c
}

// match returns the number of origin in the list, from 1, or noCORS.
// Browsers send the serialized origin, so the comparison is exact.
func (c *corsOrigins) match(origin []byte) int {
	if origin == nil {
		return noCORS
	}
	for i, o := range c.origins {
		if bytes.Equal(o, origin) {
			return i + 1
		}
	}
	return noCORS
}

// allow inserts the CORS lines of origin number n into the complete
// response that starts at resp[from], just before the empty line that ends
// its headers.
func (c *corsOrigins) allow(resp []byte, from, n int) []byte {
	if n == noCORS {
		return resp
	}
	end := bytes.Index(resp[from:], headEnd)
	if end < 0 {
		panic("gate: response without a head") // every encoder writes one
	}
	end += from + 2 // keep the CRLF of the last header line
	h := c.headers[n-1]
	resp = append(resp, h...)
	copy(resp[end+len(h):], resp[end:len(resp)-len(h)])
	copy(resp[end:], h)
	return resp
}

var headEnd = []byte("\r\n\r\n")

// Preflight answers a CORS preflight (an OPTIONS request): 204 with the
// origin's CORS lines when its Origin is listed, else 405 like any other
// method the API does not serve.
func (g *Gate) Preflight(req *httpmin.Request, out []byte) []byte {
	if n := g.cors.match(req.Origin()); n != noCORS {
		return append(out, g.cors.preflit[n-1]...)
	}
	return refusals[RefuseMethod].encode(out)
}

// Refuse encodes the answer to a request the front end refused before the
// gate saw it (see Refusal). A HEAD gets its 405 without a body, as HEAD
// answers must have none. origin is the request's Origin as far as it was
// read: a listed origin's page gets CORS lines, so it can tell a refusal
// from a network error.
func (g *Gate) Refuse(r Refusal, isHead bool, origin []byte, out []byte) []byte {
	start := len(out)
	f := &refusals[r]
	if r == RefuseMethod && isHead {
		out = httpmin.AppendResponse(out, f.status, f.extra, nil)
	} else {
		out = f.encode(out)
	}
	return g.cors.allow(out, start, g.cors.match(origin))
}
