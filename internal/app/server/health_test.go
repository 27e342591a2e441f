package server

import (
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"seckill/internal/testkit/httpget"
	"seckill/internal/testkit/waltest"
	"seckill/wal"
)

const healthConfig = `
[server]
listen = "LISTEN"
data_dir = "DATADIR"
drain_delay = "DELAY"
[auth]
mode = "hmac"
secret = "` + testSecret + `"
[[activity]]
id = "h"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "p1"
  stock = 100
`

func healthz(t *testing.T, addr string) (int, string) {
	t.Helper()
	resp, err := httpget.Get(addr, "/healthz", 2*time.Second)
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	return resp.Status, string(resp.Body)
}

// TestHealthzDrainsBeforeClose checks the shutdown a load balancer sees over
// real sockets: /healthz says 503 draining from the moment the shutdown
// begins, buys are still served for drain_delay, and only then does the
// listener close.
func TestHealthzDrainsBeforeClose(t *testing.T) {
	const delay = 1500 * time.Millisecond
	r := launch(t, strings.Replace(healthConfig, "DELAY", delay.String(), 1), t.TempDir(), wal.Options{})
	if st, body := healthz(t, r.addr); st != 200 || body != `{"status":"ok"}` {
		t.Fatalf("healthz before shutdown: %d %s", st, body)
	}
	began := time.Now()
	r.cancel()
	deadline := began.Add(200 * time.Millisecond)
	for {
		st, body := healthz(t, r.addr)
		if st == 503 && body == `{"status":"draining"}` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz 200ms into the shutdown: %d %s, want 503 draining", st, body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got, st, err := buyUntilFinal(r.addr, "p1", 7); err != nil || got.Result != "won" || st != 200 {
		t.Fatalf("buy during the drain delay: %+v %d %v, want won", got, st, err)
	}
	// Keep asking until the listener closes; it must not before the delay.
	var closedAt time.Time
	for time.Since(began) < delay+5*time.Second {
		if _, err := httpget.Get(r.addr, "/healthz", time.Second); err != nil {
			closedAt = time.Now()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if closedAt.IsZero() {
		t.Fatal("the listener was still open 5s after the drain delay")
	}
	if early := closedAt.Sub(began); early < delay {
		t.Fatalf("the listener closed %v into the shutdown, before drain_delay %v", early, delay)
	}
	if err := <-r.done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

// TestHealthzStoreFailed fails the store's WAL writes under a running
// engine and checks that /healthz turns 503 store_failed once a buy found
// the store failed, while buys answer unavailable.
func TestHealthzStoreFailed(t *testing.T) {
	faults := &waltest.WALFaults{}
	r := launch(t, strings.Replace(healthConfig, "DELAY", "0s", 1), t.TempDir(), wal.Options{FS: errorfs.Wrap(vfs.Default, faults)})
	defer func() { r.cancel(); <-r.done }() // Run reports the failed store; that is the point
	if got, _, err := buyUntilFinal(r.addr, "p1", 1); err != nil || got.Result != "won" {
		t.Fatalf("buy before the fault: %+v %v", got, err)
	}
	if st, body := healthz(t, r.addr); st != 200 {
		t.Fatalf("healthz before the fault: %d %s", st, body)
	}
	faults.On.Store(true)
	if got, st, err := buyUntilFinal(r.addr, "p1", 2); err != nil || got.Result != "unavailable" || st != 503 {
		t.Fatalf("buy on a failing store: %+v %d %v, want 503 unavailable", got, st, err)
	}
	if st, body := healthz(t, r.addr); st != 503 || body != `{"status":"store_failed"}` {
		t.Fatalf("healthz after the store failed: %d %s, want 503 store_failed", st, body)
	}
}
