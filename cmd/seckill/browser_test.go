package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seckill/internal/live/token"
)

// browserPage is the mall's page: it sets the mall's own cookies (about
// 800 bytes) and the buyer's sk cookie, then buys twice with fetch and the
// buyer's cookies, reading each answer, and reports what it could read to
// the server that served it. A page from an origin the engine does not list
// cannot read the answer: fetch fails.
const browserPage = `<!doctype html><html><body><script>
(async () => {
  const report = (what) => fetch("/report?" + new URLSearchParams(what));
  for (let i = 0; i < 16; i++) {
    document.cookie = "mall_pref_" + i + "=" + "v".repeat(36) + "; path=/";
  }
  document.cookie = "sk=TOKEN; path=/";
  const buy = async (url) => {
    try {
      const r = await fetch(url, {credentials: "include"});
      return (await r.json()).result;
    } catch (e) {
      return "error:" + e.name;
    }
  };
  const headSize = await buy("CAPTURE");
  const first = await buy("BUY");
  const second = await buy("BUY");
  await report({first, second, head: headSize});
})();
</script></body></html>`

// TestBrowserBuysThroughCORS drives a real Chromium. The page is served
// from 127.0.0.1 on another port than the engine: another origin (CORS
// applies) of the same site (an IP address has no registrable domain, and
// cookies belong to the host whatever the port), so the cookies the page
// sets, SameSite=Lax by default, go with its credentialed fetch. The
// engine lists that origin in cors_origins; a third port, unlisted, plays
// another page of the same host.
func TestBrowserBuysThroughCORS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	chromium := needTool(t, "chromium", "chromium")
	dir := t.TempDir()
	engineAddr := freeAddr(t)
	pages := map[string]net.Listener{}
	for _, name := range []string{"listed", "unlisted"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		pages[name] = ln
	}
	listedOrigin := "http://" + pages["listed"].Addr().String()
	const secret = "browser-test-secret-0123456789"
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[server]
listen = %q
data_dir = %q
drain_delay = "0s"
cors_origins = [%q]
[auth]
mode = "hmac"
secret = %q
[[activity]]
id = "web"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "phone-1"
  stock = 10
`, engineAddr, filepath.Join(dir, "data"), listedOrigin, secret))
	engine := startChild(t, engineAddr, cfg)
	defer engine.stop(t)

	// capture answers like the engine but records the head Chromium sends
	// with the cookies, to measure it.
	capture, heads := captureHeads(t, listedOrigin)
	tok := token.Mint([]byte(secret), 42, time.Now().Add(time.Hour).Unix())
	page := strings.NewReplacer("TOKEN", tok,
		"CAPTURE", "http://"+capture+"/buy?sku=phone-1",
		"BUY", "http://"+engineAddr+"/buy?sku=phone-1").Replace(browserPage)
	reports := make(chan map[string]string, 2)
	for _, ln := range pages {
		mux := http.NewServeMux()
		mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, page)
		})
		mux.HandleFunc("/report", func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			reports <- map[string]string{"first": q.Get("first"), "second": q.Get("second"), "head": q.Get("head"), "page": r.Host}
		})
		srv := &http.Server{Handler: mux}
		go srv.Serve(ln)
		defer srv.Close()
	}

	open := func(name string) map[string]string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
			"--disable-quic", "--no-first-run", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--user-data-dir="+t.TempDir(),
			"--virtual-time-budget=10000", "--dump-dom",
			"http://"+pages[name].Addr().String()+"/page")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			cmd.Process.Kill()
			cmd.Wait()
		}()
		select {
		case r := <-reports:
			return r
		case <-ctx.Done():
			t.Fatalf("the %s page reported nothing; chromium:\n%s", name, out.String())
		}
		return nil
	}

	got := open("listed")
	if got["first"] != "won" || got["second"] != "already_won" {
		t.Fatalf("listed origin's page read %v, want won then already_won", got)
	}
	head := <-heads
	t.Logf("Chromium's request head with the mall's cookies and sk: %d bytes (read_buffer 1024, max_head_bytes 8192), of which Cookie: %d:\n%s", len(head), cookieLen(head), headerNames(head))
	if len(head) <= 1024 {
		t.Errorf("Chromium's head is %d bytes: the test should exceed the 1 KiB read buffer", len(head))
	}

	got = open("unlisted")
	if !strings.HasPrefix(got["second"], "error:") || !strings.HasPrefix(got["first"], "error:") {
		t.Fatalf("unlisted origin's page read %v; the browser must keep the answer from it", got)
	}
}

// captureHeads serves, on a port of its own, answers a listed page may
// read, and sends each request head it received on the channel.
func captureHeads(t *testing.T, origin string) (string, <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	heads := make(chan []byte, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(c)
				var head []byte
				for {
					line, err := r.ReadBytes('\n')
					head = append(head, line...)
					if err != nil || len(line) <= 2 {
						break
					}
				}
				select {
				case heads <- head:
				default:
				}
				body := fmt.Sprintf(`{"result":"%d"}`, len(head))
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"+
					"Access-Control-Allow-Origin: %s\r\nAccess-Control-Allow-Credentials: true\r\nConnection: close\r\n\r\n%s",
					len(body), origin, body)
			}()
		}
	}()
	return ln.Addr().String(), heads
}

// cookieLen is the length of the Cookie line of a head.
func cookieLen(head []byte) int {
	for _, line := range bytes.Split(head, []byte("\r\n")) {
		if bytes.HasPrefix(bytes.ToLower(line), []byte("cookie:")) {
			return len(line) + 2
		}
	}
	return 0
}

// headerNames lists a head's header names with each line's length.
func headerNames(head []byte) string {
	var b strings.Builder
	for _, line := range bytes.Split(head, []byte("\r\n")) {
		name, _, _ := bytes.Cut(line, []byte(":"))
		fmt.Fprintf(&b, "  %s (%d)\n", name, len(line)+2)
	}
	return b.String()
}
