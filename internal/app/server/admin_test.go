package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seckill/internal/testkit/httpget"
)

// TestAdminAPI drives the operator's API against a running engine: pause
// and resume a SKU, replace the reservation set and the blocklist, and check
// buyers see each change at once.
func TestAdminAPI(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "reserved.txt"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	adminAddr := freeAddr(t)
	cfg := strings.Replace(`
[server]
listen = "LISTEN"
admin_listen = "ADMIN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "hmac"
secret = "`+testSecret+`"
[[activity]]
id = "adm"
start = "now"
end = "+1h"
reservation = "required"
reservations_file = "reserved.txt"
  [[activity.item]]
  sku = "p1"
  stock = 10
`, "ADMIN", adminAddr, 1)
	addr, stop := startServer(t, cfg, dir)
	defer stop()
	admin := adminAPI(t, adminAddr, dir)
	buy := func(uid uint64) (int, string) {
		t.Helper()
		resp, err := httpget.Get(addr, "/buy?sku=p1&token="+tokenFor(uid), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Status, string(resp.Body)
	}

	if st, body := admin("POST", "/admin/pause?activity=adm&sku=p1", ""); st != 200 {
		t.Fatalf("pause: %d %s", st, body)
	}
	if st, body := buy(1); st != 503 || !strings.Contains(body, "unavailable") {
		t.Fatalf("buy while paused: %d %s", st, body)
	}
	resp, _ := httpget.Get(addr, "/stock?sku=p1", 5*time.Second)
	if !strings.Contains(string(resp.Body), `"state":"paused"`) {
		t.Fatalf("stock while paused: %s", resp.Body)
	}
	admin("POST", "/admin/resume?activity=adm", "")
	if st, body := buy(1); st != 200 {
		t.Fatalf("buy after resume: %d %s", st, body)
	}
	if st, _ := buy(2); st != 403 {
		t.Fatalf("uid 2 before it is reserved: %d", st)
	}
	if st, body := admin("PUT", "/admin/reservations?activity=adm", "1\n2\n3\n"); st != 200 || !strings.Contains(body, `"uids":3`) {
		t.Fatalf("replace reservations: %d %s", st, body)
	}
	if st, body := buy(2); st != 200 {
		t.Fatalf("uid 2 after it is reserved: %d %s", st, body)
	}
	if st, _ := admin("PUT", "/admin/reservations?activity=adm", "1\nnot-a-uid\n"); st != 400 {
		t.Fatalf("bad reservation upload accepted: %d", st)
	}
	if st, _ := admin("PUT", "/admin/blocklist", `{"uids":[3],"addrs":["::ffff:192.0.2.9"]}`); st != 200 {
		t.Fatal("blocklist")
	}
	if st, body := admin("GET", "/admin/blocklist", ""); st != 200 || body != `{"uids":[3],"addrs":["192.0.2.9"]}`+"\n" {
		t.Fatalf("blocklist read back: %d %q", st, body)
	}
	if st, body := buy(3); st != 403 || !strings.Contains(body, "blocked") {
		t.Fatalf("blocked uid: %d %s", st, body)
	}
	if st, body := admin("GET", "/admin/stats", ""); st != 200 || !strings.Contains(body, `"remaining":8`) {
		t.Fatalf("stats: %d %s", st, body)
	}
	if st, _ := admin("POST", "/admin/pause?activity=nope", ""); st != 404 {
		t.Fatalf("pause of an unknown activity: %d", st)
	}
}
