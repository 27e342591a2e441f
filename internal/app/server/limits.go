package server

import (
	"fmt"
	"syscall"
)

// fdReserveMin and fdReserveShare keep file descriptors free for the store
// (Pebble's WAL, sstables and manifest), the admin listener, and the
// connections accept(2) takes before the front end can refuse them: gnet
// stops its whole engine when accept fails with EMFILE, so the limit must
// be met well before the kernel's.
const (
	fdReserveMin   = 64
	fdReserveShare = 10 // percent of the descriptor limit
)

// raiseFDLimit lifts the soft descriptor limit to the hard one, as servers
// expecting many connections do, and returns the limit in force.
func raiseFDLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("server: getrlimit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, fmt.Errorf("server: setrlimit: %w", err)
		}
	}
	return lim.Cur, nil
}

// maxConnectionsFor derives max_connections from the descriptor limit.
func maxConnectionsFor(fdLimit uint64) int {
	reserve := max(fdReserveMin, fdLimit*fdReserveShare/100)
	if fdLimit <= reserve {
		return 1
	}
	return int(fdLimit - reserve)
}
