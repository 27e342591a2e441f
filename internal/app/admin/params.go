package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// params wraps h so that it only sees well-formed query parameters: spec
// lists the names h reads, space-separated, each ending in "?" when it may
// be left out. An unknown name (a typo such as "activty" would otherwise be
// ignored and the action applied to the wrong scope), a repeated one or a
// missing one is answered 400; an "activity" that names no activity, or a
// "sku" not in that activity, 404 — all before h runs, so nothing changes.
func params(e Engine, spec string, h http.HandlerFunc) http.HandlerFunc {
	type param struct {
		name     string
		optional bool
	}
	var ps []param
	known := map[string]bool{}
	for _, f := range strings.Fields(spec) {
		name, optional := strings.CutSuffix(f, "?")
		ps = append(ps, param{name, optional})
		known[name] = true
	}
	takes := spec
	if takes == "" {
		takes = "none"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := url.ParseQuery(r.URL.RawQuery) // unlike r.URL.Query, reports a malformed escape or a ';'
		if err != nil {
			errorf(w, http.StatusBadRequest, "malformed query: %v", err)
			return
		}
		for name, vs := range q {
			switch {
			case !known[name]:
				errorf(w, http.StatusBadRequest, "unknown parameter %q (this route takes: %s)", name, takes)
				return
			case len(vs) > 1:
				errorf(w, http.StatusBadRequest, "parameter %q given %d times", name, len(vs))
				return
			}
		}
		for _, p := range ps {
			if !p.optional && q.Get(p.name) == "" {
				errorf(w, http.StatusBadRequest, "parameter %q is required", p.name)
				return
			}
		}
		if known["activity"] {
			if status, msg := findScope(e, q.Get("activity"), q.Get("sku")); status != 0 {
				errorf(w, status, "%s", msg)
				return
			}
		}
		h(w, r)
	}
}

// findScope checks that activity exists and, when sku is not empty, sells
// sku; it answers the status and message of the failure, or 0.
func findScope(e Engine, activity, sku string) (int, string) {
	found := false
	for _, rt := range e.Gate().Routes() {
		if rt.Activity != activity {
			continue
		}
		found = true
		if sku == "" || rt.SKU == sku {
			return 0, ""
		}
	}
	if !found {
		return http.StatusNotFound, fmt.Sprintf("no activity %q", activity)
	}
	return http.StatusNotFound, fmt.Sprintf("activity %q has no sku %q", activity, sku)
}
