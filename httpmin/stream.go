package httpmin

import "bytes"

// A Stream reads one request head through a small per-connection buffer, a
// chunk at a time, and keeps only what the engine uses: the request line
// and the Host, Origin, X-Forwarded-For, Content-Length and
// Transfer-Encoding lines whole, and of each Cookie header only its sk
// pairs. Every other line is validated byte by byte as it passes and then
// forgotten. When the head ends, the kept lines — the compact head — are
// parsed by Parse, so a head read in pieces is judged by exactly the rules
// of one read whole.
//
// This lets the engine keep its 1 KiB read buffer (a million idle
// connections in about a gigabyte) and still serve real browsers, whose
// heads carry the mall's cookies, user agents and client hints and often
// exceed it. The compact head of a browser request is the request line plus
// about 150 bytes.
//
// Limits: the head may be at most maxHead bytes, the request line (with its
// line end) at most maxLine, and the compact head at most maxLine +
// KeptHeaderBytes; each is HeadTooLarge when exceeded. Feed decides at the
// byte where the answer becomes certain, so however TCP splits the head the
// outcome is the same.
//
// Memory: the compact head is appended to the buffer given to Reset; Feed
// never grows it beyond Room, so a caller that keeps the capacity at least
// Room(len(chunk)) before each Feed never allocates. A Stream is about 80
// bytes and holds its state between chunks; keep one per connection.
type Stream struct {
	kept     []byte
	maxHead  int
	maxLine  int
	consumed int // head bytes read so far
	lineLen  int // bytes of the request line read so far
	lineMark int // where the current header line begins in kept
	state    streamState
	cr       bool // the previous byte was a CR, so only LF may follow
	result   Outcome

	name    [len("transfer-encoding")]byte // the header name, lowercased, when short enough to be kept
	nameLen int

	cookieHeaders int
	pairsKept     int // sk pairs kept from the current Cookie header
	pairName      [2]byte
	pairNameLen   int
	pairSpace     bool // OWS after the pair name began
	pairBad       bool // OWS inside the pair name: not the name "sk"
	keepValue     bool // the current pair is sk: copy its value
	valueBegun    bool // the current pair's value is past its leading OWS
	valueMark     int  // where the current sk value begins in kept
}

// KeptHeaderBytes bounds the header lines a Stream keeps besides the request
// line. A browser's Host, Origin and sk cookie take about 150 bytes; a chain
// of proxies' X-Forwarded-For a few dozen more.
const KeptHeaderBytes = 1024

// streamState is where in the head the next byte falls.
type streamState uint8

const (
	inRequestLine  streamState = iota
	atLineStart                // a header line, or the empty line that ends the head
	inName                     // a header name, up to its colon
	inKeptValue                // the value of a header that is kept whole
	inSkippedValue             // the value of a header the engine does not use
	inPairName                 // the name of a cookie pair
	inPairValue                // the value of a cookie pair
	headDone                   // result holds the outcome
)

// Reset starts a new head in buf (its length is ignored, its capacity
// reused), under the head limit maxHead and the request-line limit maxLine;
// values ≤ 0 mean DefaultMaxHeadBytes and ReadBufferBytes.
func (s *Stream) Reset(buf []byte, maxHead, maxLine int) {
	if maxHead <= 0 {
		maxHead = DefaultMaxHeadBytes
	}
	if maxLine <= 0 {
		maxLine = ReadBufferBytes
	}
	*s = Stream{kept: buf[:0], maxHead: maxHead, maxLine: maxLine}
}

// Kept returns the compact head so far; the caller that owns its buffer may
// move it to a larger one and hand it back with Regrow.
func (s *Stream) Kept() []byte { return s.kept }

// Regrow replaces the buffer with buf, which must start with the bytes Kept
// returned; use it to move the compact head to a larger buffer.
func (s *Stream) Regrow(buf []byte) { s.kept = buf }

// Room returns the capacity the buffer needs before the next chunk of n
// bytes is fed, so that Feed does not allocate: each byte of the chunk adds
// at most one kept byte, plus a header name read in earlier chunks that its
// colon now keeps, and the compact head never exceeds its limit.
func (s *Stream) Room(n int) int {
	return min(len(s.kept)+n+roomSlack, s.maxLine+KeptHeaderBytes)
}

// roomSlack is the most a chunk can keep beyond its own length: a kept
// header name of up to 17 bytes read before it, or an "sk" pair name and
// the ';' before it.
const roomSlack = len("transfer-encoding") + 1

// HeadLen is the length of the head on the wire, once Feed has returned an
// outcome other than Incomplete; bytes after it in the last chunk are not
// part of this request.
func (s *Stream) HeadLen() int { return s.consumed }

