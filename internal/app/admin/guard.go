package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// guard is the admin API's door: every request, whatever its path, passes
// these checks in this order before any handler runs.
//
//  1. Host must be the admin listener's own address (or localhost with its
//     port, or a name in [admin] hosts): otherwise 403. A DNS-rebinding page
//     reaches the listener under the attacker's name and stops here.
//  2. A cross-origin browser request (an Origin other than the Host, or
//     Sec-Fetch-Site naming another site) is refused with 403, whatever it
//     carries.
//  3. Authorization: Bearer TOKEN, compared in constant time, admits any
//     request. Without it, a GET or HEAD with the dashboard's session cookie
//     is admitted (read only); anything else is 401. A state change thus
//     always needs the header, which a browser never sends cross-origin
//     without a CORS preflight this API never grants: no CSRF.
//  4. GET /?token=TOKEN checks the token, sets the session cookie and
//     redirects to /, so the token leaves the address bar and history.
type guard struct {
	tokenSum [sha256.Size]byte // SHA-256 of the token: equal-length compare
	session  sessionKey
	hosts    hostSet
	now      func() time.Time
	next     http.Handler
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.hosts.allows(r.Host) {
		denyf(w, http.StatusForbidden, "Host %q is not this admin API's address; add the name to [admin] hosts", r.Host)
		return
	}
	if why := crossOrigin(r); why != "" {
		denyf(w, http.StatusForbidden, "cross-origin request refused: %s", why)
		return
	}
	if r.URL.Path == "/" && r.URL.Query().Has("token") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		g.openSession(w, r)
		return
	}
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !g.tokenOK(token) {
			denyf(w, http.StatusUnauthorized, "wrong admin token")
			return
		}
		g.next.ServeHTTP(w, r)
		return
	}
	readOnly := r.Method == http.MethodGet || r.Method == http.MethodHead
	if readOnly && g.session.valid(r, g.now()) {
		g.next.ServeHTTP(w, r)
		return
	}
	if readOnly {
		denyf(w, http.StatusUnauthorized, "missing Authorization: Bearer TOKEN (the token is [admin] token/token_file, or the file data_dir/admin.token the engine generated)")
		return
	}
	denyf(w, http.StatusUnauthorized, "a %s needs Authorization: Bearer TOKEN; the dashboard's session cookie is read-only", r.Method)
}

func (g *guard) tokenOK(token string) bool {
	sum := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(sum[:], g.tokenSum[:]) == 1
}

// openSession answers GET /?token=TOKEN: a right token gets the session
// cookie and a redirect to the page without the token; a wrong one 401.
func (g *guard) openSession(w http.ResponseWriter, r *http.Request) {
	if !g.tokenOK(r.URL.Query().Get("token")) {
		denyf(w, http.StatusUnauthorized, "wrong admin token")
		return
	}
	http.SetCookie(w, g.session.cookie(g.now()))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// crossOrigin says why r comes from another site's page, or "". Browsers
// send Origin on every cross-origin request and on same-origin ones other
// than GET/HEAD, and Sec-Fetch-Site on all of them; curl and scripts send
// neither, and are judged by the token alone.
func crossOrigin(r *http.Request) string {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return "Sec-Fetch-Site: " + site
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return ""
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, r.Host) {
		return "Origin " + origin + " is not " + r.Host
	}
	return ""
}

// hostSet is the Host values the admin API answers to.
type hostSet struct {
	exact map[string]bool // lower-case host:port or bare name
	port  string          // the listener's port
	// anyIP admits any IP literal with the listener's port, when it listens
	// on every interface: a rebinding page always arrives under a name.
	anyIP bool
}

// newHostSet derives the admitted hosts from the listener's bound address
// and the configured extra names.
func newHostSet(listenAddr string, extra []string) hostSet {
	s := hostSet{exact: map[string]bool{}}
	host, port, err := net.SplitHostPort(listenAddr)
	if err == nil {
		s.port = port
		s.exact[strings.ToLower(net.JoinHostPort(host, port))] = true
		if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
			s.anyIP = true
		}
		for _, local := range []string{"localhost", "127.0.0.1", "::1"} {
			s.exact[net.JoinHostPort(local, port)] = true
		}
	}
	for _, h := range extra {
		s.exact[strings.ToLower(h)] = true
	}
	return s
}

func (s hostSet) allows(hostHeader string) bool {
	h := strings.ToLower(hostHeader)
	if s.exact[h] {
		return true
	}
	name, port, err := net.SplitHostPort(h)
	if err != nil {
		return false
	}
	if s.exact[name] { // a configured bare name, with any port (a proxy may front it)
		return true
	}
	if port != s.port {
		return false
	}
	_, err = netip.ParseAddr(name)
	return s.anyIP && err == nil
}
