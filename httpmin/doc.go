// Package httpmin is the minimal HTTP/1.x layer that sits on seckill's hot
// path, between the gnet event loop and the flash-sale handlers.
//
// It does exactly what a flash-sale endpoint needs and nothing more: it
// parses the head of a GET request straight out of the connection's read
// buffer, exposes the path, the decoded query parameters and the cookies as
// views, and encodes a complete "Connection: close" JSON response into a
// caller-owned byte slice. Nothing in Parse, Path, Query, Cookie,
// AppendResponse or the JSON builder allocates, so a burst of a million
// buyers costs no garbage collection work.
//
// Two ways in. Parse reads a whole head that fits one buffer and is
// stateless: call it again with everything buffered so far. A Stream reads
// a head of up to DefaultMaxHeadBytes (8 KiB) through a read buffer of
// ReadBufferBytes (1 KiB), a chunk at a time: it keeps only the request
// line, Host, Origin, X-Forwarded-For and the sk cookie (about 150 bytes for
// a browser, not its 2-4 KiB of user agent, client hints and the mall's
// cookies) and parses that with Parse when the head ends, so both answer
// alike. Incomplete means "wait for more bytes"; Complete is a GET,
// Preflight an OPTIONS (CORS); every other outcome is an error answer and
// the connection is closed after it. Requests that could be read two ways —
// a repeated sku, token, uid or captcha, several sk cookies, a token in the
// query and a different one in the cookie, a second Host or Origin, raw
// non-ASCII bytes in the target — are BadRequest, never guessed.
//
// A Request is about 1.3 KiB, so keep one per event loop (parsing is
// synchronous) rather than one per connection; a Stream (about 100 bytes
// plus its compact head) is per connection.
//
// Typical use inside a gnet OnTraffic handler:
//
//	var req httpmin.Request // one per event loop
//	// per connection: x.head.Reset(buf, maxHead, readBuffer)
//
//	chunk, _ := c.Peek(-1)
//	switch out := x.head.Feed(&req, chunk); out {
//	case httpmin.Incomplete:
//		_, _ = c.Discard(-1)
//		return gnet.None // wait for the rest of the head
//	case httpmin.Complete:
//		sku, _ := req.Query("sku")
//		token, _ := req.Cookie("sk")
//		// ... check token, reserve stock ...
//		j := httpmin.JSON{B: bodyBuf[:0]}
//		j.Begin()
//		j.Str("status", "ok")
//		j.Bytes("sku", sku)
//		j.End()
//		c.Write(httpmin.AppendResponse(respBuf[:0], 200, nil, j.B))
//	default:
//		// 400, 405 (with AllowGET; no body for a HEAD), 431
//	}
//	return gnet.Close
//
// Views returned by Path, Query and Cookie point into the parsed buffer or
// into the Request itself; they are valid until the next Parse or Reset and
// until the read buffer (or the Stream's compact head) is discarded.
package httpmin
