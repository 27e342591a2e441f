package gate

import (
	"strings"
	"testing"

	"seckill/httpmin"
)

// TestRefusals: each head httpmin refuses, and a request while draining,
// gets its status, its result name and, for 405, the Allow header the
// status requires.
func TestRefusals(t *testing.T) {
	g, _ := newGate(t)
	cases := []struct {
		refusal      Refusal
		status, body string
		allow        bool
	}{
		{RefusalOf(httpmin.BadRequest), "400 Bad Request", `{"result":"bad_request"}`, false},
		{RefusalOf(httpmin.MethodNotAllowed), "405 Method Not Allowed", `{"result":"method_not_allowed"}`, true},
		{RefusalOf(httpmin.Preflight), "405 Method Not Allowed", `{"result":"method_not_allowed"}`, true},
		{RefusalOf(httpmin.HeadTooLarge), "431 Request Header Fields Too Large", `{"result":"header_too_large"}`, false},
		{RefuseDraining, "503 Service Unavailable", `{"result":"unavailable"}`, false},
	}
	for _, c := range cases {
		resp := string(g.Refuse(c.refusal, false, nil, nil))
		if !strings.HasPrefix(resp, "HTTP/1.1 "+c.status+"\r\n") || !strings.HasSuffix(resp, "\r\n\r\n"+c.body) {
			t.Errorf("%v: %q", c.refusal, resp)
		}
		if got := strings.Contains(resp, "\r\n"+httpmin.AllowGET); got != c.allow {
			t.Errorf("%v: Allow header present %v, want %v", c.refusal, got, c.allow)
		}
	}
}
