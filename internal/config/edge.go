package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// parsePrefix reads a CIDR, or a bare address as a prefix of one address,
// masked and with an IPv4-mapped IPv6 prefix turned into its IPv4 form, so
// that it matches the unmapped client addresses the engine compares.
func parsePrefix(text string) (netip.Prefix, error) {
	if !strings.Contains(text, "/") {
		a, err := netip.ParseAddr(text)
		if err != nil {
			return netip.Prefix{}, err
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(text)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// validatePublicEdge checks what browsers and balancers meet: CORS origins
// and the proxies that are believed about the client's address.
func (s *Server) validatePublicEdge(l *problemList) {
	for i, o := range s.CORSOrigins {
		if !validOrigin(o) {
			l.add(fmt.Sprintf("server.cors_origins[%d]", i), "%q is not an origin: scheme://host[:port] with no path, as browsers send it in Origin", o)
		}
	}
	if s.ProxyProtocol && len(s.TrustedProxies) == 0 {
		l.add("server.proxy_protocol", "is on but server.trusted_proxies is empty: name the balancers' addresses, or nobody's header is believed")
	}
}

// validOrigin accepts the serialized origin a browser sends: an http(s)
// scheme, a lower-case host, an optional port, nothing else. Origins are
// compared byte for byte, so a trailing slash or an upper-case letter here
// would never match.
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	return u.Scheme+"://"+u.Host == o && strings.ToLower(o) == o
}
