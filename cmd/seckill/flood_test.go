package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"seckill/internal/testkit/httpget"
)

// TestConnectionFlood runs seckill serve under a lowered descriptor limit
// (prlimit) and opens more connections than it may hold. The excess must be
// refused with busy, the engine must keep running, and it must serve
// normally afterwards. Incomplete requests are closed after idle_timeout.
func TestConnectionFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	const fdLimit = 256
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[server]
listen = %q
data_dir = %q
drain_delay = "0s"
idle_timeout = "2s"
[auth]
mode = "none"
[[activity]]
id = "flood"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "f"
  stock = 10
`, addr, filepath.Join(dir, "data")))
	srv := startChild(t, addr, cfg, "prlimit", fmt.Sprintf("--nofile=%d:%d", fdLimit, fdLimit))
	defer srv.stop(t)

	// Hold twice the limit of half-sent requests: the start-of-sale stampede.
	const held = 2 * fdLimit
	conns := make([]net.Conn, 0, held)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < held; i++ {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		io.WriteString(c, "GET /buy?sku=f&uid=1 HTTP/1.1\r\n")
		conns = append(conns, c)
	}
	// Read every connection at once: a refused one has its answer and EOF
	// at once, a held one times out.
	// A connection whose request arrived after the server refused and
	// closed it is reset by the peer's kernel, which can discard the busy
	// answer before we read it; that is a refusal too, a rude one.
	answers, resets := readAll(conns, time.Second)
	refused, politely := resets, 0
	for _, b := range answers {
		if bytes.Contains(b, []byte(" 429 ")) && bytes.Contains(b, []byte(`"busy"`)) {
			refused++
			politely++
		}
	}
	t.Logf("%d connections: %d refused with busy, %d reset, %d held", held, politely, resets, held-refused)
	if politely == 0 {
		t.Fatalf("no connection was refused with a busy answer")
	}
	if refused < held-fdLimit {
		t.Fatalf("only %d of %d connections refused under a limit of %d descriptors", refused, held, fdLimit)
	}
	if srv.hasExited() {
		t.Fatalf("server exited under the flood; log:\n%s", srv.logText())
	}
	// The held ones are closed by the idle timeout.
	time.Sleep(3500 * time.Millisecond)
	closedByServer := 0
	afterIdle, _ := readAll(conns, 200*time.Millisecond)
	for i, b := range afterIdle {
		if b != nil && answers[i] == nil {
			closedByServer++
		}
	}
	if closedByServer < held-refused {
		t.Errorf("idle timeout closed %d of %d held connections", closedByServer, held-refused)
	}
	for _, c := range conns {
		c.Close()
	}
	conns = conns[:0]

	resp, err := httpget.Get(addr, "/buy?sku=f&uid=42", 3*time.Second)
	if err != nil || resp.Status != 200 || !strings.Contains(string(resp.Body), `"won"`) {
		t.Fatalf("after the flood: %v %+v; log:\n%s", err, resp, srv.logText())
	}
}

// readAll reads every connection concurrently until EOF or timeout and
// returns what each sent — nil for one that did not reach EOF in time or
// failed — and how many were reset by the peer.
func readAll(conns []net.Conn, timeout time.Duration) ([][]byte, int) {
	out := make([][]byte, len(conns))
	var resets atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(timeout)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetReadDeadline(deadline)
			b, err := io.ReadAll(c)
			switch {
			case err == nil:
				out[i] = append(b, 0)[:len(b)] // non-nil even when empty
			case errors.Is(err, syscall.ECONNRESET):
				resets.Add(1)
			}
		}()
	}
	wg.Wait()
	return out, int(resets.Load())
}
