package server

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seckill/internal/live/token"
	"seckill/internal/testkit/httpget"
)

const answersConfig = `
[server]
listen = "LISTEN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "hmac"
secret = "` + testSecret + `"
captcha_secret = "captcha-secret-0123456789"
[blocklist]
uids = [666]
[[activity]]
id = "live"
start = "now"
end = "+1h"
reservation = "required"
reservations_file = "reserved.txt"
admit_per_sec = 3
  [[activity.item]]
  sku = "live-1"
  stock = 100
[[activity]]
id = "later"
start = "2099-01-01T00:00:00Z"
end = "+1h"
  [[activity.item]]
  sku = "later-1"
  stock = 1
[[activity]]
id = "past"
start = "2001-01-01T00:00:00Z"
end = "+1h"
  [[activity.item]]
  sku = "past-1"
  stock = 1
[[activity]]
id = "guarded"
start = "now"
end = "+1h"
captcha = true
  [[activity.item]]
  sku = "cap-1"
  stock = 5
`

// TestEveryAnswer checks, over a real socket, the status, result and
// headers of every answer the public API table names.
func TestEveryAnswer(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "reserved.txt"), []byte("1\n2\n3\n4\n5\n666\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, stop := startServer(t, answersConfig, dir)
	defer stop()
	tok := func(uid uint64) string { return tokenFor(uid) }
	capPass := token.Mint([]byte("captcha-secret-0123456789"), 1, time.Now().Add(time.Minute).Unix())
	tests := []struct {
		name, target string
		status       int
		result       string // "" = do not check
		header       string // a header line the response must carry
		body         string // a fragment the body must contain
	}{
		{"won", "/buy?sku=live-1&token=" + tok(1), 200, "won", "", `"seq":1`},
		{"already won", "/buy?sku=live-1&token=" + tok(1), 200, "already_won", "", `"seq":1`},
		{"not reserved", "/buy?sku=live-1&token=" + tok(9), 403, "not_reserved", "", ""},
		{"blocked", "/buy?sku=live-1&token=" + tok(666), 403, "blocked", "", ""},
		{"not started", "/buy?sku=later-1&token=" + tok(1), 409, "not_started", "", `"start_unix":4070908800`},
		{"ended", "/buy?sku=past-1&token=" + tok(1), 410, "ended", "", ""},
		{"captcha missing", "/buy?sku=cap-1&token=" + tok(1), 403, "captcha_required", "", ""},
		{"captcha for another uid", "/buy?sku=cap-1&token=" + tok(2) + "&captcha=" + capPass, 403, "captcha_required", "", ""},
		{"captcha passed", "/buy?sku=cap-1&token=" + tok(1) + "&captcha=" + capPass, 200, "won", "", ""},
		{"unauthorized", "/buy?sku=live-1&token=1.2.3", 401, "unauthorized", "", ""},
		{"unknown sku", "/buy?sku=nope&token=" + tok(1), 404, "unknown_sku", "", ""},
		{"bad sku", "/buy?sku=a%2Fb&token=" + tok(1), 400, "bad_request", "", ""},
		{"no sku", "/buy?token=" + tok(1), 400, "bad_request", "", ""},
		{"bad escape", "/buy?sku=%zz", 400, "bad_request", "", ""},
		{"stock", "/stock?sku=live-1", 200, "", "", `"state":"on_sale"`},
		{"stock not started", "/stock?sku=later-1", 200, "", "", `"state":"not_started"`},
		{"result none", "/result?sku=live-1&token=" + tok(2), 404, "none", "", ""},
		{"result found", "/result?sku=live-1&token=" + tok(1), 200, "won", "", `"seq":1`},
		{"healthz", "/healthz", 200, "", "", `{"status":"ok"}`},
		{"unknown path", "/nope", 404, "not_found", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := httpget.Get(addr, tt.target, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			checkAnswer(t, resp, tt.status, tt.result, tt.body)
		})
	}

	// Tier 1: admit_per_sec = 3, so a quick burst of distinct users must
	// meet busy with Retry-After and retry_ms.
	sawBusy := false
	for uid := uint64(2); uid <= 5 && !sawBusy; uid++ {
		for i := 0; i < 3; i++ {
			resp, err := httpget.Get(addr, "/buy?sku=live-1&token="+tok(uid), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status == 429 {
				checkAnswer(t, resp, 429, "busy", `"retry_ms":`)
				if resp.Header.Get("Retry-After") == "" {
					t.Fatal("busy without Retry-After")
				}
				sawBusy = true
				break
			}
		}
	}
	if !sawBusy {
		t.Fatal("admit_per_sec = 3 never answered busy")
	}

	raw := []struct {
		name, request string
		status        int
		result        string
		header        string
	}{
		{"post", "POST /buy?sku=live-1 HTTP/1.1\r\nHost: x\r\n\r\n", 405, "method_not_allowed", "Allow"},
		{"body", "GET /buy?sku=live-1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 400, "bad_request", ""},
		{"chunked", "GET /buy?sku=live-1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "bad_request", ""},
		{"head too large", "GET /buy?sku=live-1 HTTP/1.1\r\nX-Pad: " + strings.Repeat("a", 8200) + "\r\n\r\n", 431, "header_too_large", ""},
		{"request line over read_buffer", "GET /buy?sku=live-1&x=" + strings.Repeat("a", 1024) + " HTTP/1.1\r\n\r\n", 431, "header_too_large", ""},
		{"duplicate sku", "GET /buy?sku=live-1&uid=1&sku=live-2 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request", ""},
		{"head", "HEAD /buy?sku=live-1 HTTP/1.1\r\nHost: x\r\n\r\n", 405, "", "Allow"},
		{"garbage", "HELLO\r\n\r\n", 400, "bad_request", ""},
	}
	for _, tt := range raw {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprint(c, tt.request)
			resp, err := httpget.Read(c)
			if err != nil {
				t.Fatal(err)
			}
			checkAnswer(t, resp, tt.status, tt.result, "")
			if tt.header != "" && resp.Header.Get(tt.header) == "" {
				t.Fatalf("missing header %s", tt.header)
			}
		})
	}
}

func checkAnswer(t *testing.T, resp *httpget.Response, status int, result, body string) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d, want %d; body %s", resp.Status, status, resp.Body)
	}
	if result != "" && !strings.Contains(string(resp.Body), `"result":"`+result+`"`) {
		t.Fatalf("body %s, want result %s", resp.Body, result)
	}
	if body != "" && !strings.Contains(string(resp.Body), body) {
		t.Fatalf("body %s lacks %s", resp.Body, body)
	}
	if resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Connection") != "close" {
		t.Fatalf("headers %v", resp.Header)
	}
}
