package httpmin

import (
	"net/netip"
	"testing"
)

// prefixes is a Trusted set of CIDRs for tests.
type prefixes []netip.Prefix

func (p prefixes) Contains(a netip.Addr) bool {
	for _, q := range p {
		if q.Contains(a) {
			return true
		}
	}
	return false
}

func TestForwardedClient(t *testing.T) {
	trusted := prefixes{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	cases := []struct {
		name    string
		peer    string
		headers string
		want    string
		ok      bool
	}{
		{"untrusted peer keeps its address", "1.1.1.1", "X-Forwarded-For: 2.2.2.2\r\n", "1.1.1.1", true},
		{"trusted peer without header", "10.0.0.1", "", "10.0.0.1", true},
		{"trusted peer names the client", "10.0.0.1", "X-Forwarded-For: 2.2.2.2\r\n", "2.2.2.2", true},
		{"rightmost untrusted wins over a spoofed left", "10.0.0.1", "X-Forwarded-For: 6.6.6.6, 2.2.2.2\r\n", "2.2.2.2", true},
		{"a chain of trusted proxies", "10.0.0.1", "X-Forwarded-For: 3.3.3.3, 10.0.0.2\r\n", "3.3.3.3", true},
		{"across header lines", "10.0.0.1", "X-Forwarded-For: 4.4.4.4\r\nX-Forwarded-For: 10.1.1.1\r\n", "4.4.4.4", true},
		{"all trusted: the leftmost", "10.0.0.1", "X-Forwarded-For: 10.0.0.3\r\n", "10.0.0.3", true},
		{"IPv6 entry", "::1", "X-Forwarded-For: 2001:db8::7\r\n", "2001:db8::7", true},
		{"mapped IPv4 is unmapped", "10.0.0.1", "X-Forwarded-For: ::ffff:5.5.5.5\r\n", "5.5.5.5", true},
		{"garbage entry reached", "10.0.0.1", "X-Forwarded-For: unknown\r\n", "10.0.0.1", false},
		{"entry with a port", "10.0.0.1", "X-Forwarded-For: 2.2.2.2:80\r\n", "10.0.0.1", false},
		{"entry with a zone", "::1", "X-Forwarded-For: fe80::1%eth0\r\n", "::1", false},
		{"empty entry", "10.0.0.1", "X-Forwarded-For: 2.2.2.2,\r\n", "10.0.0.1", false},
		{"garbage beyond the walk is not read", "10.0.0.1", "X-Forwarded-For: junk, 2.2.2.2\r\n", "2.2.2.2", true},
	}
	for _, tc := range cases {
		var r Request
		if out := r.Parse([]byte("GET / HTTP/1.1\r\n"+tc.headers+"\r\n"), 0); out != Complete {
			t.Fatalf("%s: %v", tc.name, out)
		}
		got, ok := r.ForwardedClient(netip.MustParseAddr(tc.peer), trusted)
		if ok != tc.ok || got != netip.MustParseAddr(tc.want) {
			t.Errorf("%s: %v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestForwardedClientDoesNotAllocate(t *testing.T) {
	var r Request
	r.Parse([]byte("GET / HTTP/1.1\r\nX-Forwarded-For: 2001:db8::1, 3.3.3.3, 10.0.0.2\r\n\r\n"), 0)
	var tr Trusted = prefixes{netip.MustParsePrefix("10.0.0.0/8")}
	peer := netip.MustParseAddr("10.0.0.1")
	if n := testing.AllocsPerRun(100, func() {
		if a, ok := r.ForwardedClient(peer, tr); !ok || !a.Is4() {
			t.Fatal("walk failed")
		}
	}); n > 0 {
		t.Fatalf("%v allocations", n)
	}
}
