package server

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/internal/app/adminclient"
	"seckill/internal/testkit/httpget"
	"seckill/internal/testkit/tools"
	"seckill/wal"
)

const dashboardConfig = `
[server]
listen = "LISTEN"
admin_listen = "ADMIN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "hmac"
secret = "` + testSecret + `"
[[activity]]
id = "dash"
title = "dashboard sale"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "small"
  name = "Phone"
  stock = 300
  [[activity.item]]
  sku = "large"
  name = "Band"
  stock = 1000000
`

// statsAt is one /admin/stats reading: each SKU's remaining, computed by
// the server at some moment between sent and received.
type statsAt struct {
	sent, received time.Time
	remaining      map[string]int64
}

func readStats(t *testing.T, adminAddr, dir string) statsAt {
	var body struct {
		SKUs []skuRemaining `json:"skus"`
	}
	sent := time.Now()
	if err := json.Unmarshal(adminGet(t, adminAddr, dir, "/admin/stats"), &body); err != nil {
		t.Fatal(err)
	}
	s := statsAt{sent: sent, received: time.Now(), remaining: map[string]int64{}}
	for _, k := range body.SKUs {
		s.remaining[k.Activity+"/"+k.SKU] = k.Remaining
	}
	return s
}

type skuRemaining struct {
	Activity  string `json:"activity"`
	SKU       string `json:"sku"`
	Remaining int64  `json:"remaining"`
}

var (
	rowRe     = regexp.MustCompile(`(?s)<tr data-key="([^"]+)">(.*?)</tr>`)
	cellRe    = regexp.MustCompile(`data-k="([a-z_]+)" data-v="(\d+)"`)
	updatedRe = regexp.MustCompile(`id="updated" data-ms="(\d+)"`)
	tileRe    = regexp.MustCompile(`id="([a-z0-9-]+)"[^>]*>([^<]*)<`)
)

// TestDashboardInBrowser loads the dashboard in headless Chromium while
// buyers hammer the engine, and checks that what the page shows per SKU
// matches /admin/stats read within a second of the page's data, that the
// per-second tiles show the burst, and that sold + remaining = quota.
func TestDashboardInBrowser(t *testing.T) {
	chromium := tools.Need(t, "chromium", "chromium", "chromium-browser")
	adminAddr := freeAddr(t)
	dir := t.TempDir()
	r := launch(t, strings.Replace(dashboardConfig, "ADMIN", adminAddr, 1), dir, wal.Options{})
	token, err := adminclient.ReadToken(filepath.Join(dir, "data", "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	// The page is opened as an operator does: once with the token, which
	// sets the session cookie and redirects to /.
	page := "http://" + adminAddr + "/?token=" + token
	defer func() { r.cancel(); <-r.done }()

	// The burst: 32 buyers, each a fresh uid per attempt, on both SKUs,
	// until the page has been read.
	stop := make(chan struct{})
	var buyers sync.WaitGroup
	var answered atomic.Int64
	for w := range 32 {
		buyers.Add(1)
		go func() {
			defer buyers.Done()
			for uid := uint64(w + 1); ; uid += 32 {
				select {
				case <-stop:
					return
				default:
				}
				sku := []string{"small", "large"}[uid%2]
				if _, err := httpget.Get(r.addr, "/buy?sku="+sku+"&token="+tokenFor(uid), 5*time.Second); err == nil {
					answered.Add(1)
				}
			}
		}()
	}
	defer func() { close(stop); buyers.Wait() }()
	for answered.Load() < 200 {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2500 * time.Millisecond) // two whole seconds for the rates

	// Read /admin/stats every 100 ms while the browser loads the page.
	var readings []statsAt
	var mu sync.Mutex
	polling := make(chan struct{})
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		for {
			s := readStats(t, adminAddr, dir)
			mu.Lock()
			readings = append(readings, s)
			mu.Unlock()
			select {
			case <-polling:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	dom := runChromium(t, chromium, "--dump-dom", page)
	close(polling)
	<-pollDone

	m := updatedRe.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the page shows no update time; DOM:\n%s", dom)
	}
	ms, _ := strconv.ParseInt(string(m[1]), 10, 64)
	shownAt := time.UnixMilli(ms)
	rows := rowRe.FindAllSubmatch(dom, -1)
	if len(rows) != 2 {
		t.Fatalf("the page shows %d SKU rows, want 2; DOM:\n%s", len(rows), dom)
	}
	for _, row := range rows {
		key := string(row[1])
		cells := map[string]int64{}
		for _, c := range cellRe.FindAllSubmatch(row[2], -1) {
			n, _ := strconv.ParseInt(string(c[2]), 10, 64)
			cells[string(c[1])] = n
		}
		if cells["sold"]+cells["remaining"] != cells["quota"] {
			t.Errorf("%s: sold %d + remaining %d != quota %d", key, cells["sold"], cells["remaining"], cells["quota"])
		}
		if cells["attempts"] == 0 || cells["won"] == 0 {
			t.Errorf("%s: the page shows no attempts or wins during the burst: %v", key, cells)
		}
		// Remaining only falls: the page's figure must lie between the
		// last reading wholly before its data was taken and the first one
		// wholly after, both within a second of it.
		var lo, hi int64 = -1, -1
		for _, s := range readings {
			if !s.received.After(shownAt) && shownAt.Sub(s.received) <= time.Second {
				hi = s.remaining[key]
			}
			if !s.sent.Before(shownAt) && s.sent.Sub(shownAt) <= time.Second && lo < 0 {
				lo = s.remaining[key]
			}
		}
		if hi < 0 || lo < 0 {
			t.Fatalf("no /admin/stats reading within a second on both sides of the page's data at %v (%d readings)", shownAt, len(readings))
		}
		if got := cells["remaining"]; got < lo || got > hi {
			t.Errorf("%s: the page shows remaining %d; /admin/stats said %d a moment before and %d a moment after", key, got, hi, lo)
		}
	}
	// The page names the round and the items as the config does, not by id.
	for _, want := range []string{"<td>Phone</td>", "<td>Band</td>", "dashboard sale"} {
		if !bytes.Contains(dom, []byte(want)) {
			t.Errorf("the page does not show %q", want)
		}
	}
	tiles := map[string]string{}
	for _, m := range tileRe.FindAllSubmatch(dom, -1) {
		tiles[string(m[1])] = string(m[2])
	}
	for _, id := range []string{"attempts-rate", "wins-rate", "p50", "p99"} {
		if v := tiles[id]; v == "" || v == "—" || v == "0" {
			t.Errorf("tile %s shows %q during the burst", id, v)
		}
	}
	if tiles["store"] != "ok" || tiles["health"] != "ok" {
		t.Errorf("store %q health %q, want ok and ok", tiles["store"], tiles["health"])
	}
	if path := os.Getenv("SECKILL_DASHBOARD_SCREENSHOT"); path != "" {
		runChromium(t, chromium, "--screenshot="+path, "--window-size=1440,620", page)
		t.Logf("screenshot written to %s", path)
	}
}

// runChromium runs headless Chromium on the page with the given action
// flag and returns its standard output. The virtual time budget lets the
// page's polls and timers run to a settled state before the action.
func runChromium(t *testing.T, chromium string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=3000"}
	cmd := exec.CommandContext(ctx, chromium, append(base, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}
