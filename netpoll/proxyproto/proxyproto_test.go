package proxyproto

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// v2 builds a version 2 header: command, family, address bytes and TLVs.
func v2(cmd, fam byte, addrs []byte, tlvs int) []byte {
	b := append([]byte(nil), v2Signature...)
	b = append(b, v2Version|cmd, fam, 0, 0)
	b = append(b, addrs...)
	b = append(b, make([]byte, tlvs)...)
	binary.BigEndian.PutUint16(b[14:16], uint16(len(b)-v2FixedSize))
	return b
}

func v4Addrs() []byte {
	return []byte{192, 0, 2, 7, 10, 0, 0, 1, 0x30, 0x39, 0x1f, 0x90} // :12345 → :8080
}

func v6Addrs() []byte {
	b := make([]byte, 36)
	copy(b, netip.MustParseAddr("2001:db8::7").AsSlice())
	copy(b[16:], netip.MustParseAddr("2001:db8::1").AsSlice())
	binary.BigEndian.PutUint16(b[32:], 443)
	binary.BigEndian.PutUint16(b[34:], 8080)
	return b
}

type parseCase struct {
	name    string
	in      []byte
	err     error
	src     string // AddrPort, "" for Local
	version int
}

func cases() []parseCase {
	return []parseCase{
		{"v1 TCP4", []byte("PROXY TCP4 192.0.2.7 10.0.0.1 12345 8080\r\nGET / HTTP/1.1\r\n"), nil, "192.0.2.7:12345", 1},
		{"v1 TCP6", []byte("PROXY TCP6 2001:db8::7 2001:db8::1 443 8080\r\n"), nil, "[2001:db8::7]:443", 1},
		{"v1 UNKNOWN", []byte("PROXY UNKNOWN\r\n"), nil, "", 1},
		{"v1 UNKNOWN with junk", []byte("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"), nil, "", 1},
		{"v1 longest", []byte("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"), nil, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", 1},
		{"v2 TCP4", v2(cmdProxy, famTCP4, v4Addrs(), 0), nil, "192.0.2.7:12345", 2},
		{"v2 TCP4 with TLVs", v2(cmdProxy, famTCP4, v4Addrs(), 300), nil, "192.0.2.7:12345", 2},
		{"v2 TCP6", v2(cmdProxy, famTCP6, v6Addrs(), 0), nil, "[2001:db8::7]:443", 2},
		{"v2 LOCAL", v2(cmdLocal, famUnspec, nil, 0), nil, "", 2},
		{"v2 LOCAL with addresses", v2(cmdLocal, famTCP4, v4Addrs(), 0), nil, "", 2},
		{"v2 PROXY unspecified family", v2(cmdProxy, famUnspec, nil, 0), nil, "", 2},

		{"empty", nil, ErrIncomplete, "", 0},
		{"v1 partial", []byte("PROXY TCP4 192.0.2.7"), ErrIncomplete, "", 0},
		{"v1 ends in CR", []byte("PROXY TCP4 192.0.2.7 10.0.0.1 12345 8080\r"), ErrIncomplete, "", 0},
		{"v2 partial signature", v2Signature[:5], ErrIncomplete, "", 0},
		{"v2 partial addresses", v2(cmdProxy, famTCP4, v4Addrs(), 0)[:20], ErrIncomplete, "", 0},

		{"HTTP instead", []byte("GET / HTTP/1.1\r\n\r\n"), ErrInvalid, "", 0},
		{"lower-case proxy", []byte("proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n"), ErrInvalid, "", 0},
		{"v1 bare LF", []byte("PROXY TCP4 192.0.2.7 10.0.0.1 12345 8080\n"), ErrInvalid, "", 0},
		{"v1 CR inside", []byte("PROXY TCP4 192.0.2.7\r 10.0.0.1"), ErrInvalid, "", 0},
		{"v1 unknown protocol", []byte("PROXY UDP4 192.0.2.7 10.0.0.1 1 2\r\n"), ErrInvalid, "", 0},
		{"v1 family mismatch", []byte("PROXY TCP4 2001:db8::7 10.0.0.1 1 2\r\n"), ErrInvalid, "", 0},
		{"v1 mapped address as TCP4", []byte("PROXY TCP4 ::ffff:1.2.3.4 10.0.0.1 1 2\r\n"), ErrInvalid, "", 0},
		{"v1 double space", []byte("PROXY TCP4  192.0.2.7 10.0.0.1 1 2\r\n"), ErrInvalid, "", 0},
		{"v1 missing port", []byte("PROXY TCP4 192.0.2.7 10.0.0.1 1\r\n"), ErrInvalid, "", 0},
		{"v1 extra field", []byte("PROXY TCP4 192.0.2.7 10.0.0.1 1 2 3\r\n"), ErrInvalid, "", 0},
		{"v1 port too big", []byte("PROXY TCP4 192.0.2.7 10.0.0.1 65536 2\r\n"), ErrInvalid, "", 0},
		{"v1 port leading zero", []byte("PROXY TCP4 192.0.2.7 10.0.0.1 080 2\r\n"), ErrInvalid, "", 0},
		{"v1 zone", []byte("PROXY TCP6 fe80::1%eth0 fe80::2 1 2\r\n"), ErrInvalid, "", 0},
		{"v1 too long", []byte("PROXY UNKNOWN " + strings.Repeat("x", MaxV1Bytes)), ErrInvalid, "", 0},
		{"v2 bad signature", append([]byte("\r\n\r\n\x00\r\nQUIX\n"), 0x21, 0x11, 0, 12), ErrInvalid, "", 0},
		{"v2 version 1", append(append([]byte(nil), v2Signature...), 0x11, 0x11, 0, 12), ErrInvalid, "", 0},
		{"v2 unknown command", append(append([]byte(nil), v2Signature...), 0x22, 0x11, 0, 12), ErrInvalid, "", 0},
		{"v2 UDP", v2(cmdProxy, 0x12, v4Addrs(), 0), ErrInvalid, "", 0},
		{"v2 unix", v2(cmdProxy, 0x31, make([]byte, 216), 0), ErrInvalid, "", 0},
		{"v2 length short of addresses", append(append([]byte(nil), v2Signature...), 0x21, 0x11, 0, 8), ErrInvalid, "", 0},
		{"v2 too long", v2(cmdProxy, famTCP4, v4Addrs(), MaxV2Bytes), ErrInvalid, "", 0},
	}
}

func TestParse(t *testing.T) {
	for _, tc := range cases() {
		h, n, err := Parse(tc.in)
		if !errors.Is(err, tc.err) {
			t.Fatalf("%s: err %v, want %v", tc.name, err, tc.err)
		}
		if err != nil {
			continue
		}
		if h.Version != tc.version || h.Local != (tc.src == "") {
			t.Errorf("%s: %+v", tc.name, h)
		}
		if tc.src != "" && h.Source != netip.MustParseAddrPort(tc.src) {
			t.Errorf("%s: source %v, want %v", tc.name, h.Source, tc.src)
		}
		if n <= 0 || n > len(tc.in) || (tc.in[n-1] != '\n' && h.Version == 1) {
			t.Errorf("%s: length %d of %d", tc.name, n, len(tc.in))
		}
	}
}

// TestParseEveryPrefixIsIncomplete: a header split anywhere by TCP must
// wait, never be refused or accepted early.
func TestParseEveryPrefixIsIncomplete(t *testing.T) {
	for _, tc := range cases() {
		if tc.err != nil {
			continue
		}
		_, n, _ := Parse(tc.in)
		for k := range n {
			if _, _, err := Parse(tc.in[:k]); !errors.Is(err, ErrIncomplete) {
				t.Fatalf("%s: prefix of %d/%d: %v", tc.name, k, n, err)
			}
		}
	}
}

func TestParseDoesNotAllocate(t *testing.T) {
	v1 := []byte("PROXY TCP6 2001:db8::7 2001:db8::1 443 8080\r\n")
	v2h := v2(cmdProxy, famTCP6, v6Addrs(), 40)
	if n := testing.AllocsPerRun(100, func() {
		if _, _, err := Parse(v1); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Parse(v2h); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func FuzzParse(f *testing.F) {
	valid := map[string]bool{} // the cases that parse: they must keep parsing
	for _, tc := range cases() {
		f.Add(tc.in)
		if tc.err == nil {
			valid[string(tc.in)] = true
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := Parse(b)
		if err != nil {
			if valid[string(b)] {
				t.Fatalf("a header that parsed in the table test is refused: %v", err)
			}
			if n != 0 {
				t.Fatalf("error %v with length %d", err, n)
			}
			if errors.Is(err, ErrIncomplete) && len(b) > MaxV2Bytes {
				t.Fatalf("incomplete after %d bytes", len(b))
			}
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("length %d of %d", n, len(b))
		}
		// The header alone decodes the same; every shorter prefix waits.
		h2, n2, err2 := Parse(b[:n])
		if err2 != nil || n2 != n || h2 != h {
			t.Fatalf("header alone: %+v %d %v, with the rest: %+v %d", h2, n2, err2, h, n)
		}
		for _, k := range []int{0, n / 2, n - 1} {
			if _, _, err := Parse(b[:k]); !errors.Is(err, ErrIncomplete) {
				t.Fatalf("prefix %d of %d: %v", k, n, err)
			}
		}
		if !h.Local && (!h.Source.Addr().IsValid() || h.Source.Addr().Zone() != "") {
			t.Fatalf("source %v", h.Source)
		}
	})
}
