package main

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seckill/internal/handoff/export"
	"seckill/internal/testkit/testcert"
)

// needTool returns the path of a program a test drives. In CI (.ci/run
// installs it) its absence fails the test; elsewhere it skips, saying how
// to install it.
func needTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; .ci/run installs Debian %s", name, debianPackage)
		}
		t.Skipf("%s is not installed (apt-get install %s; CI installs it)", name, debianPackage)
	}
	return p
}

// TestSecondEngineOnOnePortRefusesToStart: the event loops share their
// port with SO_REUSEPORT, which any process of the same user could join; a
// second engine on the same address must exit instead of taking half of
// the buyers to another data_dir.
func TestSecondEngineOnOnePortRefusesToStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	addr := freeAddr(t)
	config := func(dir string) string {
		return writeConfig(t, dir, fmt.Sprintf(`
[server]
listen = %q
data_dir = %q
drain_delay = "0s"
[auth]
mode = "none"
[[activity]]
id = "one"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "x"
  stock = 10
`, addr, filepath.Join(dir, "data")))
	}
	first := startChild(t, addr, config(t.TempDir()))
	defer first.stop(t)

	second := exec.Command(binary, "serve", "-config", config(t.TempDir()))
	done := make(chan error, 1)
	var out strings.Builder
	second.Stdout, second.Stderr = &out, &out
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- second.Wait() }()
	select {
	case err := <-done:
		if err == nil || second.ProcessState.ExitCode() == 0 {
			t.Fatalf("second engine exited 0; output:\n%s", out.String())
		}
		if !strings.Contains(out.String(), "another process already listens") {
			t.Errorf("the message does not say why:\n%s", out.String())
		}
	case <-time.After(20 * time.Second):
		second.Process.Kill()
		<-done
		t.Fatalf("second engine still running on %s; output:\n%s", addr, out.String())
	}
	// The first one still answers, and alone.
	for uid := range 4 {
		resp := getBody(t, addr, fmt.Sprintf("/buy?sku=x&uid=%d", uid+1))
		if !strings.Contains(resp, `"result":"won"`) {
			t.Fatalf("first engine after the refusal: %s", resp)
		}
	}
}

func getBody(t *testing.T, addr, target string) string {
	t.Helper()
	return rawFrom(t, "127.0.0.1", addr, "GET "+target+" HTTP/1.1\r\nHost: x\r\n\r\n")
}

// nginxStreamModule is where Debian's libnginx-mod-stream puts the stream
// module: nginx's http proxy cannot send a PROXY header upstream, its
// stream proxy can.
const nginxStreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so"

// TestBehindNginxWithProxyProtocol puts a real nginx in front, as DEPLOY.md
// describes: TLS ends at nginx, which passes each connection on with a
// PROXY protocol header. Buyers from two loopback addresses must be seen as
// themselves in the winner records, by the per-address rate and by the
// blocklist, not as nginx's 127.0.0.1.
func TestBehindNginxWithProxyProtocol(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	nginx := needTool(t, "nginx", "nginx")
	curl := needTool(t, "curl", "curl")
	if _, err := os.Stat(nginxStreamModule); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("nginx stream module missing (%v); .ci/run installs Debian libnginx-mod-stream", err)
		}
		t.Skipf("nginx stream module missing: apt-get install libnginx-mod-stream")
	}
	dir := t.TempDir()
	engineAddr, tlsAddr := freeAddr(t), freeAddr(t)
	data := filepath.Join(dir, "data")
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[server]
listen = %q
data_dir = %q
drain_delay = "0s"
proxy_protocol = true
trusted_proxies = ["127.0.0.1"]
per_addr_per_sec = 1
[auth]
mode = "none"
[blocklist]
addrs = ["127.0.0.9"]
[[activity]]
id = "lb"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "x"
  stock = 10
`, engineAddr, data))
	engine := startChildNoHealth(t, cfg)

	cert, key := testcert.Write(t, dir)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`
