package bench

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"seckill/internal/live/token"
)

// Error classes: an attempt that got no HTTP answer is counted under one of
// these instead of a result.
const (
	errConnect = "connect"
	// A connect that timed out is the sign of an accept queue that
	// overflowed (the kernel drops the SYN; the client resends it after 1 s,
	// 3 s, 7 s); a refused one, of a listener that is gone.
	errConnectTimeout = "connect_timeout"
	errConnectRefused = "connect_refused"
	errWrite          = "write"
	errReset          = "reset"
	errTimeout        = "timeout"
	errEOF            = "closed_without_answer"
	errBadResponse    = "bad_response"
	errOverrun        = "client_overrun" // sustained: the generator could not keep up
)

// knownResults interns result names so recording one does not allocate.
var knownResults = []string{
	"won", "already_won", "sold_out", "ended", "not_started", "busy",
	"not_reserved", "limit_reached", "blocked", "captcha_required",
	"unauthorized", "unknown_sku", "bad_request", "method_not_allowed",
	"header_too_large", "unavailable", "none", "not_found", "floor",
}

// answer is what one response said.
type answer struct {
	status  int
	result  string // one of knownResults, or "other"
	seq     uint64
	ticket  string // wins only
	retryMs int64
}

// final reports whether a burst user stops after this answer. Busy asks it
// to come back; every other answer is the sale's word on this user.
func (a *answer) final() bool { return a.result != "busy" }

func (a *answer) isWin() bool { return a.result == "won" || a.result == "already_won" }

// appendRequest renders one GET as a phone would send it, with
// Connection: close. With a secret the uid travels in a signed token,
// otherwise (auth none) as uid=.
func appendRequest(dst []byte, s *Spec, sku string, uid uint64, expiry int64) []byte {
	dst = append(dst, "GET "...)
	dst = append(dst, s.Path...)
	dst = append(dst, "?sku="...)
	dst = append(dst, sku...)
	if s.Secret != "" {
		dst = append(dst, "&token="...)
		dst = append(dst, token.Mint([]byte(s.Secret), uid, expiry)...)
	} else {
		dst = append(dst, "&uid="...)
		dst = strconv.AppendUint(dst, uid, 10)
	}
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, s.Addr...)
	dst = append(dst, "\r\nUser-Agent: seckill-bench\r\nAccept: */*\r\nConnection: close\r\n\r\n"...)
	return dst
}

// roundTrip sends req on a fresh connection and reads the answer to EOF.
// It returns the answer, or the class of failure, and when the request had
// been written (unix nanoseconds; 0 if it never was): from then on the
// attempt waits for the server (and the kernel), not for this generator's
// scheduling or its connect.
func roundTrip(ctx context.Context, dl *dialer, req []byte, buf []byte, timeout time.Duration) (a answer, errClass string, sent int64) {
	c, err := dl.dial(ctx)
	if err != nil {
		return answer{}, classifyDial(err), 0
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(req); err != nil {
		return answer{}, classify(err, errWrite), 0
	}
	sent = time.Now().UnixNano()
	a, errClass = readAnswer(c, buf)
	return a, errClass, sent
}

// readAnswer reads one response until the server closes, as every answer
// in this API ends.
func readAnswer(c net.Conn, buf []byte) (answer, string) {
	n := 0
	for {
		if n == len(buf) {
			return answer{}, errBadResponse // longer than any answer we send for
		}
		m, err := c.Read(buf[n:])
		n += m
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if n > 0 {
				// A reset after the whole answer arrived still counts.
				if a, ok := parseAnswer(buf[:n]); ok {
					return a, ""
				}
			}
			return answer{}, classify(err, errReset)
		}
	}
	if n == 0 {
		return answer{}, errEOF
	}
	a, ok := parseAnswer(buf[:n])
	if !ok {
		return answer{}, errBadResponse
	}
	return a, ""
}

func classifyDial(err error) string {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT):
		return errConnectTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return errConnectRefused
	}
	return errConnect
}

func classify(err error, fallback string) string {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return errReset
	}
	return fallback
}

var (
	headEnd   = []byte("\r\n\r\n")
	keyResult = []byte(`"result":"`)
	keySeq    = []byte(`"seq":`)
	keyTicket = []byte(`"ticket":"`)
	keyRetry  = []byte(`"retry_ms":`)
)

// parseAnswer reads the status and the fields the checks need from a whole
// response. It trusts the server's fixed field order no more than JSON
// does: each field is found by its key.
func parseAnswer(b []byte) (answer, bool) {
	if len(b) < 12 || !bytes.HasPrefix(b, []byte("HTTP/1.")) {
		return answer{}, false
	}
	status, err := strconv.Atoi(string(b[9:12]))
	if err != nil {
		return answer{}, false
	}
	end := bytes.Index(b, headEnd)
	if end < 0 {
		return answer{}, false
	}
	if cl := headerInt(b[:end], "\r\nContent-Length: "); cl >= 0 && len(b)-end-4 < int(cl) {
		return answer{}, false // cut short
	}
	body := b[end+4:]
	a := answer{status: status, result: "other"}
	if v, ok := stringField(body, keyResult); ok {
		for _, r := range knownResults {
			if string(v) == r {
				a.result = r
				break
			}
		}
	}
	if a.isWin() {
		a.seq, _ = uintField(body, keySeq)
		if v, ok := stringField(body, keyTicket); ok {
			a.ticket = string(v)
		}
	}
	if a.result == "busy" {
		ms, _ := uintField(body, keyRetry)
		a.retryMs = int64(ms)
	}
	return a, true
}

func stringField(body, key []byte) ([]byte, bool) {
	i := bytes.Index(body, key)
	if i < 0 {
		return nil, false
	}
	v := body[i+len(key):]
	j := bytes.IndexByte(v, '"')
	if j < 0 {
		return nil, false
	}
	return v[:j], true
}

func uintField(body, key []byte) (uint64, bool) {
	i := bytes.Index(body, key)
	if i < 0 {
		return 0, false
	}
	v := body[i+len(key):]
	j := 0
	for j < len(v) && v[j] >= '0' && v[j] <= '9' {
		j++
	}
	n, err := strconv.ParseUint(string(v[:j]), 10, 64)
	return n, err == nil
}

// headerInt finds "\r\nName: N" in a head and returns N, or -1.
func headerInt(head []byte, prefix string) int64 {
	i := bytes.Index(head, []byte(prefix))
	if i < 0 {
		return -1
	}
	v := head[i+len(prefix):]
	if j := bytes.Index(v, []byte("\r\n")); j >= 0 {
		v = v[:j]
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return -1
	}
	return n
}
