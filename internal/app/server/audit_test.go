package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seckill/internal/testkit/httpget"
)

// TestAuditRecordsOfAServedSale runs a real engine through a start, admin
// changes and restarts, and checks that the changes survive the restarts —
// a paused SKU stays paused, the operator's reservation list stays in force
// over the file's — and that the store then holds one config record per
// effective configuration and one control record per change per SKU, so
// that the audit of the sale passes with nothing but the store.
func TestAuditRecordsOfAServedSale(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "reserved.txt"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	adminAddr := freeAddr(t)
	// Fixed times: with start = "now" every restart would be a new config.
	start := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	cfg := strings.NewReplacer("ADMIN", adminAddr, "START", start.Format(time.RFC3339), "END", start.Add(time.Hour).Format(time.RFC3339)).Replace(`
[server]
listen = "LISTEN"
admin_listen = "ADMIN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "hmac"
secret = "` + testSecret + `"
[[activity]]
id = "aud"
start = "START"
end = "END"
reservation = "required"
reservations_file = "reserved.txt"
limit = "activity"
  [[activity.item]]
  sku = "q1"
  stock = 10
  release_per_sec = 100
  [[activity.item]]
  sku = "q2"
  stock = 10
`)
	api := adminAPI(t, adminAddr, dir)
	admin := func(method, target, body string) {
		t.Helper()
		if status, b := api(method, target, body); status != 200 {
			t.Fatalf("%s %s: %d %s", method, target, status, b)
		}
	}
	buy := func(addr, sku string, uid uint64) {
		t.Helper()
		resp, err := httpget.Get(addr, "/buy?sku="+sku+"&token="+tokenFor(uid), 5*time.Second)
		if err != nil || resp.Status != 200 {
			t.Fatalf("buy %s uid %d: %v %d %s", sku, uid, err, resp.Status, resp.Body)
		}
	}

	addr, stop := startServer(t, cfg, dir)
	buy(addr, "q1", 1)
	admin("POST", "/admin/pause?activity=aud&sku=q2", "")
	admin("POST", "/admin/pause?activity=aud&sku=q2", "") // no change: no record
	stop()

	addr, stop = startServer(t, cfg, dir) // still paused after a restart
	if resp, err := httpget.Get(addr, "/buy?sku=q2&token="+tokenFor(2), 5*time.Second); err != nil || resp.Status != 503 {
		t.Fatalf("buy of a SKU paused before the restart: %v %d %s", err, resp.Status, resp.Body)
	}
	admin("POST", "/admin/resume?activity=aud", "")
	admin("PUT", "/admin/reservations?activity=aud", "1\n2\n3\n")
	buy(addr, "q2", 2)
	stop()

	addr, stop = startServer(t, cfg, dir) // the operator's list outlives the file's
	buy(addr, "q1", 1)                    // already_won
	buy(addr, "q1", 3)                    // only in the operator's list
	stop()
	_, stop = startServer(t, cfg, dir) // nothing changed: no record
	stop()

	rep := auditDir(t, filepath.Join(dir, "data"))
	var reasons []string
	for _, c := range rep.Configs {
		reasons = append(reasons, c.Reason)
	}
	if got := strings.Join(reasons, ","); got != "start" {
		t.Fatalf("config records %s", got)
	}
	// q1: the file's list, the operator's; q2: the file's list, pause,
	// resume, the operator's list.
	if rep.ControlRecords != 6 {
		t.Fatalf("%d control records, want 6: %+v", rep.ControlRecords, rep.SKUs)
	}
	if !rep.OK || rep.Records != 3 {
		for _, c := range rep.Checks {
			t.Logf("%s pass=%v %v", c.Name, c.Pass, c.Records)
		}
		t.Fatalf("audit of a served sale: ok %v, %d records", rep.OK, rep.Records)
	}
}
