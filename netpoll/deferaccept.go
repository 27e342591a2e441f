package netpoll

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// deferAcceptSeconds is the TCP_DEFER_ACCEPT of the listening sockets: the
// kernel completes a connection to accept only once its first bytes have
// arrived, waiting up to this long for them (after that it is accepted
// anyway, empty). Every buyer sends its request at once, so the event loop
// is woken once per connection — with the request already readable — instead
// of once for the accept and again for the request; a connection that sends
// nothing costs the engine nothing until then. One second is long enough
// for any client that connects to send at once and short enough that an
// empty connection still reaches the idle timeout soon.
const deferAcceptSeconds = 1

// setDeferAccept sets TCP_DEFER_ACCEPT on every listening socket this
// process has on addr's port and reports how many it set. gnet v2.9.4 has
// no option for it (its listener options are a fixed list: SO_REUSEPORT,
// SO_REUSEADDR, TCP_NODELAY, buffer sizes, keep-alive, the device) and does
// not expose its per-loop listener descriptors, so OnBoot finds them in
// /proc/self/fd: sockets that accept connections (SO_ACCEPTCONN) bound to
// our port. A socket option belongs to the socket, so setting it through
// that descriptor is setting it on gnet's listener.
func setDeferAccept(addr string, seconds int) (int, error) {
	want, err := netip.ParseAddrPort(strings.TrimPrefix(addr, "tcp://"))
	if err != nil {
		return 0, nil // a name: the default listener options stay
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil // no procfs: not Linux
	}
	if err != nil {
		return 0, fmt.Errorf("netpoll: TCP_DEFER_ACCEPT: %w", err)
	}
	set := 0
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if on, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || on != 1 {
			continue // not a socket, or not listening
		}
		sa, err := unix.Getsockname(fd)
		if err != nil || sockaddrPort(sa) != int(want.Port()) {
			continue
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, seconds); err != nil {
			return set, fmt.Errorf("netpoll: TCP_DEFER_ACCEPT on fd %d: %w", fd, err)
		}
		set++
	}
	return set, nil
}

func sockaddrPort(sa unix.Sockaddr) int {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return a.Port
	case *unix.SockaddrInet6:
		return a.Port
	}
	return -1
}
