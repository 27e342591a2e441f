package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"seckill/internal/handoff/export"
)

// receiver is a healthy mall endpoint that counts every key it receives.
type receiver struct {
	mu   sync.Mutex
	seen map[string]int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var recs []export.Record
	if err := json.NewDecoder(req.Body).Decode(&recs); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	for _, rec := range recs {
		r.seen[rec.IdempotencyKey]++
	}
	r.mu.Unlock()
}

// waitSeen waits until every key was received at least n times.
func (r *receiver) waitSeen(t *testing.T, keys map[string]bool, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.mu.Lock()
		missing := 0
		for k := range keys {
			if r.seen[k] < n {
				missing++
			}
		}
		extra := len(r.seen) - len(keys)
		r.mu.Unlock()
		if extra > 0 {
			t.Fatalf("the mall received %d keys of no win", extra)
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d winners not received %d times", missing, len(keys), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHandOffWhileServing checks the live push and the admin export and
// re-push of a serving engine: winners reach the mall as they are decided,
// an export of the locked store works through the admin API, and a re-push
// sends every record again.
func TestHandOffWhileServing(t *testing.T) {
	dir := t.TempDir()
	mall := &receiver{seen: map[string]int{}}
	mallSrv := httptest.NewServer(mall)
	defer mallSrv.Close()
	adminAddr := freeAddr(t)
	exports := filepath.Join(dir, "exports")
	cfg := strings.NewReplacer("ADMIN", adminAddr, "MALL", mallSrv.URL, "EXPORTS", exports).Replace(`
[server]
listen = "LISTEN"
admin_listen = "ADMIN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "hmac"
secret = "` + testSecret + `"
[export]
dir = "EXPORTS"
push_url = "MALL"
push_secret = "` + testSecret + `"
push_batch = 7
push_backoff = "5ms"
push_backoff_max = "50ms"
[[activity]]
id = "h1"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "p1"
  stock = 40
  [[activity.item]]
  sku = "p2"
  stock = 20
`)
	addr, stop := startServer(t, cfg, dir)
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	api := adminAPI(t, adminAddr, dir)
	admin := func(method, target string) (int, string) { t.Helper(); return api(method, target, "") }
	keys := map[string]bool{}
	for uid := uint64(1); uid <= 60; uid++ {
		sku := []string{"p1", "p2"}[uid%3/2] // 40 buyers of p1, 20 of p2
		r, _, err := buyUntilFinal(addr, sku, uid)
		if err != nil || r.Result != "won" {
			t.Fatalf("uid %d: %+v %v", uid, r, err)
		}
		keys[fmt.Sprintf("h1/%s/%d", sku, r.Seq)] = true
	}
	mall.waitSeen(t, keys, 1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, body := admin("GET", "/admin/push")
		if st != 200 {
			t.Fatalf("push status: %d %s", st, body)
		}
		if strings.Contains(body, `"delivered":60,"pending":0,`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("push status never showed all delivered: %s", body)
		}
		time.Sleep(10 * time.Millisecond)
	}

	out := filepath.Join(exports, "night.csv.zst")
	st, body := admin("POST", "/admin/export?out=night.csv.zst")
	if st != 200 || !strings.Contains(body, `"count":60`) || !strings.Contains(body, `"format":"csv"`) {
		t.Fatalf("export: %d %s", st, body)
	}
	n := 0
	if err := export.ReadFile(out, export.FormatCSV, func(r *export.Record) error {
		if !keys[r.IdempotencyKey] {
			return fmt.Errorf("exported %s, which is no win", r.IdempotencyKey)
		}
		n++
		return nil
	}); err != nil || n != 60 {
		t.Fatalf("reading the export: %d records, %v", n, err)
	}
	if st, body := admin("POST", "/admin/export?out=next.jsonl"); st != 200 || !strings.Contains(body, `"count":0`) {
		t.Fatalf("second export: %d %s", st, body)
	}
	if st, body := admin("POST", "/admin/export?out=adhoc.jsonl&cursor=adhoc"); st != 200 || !strings.Contains(body, `"count":60`) {
		t.Fatalf("ad-hoc export on its own cursor: %d %s", st, body)
	}
	if st, body := admin("POST", "/admin/export?out=night.csv.zst"); st != 409 {
		t.Fatalf("export over an existing file: %d %s", st, body)
	}
	// Try to damage the store through the admin API: every target outside
	// the export directory is refused, and the store opens again below.
	for _, bad := range []string{out, "../data/MANIFEST-000001", filepath.Join(dir, "data", "CURRENT"), "..", ".x", "a%2Fb"} {
		if st, body := admin("POST", "/admin/export?out="+bad); st != 400 {
			t.Errorf("export to %q: %d %s, want 400", bad, st, body)
		}
	}
	if st, body := admin("POST", "/admin/export?out=w.jsonl&cursor=a/b"); st != 400 {
		t.Errorf("export on cursor a/b: %d %s, want 400", st, body)
	}
	if st, body := admin("POST", "/admin/push?requeue=all"); st != 200 || !strings.Contains(body, `"records":60`) {
		t.Fatalf("requeue all: %d %s", st, body)
	}
	mall.waitSeen(t, keys, 2)
	if st, _ := admin("POST", "/admin/push?requeue=everything"); st != 400 {
		t.Fatalf("unknown requeue scope: %d", st)
	}
	stop()
	stopped = true
	_, stop = startServer(t, cfg, dir) // recovery verifies every record of the store
	stop()
}
