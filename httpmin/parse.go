package httpmin

import "bytes"

// ReadBufferBytes is the default read buffer of a connection, and so the
// longest request line: a million idle connections must fit in about a
// gigabyte of memory. Parse on a whole buffer defaults to it as its limit.
const ReadBufferBytes = 1024

// DefaultMaxHeadBytes is the default limit on a whole head that a Stream
// reads through the small buffer: real browsers send user agents, client
// hints and the mall's own cookies, typically 1 to 4 KiB, and nginx's default
// large_client_header_buffers line is 8 KiB too.
const DefaultMaxHeadBytes = 8192

// MaxQueryBytes bounds the raw query string, and so the decoded one kept in
// a Request; a longer query is refused as HeadTooLarge. The query is part
// of the request line, which the read buffer bounds anyway.
const MaxQueryBytes = ReadBufferBytes

// MaxForwardedHeaders bounds how many X-Forwarded-For lines are kept. A
// chain of trusted proxies adds one each at most; more is an attack.
const MaxForwardedHeaders = 4

// MaxCookieHeaders bounds how many Cookie header lines a request may carry.
// Views of them are kept in a fixed array so parsing never allocates; real
// clients send one.
const MaxCookieHeaders = 8

// AllowGET is the extra header line that must accompany a 405 response, since
// GET is the only method this server serves (OPTIONS only as CORS preflight).
const AllowGET = "Allow: GET\r\n"

// Outcome is the result of Parse. It replaces an error value on the hot path:
// every outcome other than Incomplete and Complete maps to exactly one HTTP
// status, so the caller needs no error inspection.
type Outcome uint8

const (
	// Incomplete means the head has not been fully received yet; the caller
	// should wait for more bytes and call Parse again. It is not an error.
	Incomplete Outcome = iota
	// Complete means a full, valid GET head was parsed.
	Complete
	// BadRequest means the head is malformed; answer 400.
	BadRequest
	// MethodNotAllowed means a well-formed request line used a method other
	// than GET; answer 405 with AllowGET.
	MethodNotAllowed
	// HeadTooLarge means the head does not end within the size limit;
	// answer 431.
	HeadTooLarge
	// Preflight means a full, valid OPTIONS head was parsed: a browser's
	// CORS preflight, answered 204 when its Origin is allowed and 405
	// otherwise.
	Preflight
)

// String names the outcome for logs and test failures.
func (o Outcome) String() string {
	switch o {
	case Incomplete:
		return "Incomplete"
	case Complete:
		return "Complete"
	case BadRequest:
		return "BadRequest"
	case MethodNotAllowed:
		return "MethodNotAllowed"
	case HeadTooLarge:
		return "HeadTooLarge"
	case Preflight:
		return "Preflight"
	}
	return "Outcome(?)"
}

// Request is a parsed request head. It holds views into the parsed buffer and
// fixed-size storage for decoded query parameters, so parsing never touches
// the heap. Reuse one Request per event loop rather than one per connection:
// the decoding scratch space makes it larger than a read buffer.
type Request struct {
	headLen   int
	minor     int
	isHead    bool
	preflight bool
	path      []byte
	host      []byte
	origin    []byte
	nHost     int
	nOrigin   int

	cookies  [MaxCookieHeaders][]byte
	nCookies int

	forwarded  [MaxForwardedHeaders][]byte
	nForwarded int

	params  [MaxQueryParams]queryParam
	nParams int
	// scratch holds the percent-decoded query keys and values. The decoded
	// form is never longer than the raw query, which parseQuery bounds by
	// MaxQueryBytes.
	scratch [MaxQueryBytes]byte
}

