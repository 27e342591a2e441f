// Package httpget is a minimal HTTP/1.1 GET client for tests and tools that
// talk to seckill: one connection per request with Connection: close, the
// way phones hit the sale, and no connection pool to hide a server bug.
package httpget

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"time"
)

// ErrBadResponse reports a response that is not well-formed HTTP/1.1.
var ErrBadResponse = errors.New("httpget: malformed response")

// Response is what came back.
type Response struct {
	Status int
	Header textproto.MIMEHeader
	Body   []byte
}

// Get sends GET target to addr and reads the whole response. The deadline
// covers connect, write and read.
func Get(addr, target string, timeout time.Duration) (*Response, error) {
	return GetWithHeaders(addr, target, "", timeout)
}

// GetWithHeaders is Get with extra header lines (each "Name: value\r\n").
func GetWithHeaders(addr, target, headers string, timeout time.Duration) (*Response, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("httpget: dial %s: %w", addr, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	req := "GET " + target + " HTTP/1.1\r\nHost: " + addr + "\r\n" + headers + "Connection: close\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return nil, fmt.Errorf("httpget: write: %w", err)
	}
	return Read(conn)
}

// Read parses one response from r, reading the body by Content-Length.
func Read(r io.Reader) (*Response, error) {
	br := bufio.NewReaderSize(r, 2048)
	tp := textproto.NewReader(br)
	line, err := tp.ReadLine()
	if err != nil {
		return nil, fmt.Errorf("httpget: read status: %w", err)
	}
	proto, rest, ok := bytes.Cut([]byte(line), []byte(" "))
	if !ok || !bytes.HasPrefix(proto, []byte("HTTP/1.")) || len(rest) < 3 {
		return nil, fmt.Errorf("%w: status line %q", ErrBadResponse, line)
	}
	status, err := strconv.Atoi(string(rest[:3]))
	if err != nil {
		return nil, fmt.Errorf("%w: status line %q", ErrBadResponse, line)
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, fmt.Errorf("httpget: read headers: %w", err)
	}
	n, err := strconv.Atoi(hdr.Get("Content-Length"))
	if err != nil || n < 0 || n > 1<<20 {
		return nil, fmt.Errorf("%w: Content-Length %q", ErrBadResponse, hdr.Get("Content-Length"))
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, fmt.Errorf("httpget: read body: %w", err)
	}
	return &Response{Status: status, Header: hdr, Body: body}, nil
}
