package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"seckill/internal/testkit/httpget"
)

// TestSIGTERMAnswersEveryQueuedAttempt: a real `seckill serve` whose WAL
// syncs are slowed (slowSyncEnv) holds many /buy attempts queued behind its
// group commits when it gets SIGTERM. Every client still gets a complete
// HTTP answer — won for each attempt queued before the signal, never a
// reset or an end of stream without a response — and the process exits 0;
// with either front end.
func TestSIGTERMAnswersEveryQueuedAttempt(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	for _, frontEnd := range []string{"netpoll", "nethttp"} {
		t.Run(frontEnd, func(t *testing.T) { sigtermWithQueuedAttempts(t, frontEnd) })
	}
}

func sigtermWithQueuedAttempts(t *testing.T, frontEnd string) {
	const clients = 150
	dir := t.TempDir()
	addr, admin := freeAddr(t), freeAddr(t)
	data := filepath.Join(dir, "data")
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[server]
listen = %q
admin_listen = %q
data_dir = %q
drain_delay = "0s"
shutdown_timeout = "60s"
batch_max = 2
front_end = %q
[auth]
mode = "none"
[[activity]]
id = "term"
start = "now"
end = "+1h"
queue = 1000
  [[activity.item]]
  sku = "s"
  stock = 1000
`, addr, admin, data, frontEnd))
	// 40 ms per sync, two wins per commit: about 50 wins a second, so the
	// 150 attempts take some three seconds to decide.
	srv := startChild(t, addr, cfg, "env", slowSyncEnv+"=40ms")
	defer func() {
		if !srv.hasExited() {
			srv.kill()
		}
	}()
	token, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	metric := func(body []byte, re *regexp.Regexp) int {
		m := re.FindSubmatch(body)
		if m == nil {
			t.Fatalf("no %s in /metrics:\n%s", re, body)
		}
		n, _ := strconv.ParseFloat(string(m[1]), 64)
		return int(n)
	}
	scrape := func() []byte {
		req, _ := http.NewRequest("GET", "http://"+admin+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("/metrics: %v", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("/metrics: %d %v", resp.StatusCode, err)
		}
		return body
	}
	var (
		openRe  = regexp.MustCompile(`(?m)^seckill_connections_open (\S+)$`)
		depthRe = regexp.MustCompile(`(?m)^seckill_queue_depth\{[^}]*sku="s"[^}]*\} (\S+)$`)
		wonRe   = regexp.MustCompile(`(?m)^seckill_attempts_total\{[^}]*result="won"[^}]*\} (\S+)$`)
	)

	type answer struct {
		result    string
		afterTerm bool
		err       error
	}
	var (
		answers  = make([]answer, clients)
		answered sync.WaitGroup
		termMu   sync.Mutex
		termSent bool
		early    int // answers read before the signal
	)
	for i := range clients {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := fmt.Fprintf(conn, "GET /buy?sku=s&uid=%d HTTP/1.1\r\nHost: x\r\n\r\n", i+1); err != nil {
			t.Fatal(err)
		}
		answered.Add(1)
		go func() {
			defer answered.Done()
			_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
			resp, err := httpget.Read(conn)
			termMu.Lock()
			answers[i].afterTerm = termSent
			if !termSent {
				early++
			}
			termMu.Unlock()
			if err != nil {
				answers[i].err = err
				return
			}
			var body struct{ Result string }
			if err := json.Unmarshal(resp.Body, &body); err != nil {
				answers[i].err = fmt.Errorf("status %d, body %q: %w", resp.Status, resp.Body, err)
				return
			}
			answers[i].result = body.Result
			// After the answer the server closes: no reset, no more bytes.
			if rest, err := io.ReadAll(conn); err != nil || len(rest) > 0 {
				answers[i].err = fmt.Errorf("after the answer: %q, %v", rest, err)
			}
		}()
	}

	// Wait until the server has accepted every connection (open, or
	// answered and closed) and many attempts wait in the shard's inbox.
	var depth, wonBefore int
	deadline := time.Now().Add(20 * time.Second)
	for {
		body := scrape()
		termMu.Lock()
		gone := early
		termMu.Unlock()
		open := metric(body, openRe)
		depth, wonBefore = metric(body, depthRe), metric(body, wonRe)
		if open+gone >= clients && depth >= clients/3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the attempts did not queue: %d connections open, %d answered, queue depth %d", open, gone, depth)
		}
		time.Sleep(10 * time.Millisecond)
	}
	termMu.Lock()
	termSent = true
	termMu.Unlock()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.exited:
		if srv.waitErr != nil {
			t.Errorf("seckill serve exited with %v; log:\n%s", srv.waitErr, srv.logText())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("seckill serve did not stop on SIGTERM; log:\n%s", srv.logText())
	}
	answered.Wait()

	won, wonAfter := 0, 0
	for i, a := range answers {
		switch {
		case a.err != nil:
			t.Errorf("client %d got no complete answer: %v", i+1, a.err)
		case a.result == "won":
			won++
			if a.afterTerm {
				wonAfter++
			}
		case a.result != "unavailable":
			t.Errorf("client %d: %q, want won or unavailable", i+1, a.result)
		}
	}
	// Each attempt in the inbox when the metrics were read was decided
	// during the drain, and won: stock is plenty.
	if won < wonBefore+depth {
		t.Errorf("%d clients told won, but %d had won and %d were queued before SIGTERM", won, wonBefore, depth)
	}
	t.Logf("%d clients: %d queued at SIGTERM; %d won, %d of them answered after the signal", clients, depth, won, wonAfter)
}
