package bench

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// dialer opens connections from a rotating set of source addresses. Each
// loopback address has its own ~28,000 ephemeral ports, so spreading over
// 127.0.0.2…127.0.0.250 lifts the port cap of a single source.
type dialer struct {
	addr    string
	sources []*net.TCPAddr
	next    atomic.Uint64
	d       net.Dialer
}

func newDialer(addr string, sources []string, timeout time.Duration) (*dialer, error) {
	dl := &dialer{addr: addr}
	for _, s := range sources {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%w: source %q: %v", ErrSpec, s, err)
		}
		dl.sources = append(dl.sources, net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	}
	dl.d = net.Dialer{Timeout: timeout, Control: noPortAtBind}
	return dl, nil
}

// noPortAtBind sets IP_BIND_ADDRESS_NO_PORT: binding a source address then
// leaves the port to connect(2), which may reuse a port towards another
// destination, instead of reserving one at bind(2) for good.
func noPortAtBind(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// dial connects from the next source address in turn.
func (dl *dialer) dial(ctx context.Context) (net.Conn, error) {
	d := dl.d
	if n := len(dl.sources); n > 0 {
		d.LocalAddr = dl.sources[dl.next.Add(1)%uint64(n)]
	}
	return d.DialContext(ctx, "tcp", dl.addr)
}

// ParseSources expands a list like "127.0.0.2-127.0.0.250,10.0.0.1" into
// addresses; an empty string gives none.
func ParseSources(spec string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := netip.ParseAddr(lo)
		if err != nil {
			return nil, fmt.Errorf("%w: source %q: %v", ErrSpec, part, err)
		}
		if !isRange {
			out = append(out, first.String())
			continue
		}
		last, err := netip.ParseAddr(hi)
		if err != nil || last.Less(first) || !first.Is4() || !last.Is4() {
			return nil, fmt.Errorf("%w: source range %q", ErrSpec, part)
		}
		for a := first; ; a = a.Next() {
			out = append(out, a.String())
			if a == last || len(out) > 1<<16 {
				break
			}
		}
	}
	return out, nil
}
