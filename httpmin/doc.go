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
// The parser is stateless between calls: the event loop calls Parse with
// everything buffered so far and acts on the Outcome. Incomplete means "wait
// for more bytes"; every other non-Complete outcome maps to an error status
// through Outcome.Status and the connection is closed after the response.
// A Request is about 1.3 KiB, so keep one per event loop (parsing is
// synchronous) rather than one per connection.
//
// Typical use inside a gnet OnTraffic handler:
//
//	var req httpmin.Request // one per event loop
//
//	buf, _ := c.Peek(-1)
//	switch out := req.Parse(buf, httpmin.MaxHeadBytes); out {
//	case httpmin.Incomplete:
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
//		extra := noHeaders
//		if out == httpmin.MethodNotAllowed {
//			extra = allowGET // []byte(httpmin.AllowGET), built once
//		}
//		c.Write(httpmin.AppendResponse(respBuf[:0], out.Status(), extra, errBody))
//	}
//	return gnet.Close
//
// Views returned by Path, Query and Cookie point into the parsed buffer or
// into the Request itself; they are valid until the next Parse or Reset and
// until the read buffer is discarded.
package httpmin
