package netpoll

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
)

// ErrAddressTaken is returned by Run when another process already listens
// on the public address.
var ErrAddressTaken = errors.New("netpoll: another process already listens on the address")

// claimAddress makes sure no other process listens on addr before the
// event loops bind it. The loops bind with SO_REUSEPORT, one socket each,
// and Linux lets any process of the same user join such a group: a second
// engine started on the same port by mistake would silently get half the
// connections, and a user could win once on each. A socket bound without
// SO_REUSEPORT cannot join, so a plain listen fails exactly when someone
// holds the address; it is closed again at once so the loops can bind.
func claimAddress(addr string) error {
	ln, err := net.Listen("tcp", strings.TrimPrefix(addr, "tcp://"))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%w: %s (stop the other process or choose another server.listen): %w", ErrAddressTaken, addr, err)
		}
		return fmt.Errorf("netpoll: listen %s: %w", addr, err)
	}
	return ln.Close()
}