// Feed reads the next chunk of the head. It returns Incomplete while the
// head has not ended; otherwise the outcome, which it keeps returning. On
// Complete or Preflight r holds the parsed head, whose views point into the
// Stream's buffer.
func (s *Stream) Feed(r *Request, chunk []byte) Outcome {
	for i := 0; i < len(chunk) && s.state != headDone; i++ {
		if run := s.skippable(chunk[i:min(len(chunk), i+s.maxHead-s.consumed-1)]); run > 0 {
			// Most of a browser's head is values nobody reads: pass
			// over them a run at a time rather than a byte at a time.
			s.consumed += run
			i += run - 1
			continue
		}
		s.consumed++
		s.step(r, chunk[i])
		if s.consumed == s.maxHead {
			// Any further byte would be over the limit: decide now
			// rather than wait for it, as Parse does on a full window.
			s.decide(HeadTooLarge)
		}
	}
	if s.state == headDone {
		return s.result
	}
	return Incomplete
}

// skippable returns how many bytes at the start of b step would pass over
// without any effect but counting them: ordinary bytes of a value that is
// not kept. It stops one byte short of the head limit, which step judges.
func (s *Stream) skippable(b []byte) int {
	var table *[256]bool
	switch {
	case s.cr:
		return 0
	case s.state == inSkippedValue:
		table = &plainValueByte
	case s.state == inPairValue && !s.keepValue:
		table = &plainCookieByte
	default:
		return 0
	}
	n := 0
	for n < len(b) && table[b[n]] {
		n++
	}
	return n
}

// plainValueByte marks the bytes of a header value that need no decision:
// every fieldByte but CR and LF. plainCookieByte also leaves out the ';'
// that ends a cookie pair.
var plainValueByte, plainCookieByte = func() (v, c [256]bool) {
	for i := range 256 {
		b := byte(i)
		v[i] = fieldByte(b) && b != '\r' && b != '\n'
		c[i] = v[i] && b != ';'
	}
	return v, c
}()

// decide ends the head with outcome o; nothing changes it afterwards.
func (s *Stream) decide(o Outcome) {
	if s.state != headDone {
		s.state, s.result = headDone, o
	}
}

// to moves to the next state unless the head was decided meanwhile (a full
// compact head while keeping a byte).
func (s *Stream) to(st streamState) {
	if s.state != headDone {
		s.state = st
	}
}

// step moves the state machine by one byte.
func (s *Stream) step(r *Request, c byte) {
	if s.cr {
		s.cr = false
		if c != '\n' {
			s.decide(BadRequest) // a bare CR
			return
		}
	} else if c == '\r' && s.state != inName {
		s.cr = true
		if s.state == inRequestLine {
			s.countLineByte()
		}
		return
	}
	switch s.state {
	case inRequestLine:
		s.requestLineByte(r, c)
	case atLineStart:
		if c == '\n' {
			s.endHead(r)
			return
		}
		s.nameLen = 0
		s.lineMark = len(s.kept)
		s.to(inName)
		s.nameByte(c)
	case inName:
		s.nameByte(c)
	case inKeptValue:
		switch {
		case c == '\n':
			// Judge the line now, as Parse would at its end; the
			// compact head is parsed again, whole, when it ends.
			if out := r.parseHeaderLine(s.kept[s.lineMark:]); out != Complete {
				s.decide(out)
				return
			}
			s.keep('\n')
			s.to(atLineStart)
		case !fieldByte(c):
			s.decide(BadRequest)
		default:
			s.keep(c)
		}
	case inSkippedValue:
		switch {
		case c == '\n':
			s.to(atLineStart)
		case !fieldByte(c):
			s.decide(BadRequest)
		}
	case inPairName, inPairValue:
		s.cookieByte(c)
	}
}

// requestLineByte copies the request line and judges it at its end, so a
// POST is refused before its headers arrive.
func (s *Stream) requestLineByte(r *Request, c byte) {
	if c != '\n' {
		s.countLineByte()
		s.keep(c)
		return
	}
	s.lineLen++
	r.Reset()
	if out := r.parseRequestLine(s.kept); out != Complete {
		s.decide(out)
		return
	}
	s.keep('\n')
	s.to(atLineStart)
}

// countLineByte counts a byte of the request line before its LF: once the
// line has used maxLine bytes without ending, it is too long.
func (s *Stream) countLineByte() {
	s.lineLen++
	if s.lineLen >= s.maxLine {
		s.decide(HeadTooLarge)
	}
}

