package server

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"seckill/internal/testkit/httpget"
)

// TestAddActivityWhileServing adds a round with PUT /admin/activity to an
// engine serving over real sockets: bad and clashing bodies change
// nothing and name their fields; the added round sells exactly its quota
// to a burst of distinct buyers and shows in /stock and /metrics; it is
// served again after a restart with the same config file; and the audit
// of the store passes, with the round's "added" config record. The
// blocklist set before the round was added is recorded on its shard before
// it serves, not only at the next restart.
func TestAddActivityWhileServing(t *testing.T) {
	dir := t.TempDir()
	adminAddr := freeAddr(t)
	start := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	cfg := strings.NewReplacer("ADMIN", adminAddr, "START", start.Format(time.RFC3339)).Replace(`
[server]
listen = "LISTEN"
admin_listen = "ADMIN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "hmac"
secret = "` + testSecret + `"
[[activity]]
id = "base"
start = "START"
end = "+1h"
  [[activity.item]]
  sku = "a"
  stock = 5
`)
	api := adminAPI(t, adminAddr, dir)
	round := func(id, sku, extra string) string {
		return "[[activity]]\nid = \"" + id + "\"\ntitle = \"Round two\"\nstart = \"now\"\nend = \"+1h\"\nfail_text = \"all gone\"\n" + extra +
			"  [[activity.item]]\n  sku = \"" + sku + "\"\n  stock = 20\n"
	}
	const quota = 20

	addr, stop := startServer(t, cfg, dir)
	refusals := []struct {
		name   string
		body   string
		status int
		fields []string
	}{
		{"every problem", "[[activity]]\nid = \"x y\"\nstart = \"soon\"\nend = \"+1h\"\n  [[activity.item]]\n  sku = \"n1\"\n  stock = -1\n", 400,
			[]string{"activity.id", "activity.start", "activity.item[0].stock"}},
		{"unknown key", round("r2", "n1", "colour = 1\n"), 400, []string{"activity.colour"}},
		{"not toml", "[[activity]\n", 400, nil},
		{"running id", round("base", "n1", ""), 409, []string{"activity.id"}},
		{"sku on sale", round("r2", "a", ""), 409, []string{"activity.item[0].sku"}},
	}
	for _, tc := range refusals {
		status, body := api("PUT", "/admin/activity", tc.body)
		if status != tc.status {
			t.Fatalf("%s: %d %s, want %d", tc.name, status, body, tc.status)
		}
		for _, f := range tc.fields {
			if !strings.Contains(body, `"field":"`+f+`"`) {
				t.Errorf("%s: answer does not name %s: %s", tc.name, f, body)
			}
		}
		if resp, err := httpget.Get(addr, "/stock?sku=n1", 5*time.Second); err != nil || !strings.Contains(string(resp.Body), "unknown_sku") {
			t.Fatalf("%s: the refused round is served: %v %s", tc.name, err, resp.Body)
		}
	}

	if status, body := api("PUT", "/admin/blocklist", `{"uids":[1001]}`); status != 200 {
		t.Fatalf("PUT /admin/blocklist: %d %s", status, body)
	}
	if status, body := api("PUT", "/admin/activity", round("r2", "n1", "")); status != 200 || !strings.Contains(body, `"skus":["n1"]`) {
		t.Fatalf("PUT /admin/activity: %d %s", status, body)
	}
	if status, body := api("PUT", "/admin/activity", round("r2", "n2", "")); status != 409 {
		t.Fatalf("the same id again: %d %s", status, body)
	}

	// A burst of 100 distinct buyers: exactly the quota wins, each once.
	var (
		mu      sync.Mutex
		winners = map[uint64]bool{}
		results = map[string]int{}
		wg      sync.WaitGroup
	)
	for uid := uint64(1); uid <= 100; uid++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _, err := buyUntilFinal(addr, "n1", uid)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			results[r.Result]++
			if r.Result == "won" {
				winners[uid] = true
			}
		}()
	}
	wg.Wait()
	if len(winners) != quota || results["won"] != quota || results["sold_out"] != 100-quota {
		t.Fatalf("burst on the added round: %v, %d distinct winners; want %d won", results, len(winners), quota)
	}
	resp, err := httpget.Get(addr, "/buy?sku=n1&token="+tokenFor(1000), 5*time.Second)
	if err != nil || !strings.Contains(string(resp.Body), `"message":"all gone"`) {
		t.Fatalf("sold-out answer of the added round: %v %s", err, resp.Body)
	}
	metrics := adminGet(t, adminAddr, dir, "/metrics")
	if v := metricValue(t, metrics, `seckill_attempts_total{activity="r2",result="won",sku="n1"}`); v != quota {
		t.Fatalf("metrics count %v wins of the added round", v)
	}
	if v := metricValue(t, metrics, `seckill_remaining{activity="r2",sku="n1"}`); v != 0 {
		t.Fatalf("metrics: %v remaining", v)
	}
	stop()

	addr, stop = startServer(t, cfg, dir)
	resp, err = httpget.Get(addr, "/stock?sku=n1", 5*time.Second)
	if err != nil || !strings.Contains(string(resp.Body), `"activity":"r2"`) || !strings.Contains(string(resp.Body), `"state":"sold_out"`) {
		t.Fatalf("the added round after a restart: %v %s", err, resp.Body)
	}
	for uid := range winners {
		r, _, err := buyUntilFinal(addr, "n1", uid)
		if err != nil || r.Result != "already_won" {
			t.Fatalf("winner %d after the restart: %v %+v", uid, err, r)
		}
		break
	}
	if status, body := api("PUT", "/admin/activity", round("r2", "n3", "")); status != 409 {
		t.Fatalf("the added id after a restart: %d %s", status, body)
	}
	stop()

	rep := auditDir(t, filepath.Join(dir, "data"))
	if !rep.OK {
		b, _ := json.MarshalIndent(rep.Checks, "", " ")
		t.Fatalf("audit after adding a round: %s", b)
	}
	var notes []string
	for _, c := range rep.Configs {
		notes = append(notes, c.Activity+":"+c.Reason)
	}
	if got := strings.Join(notes, ","); got != "base:start,r2:added" {
		t.Fatalf("config records %s", got)
	}
	audited := false
	for _, row := range rep.SKUs {
		if row.Activity == "r2" {
			audited = true
			if row.Winners != quota || row.Quota != quota {
				t.Fatalf("audit row of the added round: %+v", row)
			}
		}
	}
	if !audited {
		t.Fatalf("the audit has no row of the added round: %+v", rep.SKUs)
	}
	var blocklists []string
	for _, c := range rep.Changes {
		if c.Activity == "r2" && c.Kind == "blocklist" {
			blocklists = append(blocklists, fmt.Sprintf("after %d wins, source %s", c.AfterWins, c.Source))
		}
	}
	if got := strings.Join(blocklists, "; "); got != "after 0 wins, source operator" {
		t.Fatalf("blocklist records of the added round: %q, want one before its first win", got)
	}
}
