package netpoll

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// ErrAddressTaken is returned by Run when another process already listens
// on the public address.
var ErrAddressTaken = errors.New("netpoll: another process already listens on the address")

// claimAddress makes sure no other process listens on addr before the
// event loops bind it. The loops bind with SO_REUSEPORT, one socket each,
// and Linux lets any process of the same user join such a group: a second
// engine started on the same port by mistake would silently get half the
// connections, and a user could win once on each. A plain bind is no test:
// the closing connections of an engine killed a moment ago hold the port
// against it, though nobody listens. So the kernel's table of listening
// sockets is read instead (sharedWith), before binding and once more after.
func claimAddress(addr string) error {
	n, err := sharedWith(addr)
	if err != nil {
		return fmt.Errorf("netpoll: check %s: %w", addr, err)
	}
	if n > 0 {
		return fmt.Errorf("%w: %s, by %d socket(s) (stop the other process or choose another server.listen)", ErrAddressTaken, addr, n)
	}
	return nil
}

// sharedWith returns how many listening sockets on addr's port belong to
// other processes. Run asks before the event loops bind (an address in use)
// and once more after (OnBoot): two engines starting at the same instant
// would both find the address free and both bind with SO_REUSEPORT; then
// each sees the other's sockets and refuses to serve. It reads
// /proc/net/tcp{,6} for listeners whose address overlaps ours and
// /proc/self/fd for the sockets we own.
func sharedWith(addr string) (int, error) {
	want, err := netip.ParseAddrPort(strings.TrimPrefix(addr, "tcp://"))
	if err != nil || want.Port() == 0 {
		return 0, nil // a name or an ephemeral port: nothing to compare
	}
	ours := map[string]bool{}
	fds, err := os.ReadDir("/proc/self/fd")
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil // no procfs (not Linux): nothing to read the table from
	}
	if err != nil {
		return 0, err
	}
	for _, fd := range fds {
		if link, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(link, "socket:[") {
			ours[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	foreign := 0
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		text, err := os.ReadFile(table)
		if err != nil {
			continue // no IPv6 on this machine
		}
		for _, line := range strings.Split(string(text), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
				continue
			}
			local, ok := parseProcAddr(f[1])
			if !ok || local.Port() != want.Port() || !overlaps(local.Addr(), want.Addr().Unmap()) {
				continue
			}
			if !ours[f[9]] {
				foreign++
			}
		}
	}
	return foreign, nil
}

// parseProcAddr reads /proc/net/tcp's "0100007F:1F90": the address as
// 32-bit words in host (little-endian) order, the port big-endian hex.
func parseProcAddr(s string) (netip.AddrPort, bool) {
	hexAddr, hexPort, ok := strings.Cut(s, ":")
	raw, err1 := hex.DecodeString(hexAddr)
	port, err2 := strconv.ParseUint(hexPort, 16, 16)
	if !ok || err1 != nil || err2 != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, false
	}
	for i := 0; i < len(raw); i += 4 {
		binary.BigEndian.PutUint32(raw[i:], binary.LittleEndian.Uint32(raw[i:]))
	}
	a, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(a.Unmap(), uint16(port)), true
}

// overlaps reports whether a listener on a would take connections meant
// for b: the same address, or either is a wildcard.
func overlaps(a, b netip.Addr) bool {
	return a == b || a.IsUnspecified() || b.IsUnspecified()
}
