package gate

import "net/netip"

// Proxies are the operator's balancers ([server] trusted_proxies): only
// they are believed about who the client is, by a PROXY protocol header or
// by X-Forwarded-For. A pointer satisfies httpmin.Trusted without
// allocating.
type Proxies struct {
	prefixes []netip.Prefix
}

// NewProxies returns the set of the given CIDRs.
func NewProxies(prefixes []netip.Prefix) *Proxies {
	return &Proxies{prefixes: prefixes}
}

// Contains reports whether addr is one of the proxies. The list is a few
// CIDRs, so a scan beats any index.
func (p *Proxies) Contains(addr netip.Addr) bool {
	if p == nil {
		return false
	}
	addr = addr.Unmap()
	for _, q := range p.prefixes {
		if q.Contains(addr) {
			return true
		}
	}
	return false
}

// Empty reports whether no proxy is trusted.
func (p *Proxies) Empty() bool { return p == nil || len(p.prefixes) == 0 }