// Reset forgets the previous parse. It leaves the scratch bytes in place
// because they are only reachable through the cleared parameter table.
func (r *Request) Reset() {
	r.headLen = 0
	r.minor = 0
	r.isHead, r.preflight = false, false
	r.path, r.host, r.origin = nil, nil, nil
	r.nHost, r.nOrigin = 0, 0
	for i := range r.nCookies {
		r.cookies[i] = nil
	}
	r.nCookies = 0
	for i := range r.nForwarded {
		r.forwarded[i] = nil
	}
	r.nForwarded = 0
	r.nParams = 0
}

// HeadLen reports how many bytes the head occupies, including the empty line
// that ends it. It is only meaningful after Parse returned Complete; bytes
// after it are not part of this request.
func (r *Request) HeadLen() int { return r.headLen }

// Path returns the request path without the query string, e.g. "/buy". It is
// the raw bytes from the request line: percent escapes in the path are not
// decoded, because routes are compared against literal ASCII paths.
func (r *Request) Path() []byte { return r.path }

// MinorVersion reports 0 for HTTP/1.0 and 1 for HTTP/1.1.
func (r *Request) MinorVersion() int { return r.minor }

// IsHead reports whether a MethodNotAllowed request was a HEAD, whose 405
// must be sent without a body.
func (r *Request) IsHead() bool { return r.isHead }

// Host returns the Host header's value, or nil without one.
func (r *Request) Host() []byte { return r.host }

// Origin returns the Origin header's value, or nil without one. Browsers
// send it on every cross-origin fetch and on CORS preflights.
func (r *Request) Origin() []byte { return r.origin }

// ForwardedFor returns the X-Forwarded-For header values in the order they
// came; each is a comma-separated list. Only a request from a trusted proxy
// may be believed about them (see LastForwarded).
func (r *Request) ForwardedFor() [][]byte { return r.forwarded[:r.nForwarded] }

// Parse parses a whole request head at the start of buf. maxHead limits the
// head size in bytes (a value ≤ 0 means ReadBufferBytes). Parse is stateless:
// call it again with the whole buffer when more bytes arrive, or let a Stream
// read a longer head through a small buffer.
//
// Lines may end in CRLF or, leniently like nginx, in a bare LF; a CR
// anywhere else is rejected. The method is judged as soon as the request line
// is complete, so a POST is refused with MethodNotAllowed before its headers
// arrive; a GET is Complete and an OPTIONS Preflight once the whole head is
// there. Ambiguous requests are BadRequest (see finish). Bytes after the head
// are ignored: a GET carries no body and the
// server closes the connection after one response.
func (r *Request) Parse(buf []byte, maxHead int) Outcome {
	r.Reset()
	if maxHead <= 0 {
		maxHead = ReadBufferBytes
	}
	// Only the first maxHead bytes may hold the head, so never look beyond
	// them; this also bounds the work done on hostile input.
	window := buf
	if len(window) > maxHead {
		window = window[:maxHead]
	}
	// waiting is the answer when the window holds no further line end:
	// either more bytes may still complete the head, or the limit is spent.
	waiting := Incomplete
	if len(buf) >= maxHead {
		waiting = HeadTooLarge
	}

	lineEnd, next, ok := nextLine(window, 0)
	if !ok {
		return waiting
	}
	if out := r.parseRequestLine(window[:lineEnd]); out != Complete {
		return out
	}
	for pos := next; ; pos = next {
		lineEnd, next, ok = nextLine(window, pos)
		if !ok {
			return waiting
		}
		if lineEnd == pos {
			r.headLen = next
			return r.finish()
		}
		if out := r.parseHeaderLine(window[pos:lineEnd]); out != Complete {
			return out
		}
	}
}

// nextLine finds the line starting at pos. It returns the index where the
// line's content ends (before CRLF or LF) and where the next line starts, or
// ok=false when no LF has arrived yet.
func nextLine(window []byte, pos int) (lineEnd, next int, ok bool) {
	i := bytes.IndexByte(window[pos:], '\n')
	if i < 0 {
		return 0, 0, false
	}
	lineEnd = pos + i
	next = lineEnd + 1
	if lineEnd > pos && window[lineEnd-1] == '\r' {
		lineEnd--
	}
	return lineEnd, next, true
}

