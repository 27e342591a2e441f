package proxyproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"unsafe"
)

var (
	// ErrIncomplete means the bytes so far are a valid beginning of a
	// header; call Parse again with more.
	ErrIncomplete = errors.New("proxyproto: incomplete header")
	// ErrInvalid means the bytes are not a PROXY protocol header.
	ErrInvalid = errors.New("proxyproto: invalid header")
)

// MaxV1Bytes is the longest version 1 header, CRLF included, as the
// specification fixes it.
const MaxV1Bytes = 107

// MaxV2Bytes bounds a version 2 header with its TLVs. The addresses take at
// most 216 bytes; HAProxy's TLVs (ALPN, authority, TLS details, unique id)
// a few hundred more. A longer one is refused, so a connection's kept bytes
// stay bounded.
const MaxV2Bytes = 1024

// Header is a decoded PROXY header.
type Header struct {
	// Source is the client the balancer accepted, Dest the address it
	// accepted on.
	Source, Dest netip.AddrPort
	// Local is true for a header that names no client: version 2's LOCAL
	// command (the balancer's own health check) or an unspecified family,
	// version 1's UNKNOWN. The connection's own peer is then the client.
	Local bool
	// Version is 1 or 2.
	Version int
}

var (
	v1Prefix    = []byte("PROXY ")
	v2Signature = []byte("\r\n\r\n\x00\r\nQUIT\n")
)

// Parse decodes the header at the start of b. It returns the header and its
// length in bytes; what follows belongs to the forwarded connection.
func Parse(b []byte) (Header, int, error) {
	switch {
	case len(b) == 0:
		return Header{}, 0, ErrIncomplete
	case b[0] == v1Prefix[0]:
		return parseV1(b)
	case b[0] == v2Signature[0]:
		return parseV2(b)
	}
	return Header{}, 0, ErrInvalid
}

// isPrefix reports whether b and want agree on their common length, and
// whether b holds all of want.
func isPrefix(b, want []byte) (agree, whole bool) {
	n := min(len(b), len(want))
	return bytes.Equal(b[:n], want[:n]), len(b) >= len(want)
}

// parseV1 decodes "PROXY TCP4 SRC DST SPORT DPORT\r\n" (or TCP6, or
// "PROXY UNKNOWN ...\r\n"). Fields are separated by exactly one space.
func parseV1(b []byte) (Header, int, error) {
	agree, whole := isPrefix(b, v1Prefix)
	if !agree {
		return Header{}, 0, ErrInvalid
	}
	if !whole {
		return Header{}, 0, ErrIncomplete
	}
	window := b[:min(len(b), MaxV1Bytes)]
	end := bytes.IndexByte(window, '\n')
	if end < 0 {
		if len(window) == MaxV1Bytes {
			return Header{}, 0, ErrInvalid
		}
		if bytes.IndexByte(window, '\r') >= 0 && window[len(window)-1] != '\r' {
			return Header{}, 0, ErrInvalid // a CR not followed by LF
		}
		return Header{}, 0, ErrIncomplete
	}
	if end == 0 || window[end-1] != '\r' {
		return Header{}, 0, ErrInvalid
	}
	line := window[len(v1Prefix) : end-1]
	if bytes.IndexByte(line, '\r') >= 0 {
		return Header{}, 0, ErrInvalid // as a prefix would have been
	}
	n := end + 1
	proto, rest := cut(line)
	switch string(proto) {
	case "UNKNOWN":
		// The rest is to be ignored, whatever it holds.
		return Header{Local: true, Version: 1}, n, nil
	case "TCP4", "TCP6":
	default:
		return Header{}, 0, ErrInvalid
	}
	src, rest := cut(rest)
	dst, rest := cut(rest)
	sport, rest := cut(rest)
	dport, rest := cut(rest)
	if rest != nil {
		return Header{}, 0, ErrInvalid
	}
	want4 := string(proto) == "TCP4"
	srcAddr, ok1 := parseAddr(src, want4)
	dstAddr, ok2 := parseAddr(dst, want4)
	sp, ok3 := parsePort(sport)
	dp, ok4 := parsePort(dport)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return Header{}, 0, ErrInvalid
	}
	return Header{Source: netip.AddrPortFrom(srcAddr, sp), Dest: netip.AddrPortFrom(dstAddr, dp), Version: 1}, n, nil
}

