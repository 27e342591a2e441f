package gate

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"seckill/engine"
	"seckill/httpmin"
	"seckill/internal/live/token"
)

const mall = "https://www.example-mall.com"

func newCORSGate(t testing.TB) *Gate {
	g, _ := newGateWith(t, 4, func(o *Options) {
		o.CORSOrigins = []string{"https://other.example", mall}
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	return g
}

func parseHead(t testing.TB, head string) *httpmin.Request {
	t.Helper()
	var req httpmin.Request
	if o := req.Parse([]byte(head), 4096); o != httpmin.Complete && o != httpmin.Preflight && o != httpmin.MethodNotAllowed {
		t.Fatalf("parse %q: %v", head, o)
	}
	return &req
}

// corsLines are what a page of the mall needs to read an answer sent with
// its cookies.
const corsLines = "Access-Control-Allow-Origin: " + mall + "\r\nAccess-Control-Allow-Credentials: true\r\nVary: Origin\r\n"

func TestCORSOnEveryAnswer(t *testing.T) {
	g := newCORSGate(t)
	good := token.Mint([]byte(secret), 7, time.Now().Add(time.Hour).Unix())
	now := time.Now().UnixNano()
	for _, tc := range []struct {
		name, origin string
		want         bool
	}{
		{"listed origin", mall, true},
		{"unlisted origin", "https://evil.example", false},
		{"listed origin with a path is another string", mall + "/", false},
		{"no origin", "", false},
	} {
		head := "GET /stock?sku=s1 HTTP/1.1\r\n"
		if tc.origin != "" {
			head += "Origin: " + tc.origin + "\r\n"
		}
		var p Pending
		resp, _ := g.Serve(parseHead(t, head+"\r\n"), netip.Addr{}, now, nopReplier{}, &p, nil)
		got := strings.Contains(string(resp), corsLines)
		if got != tc.want || (!tc.want && strings.Contains(string(resp), "Access-Control")) {
			t.Errorf("%s: CORS %v, want %v:\n%s", tc.name, got, tc.want, resp)
		}
		if !strings.HasSuffix(string(resp), "}") || !strings.Contains(string(resp), "\r\n\r\n{") {
			t.Errorf("%s: body moved: %q", tc.name, resp)
		}

		// A queued attempt carries the origin to its answer.
		resp, queued := g.Serve(parseHead(t, "GET /buy?sku=s1&token="+good+" HTTP/1.1\r\nOrigin: "+tc.origin+"\r\n\r\n"), netip.Addr{}, now, nopReplier{}, &p, nil)
		if !queued {
			t.Fatalf("%s: not queued: %s", tc.name, resp)
		}
		d := engine.Decision{Result: engine.Won, Seq: 1, TimeUnixNano: now}
		answer := g.Answer(&p, &d, nil)
		if got := strings.Contains(string(answer), corsLines); got != tc.want {
			t.Errorf("%s: won answer CORS %v, want %v:\n%s", tc.name, got, tc.want, answer)
		}
		if !strings.Contains(string(answer), "\r\n\r\n{\"result\":\"won\"") {
			t.Errorf("%s: won body moved: %q", tc.name, answer)
		}
	}
}

func TestPreflight(t *testing.T) {
	g := newCORSGate(t)
	resp := g.Preflight(parseHead(t, "OPTIONS /buy?sku=s1 HTTP/1.1\r\nOrigin: "+mall+"\r\nAccess-Control-Request-Method: GET\r\n\r\n"), nil)
	want := "HTTP/1.1 204 No Content\r\n" + corsLines +
		"Access-Control-Allow-Methods: GET\r\nAccess-Control-Allow-Headers: Content-Type\r\nAccess-Control-Max-Age: 600\r\nConnection: close\r\n\r\n"
	if string(resp) != want {
		t.Errorf("listed preflight:\n%q\nwant\n%q", resp, want)
	}
	for _, head := range []string{
		"OPTIONS /buy HTTP/1.1\r\nOrigin: https://evil.example\r\n\r\n",
		"OPTIONS /buy HTTP/1.1\r\n\r\n",
	} {
		resp := string(g.Preflight(parseHead(t, head), nil))
		if !strings.HasPrefix(resp, "HTTP/1.1 405 ") || !strings.Contains(resp, "Allow: GET\r\n") || strings.Contains(resp, "Access-Control") {
			t.Errorf("%q: %q", head, resp)
		}
	}
}

func TestRefuse(t *testing.T) {
	g := newCORSGate(t)
	resp := string(g.Refuse(RefuseMethod, true, nil, nil))
	if !strings.HasPrefix(resp, "HTTP/1.1 405 ") || !strings.HasSuffix(resp, "\r\n\r\n") || !strings.Contains(resp, "Allow: GET\r\n") {
		t.Errorf("HEAD: %q", resp)
	}
	resp = string(g.Refuse(RefuseMethod, false, nil, nil))
	if !strings.HasSuffix(resp, `{"result":"method_not_allowed"}`) {
		t.Errorf("POST: %q", resp)
	}
	resp = string(g.Refuse(RefuseHeadTooLarge, false, []byte(mall), nil))
	if !strings.HasPrefix(resp, "HTTP/1.1 431 ") || !strings.Contains(resp, corsLines) || !strings.HasSuffix(resp, `{"result":"header_too_large"}`) {
		t.Errorf("431 to the mall: %q", resp)
	}
	resp = string(g.Refuse(RefuseMalformed, false, []byte("https://evil.example"), nil))
	if strings.Contains(resp, "Access-Control") {
		t.Errorf("400 to another origin: %q", resp)
	}
}

// TestForwardedForOnlyFromTrustedProxies: the address X-Forwarded-For names
// is the one the blocklist judges, but only when a trusted proxy sent it.
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	g := newCORSGate(t)
	g.SetBlocklist(nil, []netip.Addr{netip.MustParseAddr("203.0.113.9")})
	good := token.Mint([]byte(secret), 7, time.Now().Add(time.Hour).Unix())
	now := time.Now().UnixNano()
	for _, tc := range []struct {
		name, peer, xff, want string
	}{
		{"trusted proxy names a blocked client", "10.1.1.1", "203.0.113.9", "blocked"},
		{"untrusted peer cannot name one", "198.51.100.1", "203.0.113.9", ""},
		{"untrusted peer cannot hide behind one", "203.0.113.9", "198.51.100.1", "blocked"},
		{"trusted proxy with garbage", "10.1.1.1", "not-an-address", "bad_request"},
	} {
		var p Pending
		head := "GET /buy?sku=s1&token=" + good + " HTTP/1.1\r\nX-Forwarded-For: " + tc.xff + "\r\n\r\n"
		resp, queued := g.Serve(parseHead(t, head), netip.MustParseAddr(tc.peer), now, nopReplier{}, &p, nil)
		if tc.want == "" {
			if !queued {
				t.Errorf("%s: not queued: %s", tc.name, resp)
			} else {
				g.Answer(&p, &engine.Decision{Result: engine.Won}, nil)
			}
			continue
		}
		if queued || !strings.Contains(string(resp), `"result":"`+tc.want+`"`) {
			t.Errorf("%s: %s", tc.name, resp)
		}
	}
}

func TestCORSDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	g := newCORSGate(t)
	req := parseHead(t, "GET /stock?sku=s1 HTTP/1.1\r\nOrigin: "+mall+"\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n")
	out := make([]byte, 0, 2048)
	var p Pending
	now := time.Now().UnixNano()
	var resp []byte
	if a := testing.AllocsPerRun(200, func() {
		resp, _ = g.Serve(req, netip.MustParseAddr("10.0.0.1"), now, nopReplier{}, &p, out[:0])
	}); a != 0 {
		t.Errorf("%.1f allocations", a)
	}
	if !strings.Contains(string(resp), corsLines) {
		t.Fatal(string(resp))
	}
}