// nameByte reads a header name; at its colon it decides what becomes of the
// line.
func (s *Stream) nameByte(c byte) {
	if c != ':' {
		if !tokenChar[c] {
			s.decide(BadRequest) // no colon, a space before it, a folded line
			return
		}
		if s.nameLen < len(s.name) {
			s.name[s.nameLen] = lowerASCII(c)
		}
		s.nameLen++
		return
	}
	if s.nameLen == 0 {
		s.decide(BadRequest)
		return
	}
	name := s.name[:min(s.nameLen, len(s.name))]
	switch {
	case s.nameLen > len(s.name):
		s.to(inSkippedValue)
	case string(name) == "cookie":
		s.cookieHeaders++
		if s.cookieHeaders > MaxCookieHeaders {
			s.decide(BadRequest)
			return
		}
		s.keepString("cookie:")
		s.pairsKept = 0
		s.startPair()
	case keptHeader(name):
		s.keepBytes(name)
		s.keep(':')
		s.to(inKeptValue)
	default:
		s.to(inSkippedValue)
	}
}

// keptHeader reports whether a lowercased header name is one the engine
// reads, or one whose presence Parse must judge.
func keptHeader(name []byte) bool {
	switch string(name) {
	case "host", "origin", "x-forwarded-for", "content-length", "transfer-encoding":
		return true
	}
	return false
}

func (s *Stream) startPair() {
	s.to(inPairName)
	s.pairNameLen, s.pairSpace, s.pairBad = 0, false, false
	s.keepValue, s.valueBegun = false, false
}

// cookieByte reads a Cookie header and keeps its sk pairs, with the same
// spacing rules as Cookie: OWS around the name and the value is dropped, a
// pair without '=' is skipped.
func (s *Stream) cookieByte(c byte) {
	if c == '\n' {
		s.endPair()
		if s.pairsKept == 0 {
			s.kept = s.kept[:s.lineMark] // no sk here: drop the line
		} else {
			s.keep('\n')
		}
		s.to(atLineStart)
		return
	}
	if !fieldByte(c) {
		s.decide(BadRequest)
		return
	}
	if c == ';' {
		s.endPair()
		s.startPair()
		return
	}
	ows := c == ' ' || c == '\t'
	if s.state == inPairValue {
		switch {
		case ows && !s.valueBegun:
		case s.keepValue:
			s.valueBegun = true
			s.keep(c)
		default:
			s.valueBegun = true
		}
		return
	}
	switch {
	case c == '=':
		if s.pairNameLen == 2 && !s.pairBad && s.pairName == [2]byte{'s', 'k'} {
			if s.pairsKept > 0 {
				s.keep(';')
			}
			s.keepString("sk=")
			s.pairsKept++
			s.keepValue = true
			s.valueMark = len(s.kept)
		}
		s.to(inPairValue)
	case ows:
		s.pairSpace = s.pairNameLen > 0
	default:
		if s.pairSpace {
			s.pairBad = true
		}
		if s.pairNameLen < len(s.pairName) {
			s.pairName[s.pairNameLen] = c
		}
		s.pairNameLen++
	}
}

// endPair drops the trailing OWS of a kept sk value.
func (s *Stream) endPair() {
	if !s.keepValue {
		return
	}
	for len(s.kept) > s.valueMark && (s.kept[len(s.kept)-1] == ' ' || s.kept[len(s.kept)-1] == '\t') {
		s.kept = s.kept[:len(s.kept)-1]
	}
}

// endHead parses the compact head once the empty line arrived.
func (s *Stream) endHead(r *Request) {
	s.keep('\n')
	if s.state == headDone {
		return
	}
	out := r.Parse(s.kept, len(s.kept))
	r.headLen = s.consumed
	s.decide(out)
}

// keep appends one byte to the compact head, or decides HeadTooLarge when
// the compact head is full.
func (s *Stream) keep(c byte) {
	if len(s.kept) >= s.maxLine+KeptHeaderBytes {
		s.decide(HeadTooLarge)
		return
	}
	s.kept = append(s.kept, c)
}

func (s *Stream) keepBytes(b []byte) {
	for _, c := range b {
		s.keep(c)
	}
}

func (s *Stream) keepString(b string) {
	for i := range len(b) {
		s.keep(b[i])
	}
}

// fieldByte reports whether c may appear in a header value: visible ASCII,
// space, tab and obs-text, as isFieldValue.
func fieldByte(c byte) bool { return (c >= ' ' || c == '\t') && c != 0x7f }

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Origin returns the Origin header's value once its line has been read,
// even when the head is refused later (too large, malformed): an answer to
// a listed origin's page carries CORS lines, so the page can read why.
func (s *Stream) Origin() []byte {
	const prefix = "origin:"
	kept := s.kept
	for len(kept) > 0 {
		line := kept
		nl := bytes.IndexByte(kept, '\n')
		if nl < 0 {
			return nil // the line being read, not yet judged
		}
		line, kept = kept[:nl], kept[nl+1:]
		if len(line) > len(prefix) && string(line[:len(prefix)]) == prefix {
			return trimOWS(line[len(prefix):])
		}
	}
	return nil
}
