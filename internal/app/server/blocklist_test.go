package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seckill/internal/testkit/httpget"
)

// TestBlocklistSurvivesRestart sets the blocklist through the admin API,
// restarts the engine on the same store and config file, and checks the
// list is still in force; then edits the file's [blocklist], restarts, and
// checks the file's new list wins and is itself kept.
func TestBlocklistSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	adminAddr := freeAddr(t)
	start := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	cfgWith := func(uids string) string {
		return strings.NewReplacer("ADMIN", adminAddr, "UIDS", uids, "START", start.Format(time.RFC3339)).Replace(`
[server]
listen = "LISTEN"
admin_listen = "ADMIN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "hmac"
secret = "` + testSecret + `"
[blocklist]
uids = [UIDS]
[[activity]]
id = "bl"
start = "START"
end = "+1h"
  [[activity.item]]
  sku = "b1"
  stock = 100
`)
	}
	admin := adminAPI(t, adminAddr, dir)
	blocked := func(addr string, uid uint64) bool {
		t.Helper()
		resp, err := httpget.Get(addr, "/buy?sku=b1&token="+tokenFor(uid), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Status == 403 && strings.Contains(string(resp.Body), "blocked")
	}
	list := func() string {
		t.Helper()
		st, body := admin("GET", "/admin/blocklist", "")
		if st != 200 {
			t.Fatalf("GET /admin/blocklist: %d %s", st, body)
		}
		return strings.TrimSpace(body)
	}

	addr, stop := startServer(t, cfgWith("7"), dir)
	if got := list(); got != `{"uids":[7],"addrs":[]}` || !blocked(addr, 7) {
		t.Fatalf("the file's list at first start: %s", got)
	}
	if st, body := admin("PUT", "/admin/blocklist", `{"uids":[3,4],"addrs":["192.0.2.9"]}`); st != 200 {
		t.Fatalf("PUT: %d %s", st, body)
	}
	stop()

	addr, stop = startServer(t, cfgWith("7"), dir)
	if got := list(); got != `{"uids":[3,4],"addrs":["192.0.2.9"]}` {
		t.Fatalf("after a restart with the same file: %s; want the list set through the API", got)
	}
	if !blocked(addr, 3) || blocked(addr, 7) {
		t.Fatal("buyers are not judged by the restored list")
	}
	stop()

	addr, stop = startServer(t, cfgWith("8"), dir)
	if got := list(); got != `{"uids":[8],"addrs":[]}` || !blocked(addr, 8) || blocked(addr, 3) {
		t.Fatalf("after the file's list changed: %s; want the file's", got)
	}
	stop()

	_, stop = startServer(t, cfgWith("8"), dir)
	defer stop()
	if got := list(); got != `{"uids":[8],"addrs":[]}` {
		t.Fatalf("the file's list was not kept: %s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
}
