package server

import (
	"strings"
	"testing"
	"time"

	"seckill/internal/testkit/httpget"
)

const limitRestartConfig = `
[server]
listen = "LISTEN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "none"
[[activity]]
id = "lim"
start = "now"
end = "+1h"
limit = "activity"
  [[activity.item]]
  sku = "a"
  stock = 5
  [[activity.item]]
  sku = "b"
  stock = 5
`

// TestActivityLimitSurvivesRestart: under limit = "activity", a user who
// won one SKU before a restart is refused every other SKU of the activity
// after it (limit_reached), and still gets already_won for the one they
// won: recovery rebuilds the activity-wide claims, not only each SKU's
// winners.
func TestActivityLimitSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	get := func(addr, target string) string {
		t.Helper()
		resp, err := httpget.Get(addr, target, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		return string(resp.Body)
	}
	addr, stop := startServer(t, limitRestartConfig, dir)
	if body := get(addr, "/buy?sku=a&uid=1"); !strings.Contains(body, `"result":"won"`) {
		t.Fatalf("uid 1 buys a: %s", body)
	}
	// Before the restart the live claims refuse b, as a control.
	if body := get(addr, "/buy?sku=b&uid=1"); !strings.Contains(body, `"result":"limit_reached"`) {
		t.Fatalf("uid 1 buys b before the restart: %s", body)
	}
	stop()

	addr, stop = startServer(t, limitRestartConfig, dir)
	defer stop()
	if body := get(addr, "/buy?sku=b&uid=1"); !strings.Contains(body, `"result":"limit_reached"`) {
		t.Fatalf("uid 1 buys b after the restart: %s; want limit_reached", body)
	}
	if body := get(addr, "/buy?sku=a&uid=1"); !strings.Contains(body, `"result":"already_won"`) {
		t.Fatalf("uid 1 retries a after the restart: %s", body)
	}
	if body := get(addr, "/buy?sku=b&uid=2"); !strings.Contains(body, `"result":"won"`) {
		t.Fatalf("uid 2 buys b after the restart: %s", body)
	}
}