// parseRequestLine validates "METHOD SP target SP HTTP/1.x" and records the
// path and query. The whole line is validated before the method is judged,
// so garbage that merely starts with a token is a 400, not a 405.
func (r *Request) parseRequestLine(line []byte) Outcome {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return BadRequest
	}
	method := line[:sp1]
	if !isToken(method) {
		return BadRequest
	}
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 <= 0 {
		return BadRequest
	}
	target, version := rest[:sp2], rest[sp2+1:]
	if target[0] != '/' || !isTargetASCII(target) {
		return BadRequest
	}
	switch string(version) {
	case "HTTP/1.1":
		r.minor = 1
	case "HTTP/1.0":
		r.minor = 0
	default:
		return BadRequest
	}
	switch string(method) {
	case "GET", "OPTIONS":
	case "HEAD":
		r.isHead = true
		return MethodNotAllowed
	default:
		return MethodNotAllowed
	}
	r.preflight = string(method) == "OPTIONS"
	if q := bytes.IndexByte(target, '?'); q >= 0 {
		r.path = target[:q:q]
		return r.parseQuery(target[q+1:])
	}
	r.path = target[:len(target):len(target)]
	return Complete
}

// parseHeaderLine validates one "name: value" line and keeps what the server
// needs from it. Headers that would imply a request body are refused because
// a GET has none and this server never reads one.
func (r *Request) parseHeaderLine(line []byte) Outcome {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		// A missing colon, an empty name, and an obsolete folded
		// continuation line (which has no colon or a space before it) all
		// land here or in the token check below.
		return BadRequest
	}
	name := line[:colon]
	if !isToken(name) {
		return BadRequest
	}
	value := trimOWS(line[colon+1:])
	if !isFieldValue(value) {
		return BadRequest
	}
	switch {
	case equalFoldASCII(name, "content-length"):
		if !isZeroLength(value) {
			return BadRequest
		}
	case equalFoldASCII(name, "transfer-encoding"):
		return BadRequest
	case equalFoldASCII(name, "cookie"):
		if r.nCookies == MaxCookieHeaders {
			return BadRequest
		}
		r.cookies[r.nCookies] = value
		r.nCookies++
	case equalFoldASCII(name, "host"):
		r.host = value
		r.nHost++
	case equalFoldASCII(name, "origin"):
		r.origin = value
		r.nOrigin++
	case equalFoldASCII(name, "x-forwarded-for"):
		if r.nForwarded == MaxForwardedHeaders {
			return BadRequest
		}
		r.forwarded[r.nForwarded] = value
		r.nForwarded++
	}
	return Complete
}

// isZeroLength accepts only a decimal zero ("0", "00"), since any non-zero or
// malformed Content-Length on a GET means a body we refuse to read.
func isZeroLength(value []byte) bool {
	if len(value) == 0 {
		return false
	}
	for _, c := range value {
		if c != '0' {
			return false
		}
	}
	return true
}

// trimOWS strips the optional spaces and tabs around a header value.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// isToken reports whether b is a non-empty RFC 9110 token, the syntax of
// methods and header names.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenChar[c] {
			return false
		}
	}
	return true
}

// isTargetASCII rejects control characters, spaces, DEL and every byte
// above ASCII in the request-target; they are never valid there (clients
// percent-encode them) and usually signal smuggling attempts or a broken
// client, and guessing their encoding would be guessing the request.
func isTargetASCII(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// isFieldValue allows visible ASCII, spaces, tabs and obs-text, and rejects
// other control characters such as a stray CR or NUL.
func isFieldValue(b []byte) bool {
	for _, c := range b {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// equalFoldASCII compares a header name with a lower-case constant without
// allocating a lowered copy.
func equalFoldASCII(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// tokenChar marks the RFC 9110 tchar set, as a table because it is consulted
// for every byte of every method and header name.
var tokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
