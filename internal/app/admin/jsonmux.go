package admin

import "net/http"

// jsonMux answers what the routes do not (an unknown path, a method the
// path does not take) with a JSON error, like every other admin answer,
// instead of net/http's plain text; a 405 keeps its Allow header.
type jsonMux struct{ mux *http.ServeMux }

func (m jsonMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := m.mux.Handler(r)
	if pattern != "" {
		h.ServeHTTP(w, r)
		return
	}
	// The mux's own answer says which it is (404, or 405 with Allow).
	probe := &statusProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if allow := probe.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	switch probe.status {
	case http.StatusMethodNotAllowed:
		errorf(w, probe.status, "method %s not allowed on %s (allowed: %s)", r.Method, r.URL.Path, probe.header.Get("Allow"))
	case http.StatusNotFound, 0:
		errorf(w, http.StatusNotFound, "no admin route %s (see docs/ADMIN.md)", r.URL.Path)
	default: // a redirect to the path with a trailing slash
		h.ServeHTTP(w, r)
	}
}

// statusProbe records the status and headers a handler answers with and
// drops its body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}