// cut splits b at its first space; rest is nil when there is none.
func cut(b []byte) (field, rest []byte) {
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// parseAddr parses an address of the family the header named, without
// copying it to a string.
func parseAddr(b []byte, want4 bool) (netip.Addr, bool) {
	if len(b) == 0 || len(b) > len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255") {
		return netip.Addr{}, false
	}
	if bytes.IndexByte(b, '%') >= 0 {
		return netip.Addr{}, false // no zones
	}
	// The string does not outlive this call: without a zone, netip keeps
	// nothing of it.
	a, err := netip.ParseAddr(unsafe.String(&b[0], len(b)))
	if err != nil || a.Is4() != want4 {
		return netip.Addr{}, false
	}
	return a, true
}

// parsePort parses a decimal port of 0 to 65535 without a sign or a
// leading zero.
func parsePort(b []byte) (uint16, bool) {
	if len(b) == 0 || len(b) > 5 || (b[0] == '0' && len(b) > 1) {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return uint16(n), n <= 65535
}

// Version 2's command and family bytes.
const (
	v2Version   = 0x20
	cmdLocal    = 0x0
	cmdProxy    = 0x1
	famUnspec   = 0x00
	famTCP4     = 0x11
	famTCP6     = 0x21
	v2FixedSize = 16
)

// parseV2 decodes the binary header: the 12-byte signature, version and
// command, family and protocol, the length of what follows, the addresses,
// then TLVs, which are skipped.
func parseV2(b []byte) (Header, int, error) {
	agree, whole := isPrefix(b, v2Signature)
	if !agree {
		return Header{}, 0, ErrInvalid
	}
	if !whole {
		return Header{}, 0, ErrIncomplete
	}
	if len(b) > len(v2Signature) && b[12]&0xf0 != v2Version {
		return Header{}, 0, ErrInvalid
	}
	if len(b) < v2FixedSize {
		return Header{}, 0, ErrIncomplete
	}
	cmd, fam := b[12]&0x0f, b[13]
	n := v2FixedSize + int(binary.BigEndian.Uint16(b[14:16]))
	if cmd != cmdLocal && cmd != cmdProxy {
		return Header{}, 0, ErrInvalid
	}
	if n > MaxV2Bytes {
		return Header{}, 0, ErrInvalid
	}
	var need int
	switch fam {
	case famTCP4:
		need = 12
	case famTCP6:
		need = 36
	case famUnspec:
	default:
		if cmd == cmdProxy {
			return Header{}, 0, ErrInvalid // UDP or a unix socket on a TCP listener
		}
	}
	if n < v2FixedSize+need {
		return Header{}, 0, ErrInvalid
	}
	if len(b) < n {
		return Header{}, 0, ErrIncomplete
	}
	if cmd == cmdLocal || fam == famUnspec {
		return Header{Local: true, Version: 2}, n, nil
	}
	a := b[v2FixedSize:n]
	var src, dst netip.Addr
	var ports []byte
	if fam == famTCP4 {
		src = netip.AddrFrom4([4]byte(a[0:4]))
		dst = netip.AddrFrom4([4]byte(a[4:8]))
		ports = a[8:12]
	} else {
		src = netip.AddrFrom16([16]byte(a[0:16]))
		dst = netip.AddrFrom16([16]byte(a[16:32]))
		ports = a[32:36]
	}
	return Header{
		Source:  netip.AddrPortFrom(src, binary.BigEndian.Uint16(ports[0:2])),
		Dest:    netip.AddrPortFrom(dst, binary.BigEndian.Uint16(ports[2:4])),
		Version: 2,
	}, n, nil
}