load_module %s;
daemon off;
master_process off;
pid %s;
error_log %s info;
events { worker_connections 64; }
stream {
    server {
        listen %s ssl;
        ssl_certificate %s;
        ssl_certificate_key %s;
        proxy_pass %s;
        proxy_protocol on;
    }
}
`, nginxStreamModule, filepath.Join(dir, "nginx.pid"), filepath.Join(dir, "nginx-error.log"), tlsAddr, cert, key, engineAddr)), 0o644); err != nil {
		t.Fatal(err)
	}
	lbOut := startNginx(t, nginx, tlsAddr, "-p", dir, "-c", conf)

	// buy runs one curl from a source address for the given uids, one
	// request each, in a row: one process, so no start-up lands between.
	buy := func(from string, uids ...int) []string {
		t.Helper()
		args := []string{"-sS", "-k", "--max-time", "10", "--interface", from, "--write-out", "\\n"}
		for _, uid := range uids {
			args = append(args, fmt.Sprintf("https://%s/buy?sku=x&uid=%d", tlsAddr, uid))
		}
		out, err := exec.Command(curl, args...).CombinedOutput()
		if err != nil {
			errLog, _ := os.ReadFile(filepath.Join(dir, "nginx-error.log"))
			t.Fatalf("curl from %s: %v: %s\nnginx: %s\n%s", from, err, out, lbOut.String(), errLog)
		}
		answers := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(answers) != len(uids) {
			t.Fatalf("curl from %s: %d answers for %d requests: %s", from, len(answers), len(uids), out)
		}
		return answers
	}
	// Two buyers from two addresses win; the per-address rate (1 a second)
	// then stops a second buyer from the first address, so it is counted
	// per buyer and not per balancer. A second can pass between the two
	// attempts, so the pair is tried a few times.
	if got := buy("127.0.0.7", 1)[0]; !strings.Contains(got, `"result":"won"`) {
		t.Fatalf("127.0.0.7: %s", got)
	}
	if got := buy("127.0.0.8", 2)[0]; !strings.Contains(got, `"result":"won"`) {
		t.Fatalf("127.0.0.8: %s", got)
	}
	limited := false
	var seen []string
	for uid := 10; uid < 30 && !limited; uid += 2 {
		// Start the pair at the top of a second, so that both fall in it
		// unless starting curl takes most of a second.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
		got := buy("127.0.0.8", uid, uid+1)
		seen = append(seen, got...)
		limited = strings.Contains(got[0], `"result":"won"`) && strings.Contains(got[1], `"result":"busy"`)
	}
	if !limited {
		t.Fatalf("per_addr_per_sec = 1 never refused a second attempt from 127.0.0.8 within its second: %q", seen)
	}
	if got := buy("127.0.0.9", 3)[0]; !strings.Contains(got, `"result":"blocked"`) {
		t.Fatalf("blocklisted 127.0.0.9 through nginx: %s", got)
	}
	// nginx itself, without a PROXY header, is refused; so is anyone else
	// who sends one.
	if got := getBody(t, engineAddr, "/buy?sku=x&uid=4"); !strings.Contains(got, " 400 ") {
		t.Errorf("trusted proxy without PROXY header: %s", got)
	}
	if got := rawFrom(t, "127.0.0.5", engineAddr, "PROXY TCP4 1.2.3.4 127.0.0.1 1 2\r\nGET /buy?sku=x&uid=5 HTTP/1.1\r\n\r\n"); !strings.Contains(got, " 400 ") {
		t.Errorf("PROXY header from an untrusted peer: %s", got)
	}

	engine.stop(t)
	out := filepath.Join(dir, "winners.jsonl")
	if stdout, stderr, err := runCmd(t, nil, "export", "-data", data, "-dir", dir, "-out", "winners.jsonl"); err != nil {
		t.Fatalf("export: %v\n%s\n%s", err, stdout, stderr)
	}
	clients := map[uint64]string{}
	if err := export.ReadFile(out, "jsonl", func(r *export.Record) error {
		clients[r.UID] = r.Client
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if clients[1] != "127.0.0.7" || clients[2] != "127.0.0.8" {
		t.Fatalf("winner records' clients %v, want uid 1 from 127.0.0.7 and uid 2 from 127.0.0.8", clients)
	}
}

// startChildNoHealth is startChild for an engine whose health check cannot
// pass over a plain connection (behind the PROXY protocol, 127.0.0.1 must
// send a header first): it waits for the log's "serving" line instead.
func startChildNoHealth(t *testing.T, cfgPath string) *child {
	t.Helper()
	c := spawnChild(t, cfgPath)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(c.logText(), "msg=serving") {
			return c
		}
	}
	c.kill()
	t.Fatalf("seckill serve did not start; log:\n%s", c.logText())
	return nil
}

// startNginx runs nginx with args until the test ends and waits until it
// accepts on addr; it returns nginx's output so far.
func startNginx(t *testing.T, nginx, addr string, args ...string) *strings.Builder {
	t.Helper()
	lb := exec.Command(nginx, args...)
	var out strings.Builder
	lb.Stdout, lb.Stderr = &out, &out
	if err := lb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		lb.Process.Kill()
		lb.Wait()
	})
	waitListening(t, addr, out.String)
	return &out
}

// waitListening waits until something accepts on addr.
func waitListening(t *testing.T, addr string, log func() string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("nothing listens on %s; output:\n%s", addr, log())
}

// rawFrom sends request bytes from a chosen loopback source address.
func rawFrom(t *testing.T, from, addr, request string) string {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(from), 0))}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, request)
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}
