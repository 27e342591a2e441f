package httpmin

import (
	"bytes"
	"net/netip"
	"unsafe"
)

// Trusted says which addresses belong to the operator's own proxies, whose
// X-Forwarded-For entries are believed.
type Trusted interface {
	Contains(addr netip.Addr) bool
}

// ForwardedClient walks the X-Forwarded-For entries from the right, the end
// each proxy appends to, starting at peer, the address the connection came
// from: while the address in hand is a trusted proxy, the entry it appended
// names the next hop towards the client. It returns the first address that is
// not a trusted proxy, or the leftmost entry when all are. A request whose
// peer is not trusted keeps its peer whatever it claims. ok is false when an
// entry the walk reaches is not a bare IP address: guessing past it would let
// a client pick the address it is limited by.
func (r *Request) ForwardedClient(peer netip.Addr, trusted Trusted) (addr netip.Addr, ok bool) {
	addr = peer
	for i := r.nForwarded - 1; i >= 0; i-- {
		list := r.forwarded[i]
		for len(list) > 0 {
			if !trusted.Contains(addr) {
				return addr, true
			}
			entry := list
			if comma := bytes.LastIndexByte(list, ','); comma >= 0 {
				entry, list = list[comma+1:], list[:comma]
			} else {
				list = nil
			}
			next, valid := parseBareAddr(trimOWS(entry))
			if !valid {
				return peer, false
			}
			addr = next
		}
	}
	return addr, true
}

// parseBareAddr parses an IPv4 or IPv6 address without zone or port,
// without copying it to a string.
func parseBareAddr(b []byte) (netip.Addr, bool) {
	if len(b) == 0 || bytes.IndexByte(b, '%') >= 0 {
		return netip.Addr{}, false // a zone would be kept as a string: refuse it
	}
	// The string does not outlive this call: without a zone, netip keeps
	// nothing of it.
	a, err := netip.ParseAddr(unsafe.String(&b[0], len(b)))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
