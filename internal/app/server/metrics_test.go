package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"seckill/internal/app/observe"
	"seckill/internal/config"
	"seckill/internal/testkit/tools"
	"seckill/wal"
)

const metricsConfig = `
[server]
listen = "LISTEN"
admin_listen = "ADMIN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "hmac"
secret = "` + testSecret + `"
[[activity]]
id = "m"
title = "metrics sale"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "p1"
  name = "Phone"
  stock = 30
  [[activity.item]]
  sku = "p2"
  name = "Band"
  stock = 1000
`

// adminGet reads an admin path with the engine's generated token.
func adminGet(t *testing.T, adminAddr, dir, path string) []byte {
	t.Helper()
	status, body := adminAPI(t, adminAddr, dir)("GET", path, "")
	if status != 200 {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	return []byte(body)
}

// metricValue finds one sample's value in the text exposition format.
func metricValue(t *testing.T, text []byte, series string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindSubmatch(text)
	if m == nil {
		t.Fatalf("no sample %s in /metrics", series)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMetricsOfASale sells one SKU out over real sockets and checks that
// /metrics counts what the buyers were told, and that promtool accepts the
// exposition.
func TestMetricsOfASale(t *testing.T) {
	promtool := tools.Need(t, "prometheus", "promtool")
	adminAddr := freeAddr(t)
	dir := t.TempDir()
	r := launch(t, strings.Replace(metricsConfig, "ADMIN", adminAddr, 1), dir, wal.Options{})
	defer func() { r.cancel(); <-r.done }()

	const buyers = 80
	var mu sync.Mutex
	told := map[string]int{}
	var wg sync.WaitGroup
	for uid := uint64(1); uid <= buyers; uid++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, _, err := buyUntilFinal(r.addr, "p1", uid)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			told[got.Result]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if told["won"] != 30 || told["sold_out"] != buyers-30 {
		t.Fatalf("buyers were told %v, want 30 won and %d sold_out", told, buyers-30)
	}
	text := adminGet(t, adminAddr, dir, "/metrics")
	for series, want := range map[string]float64{
		`seckill_attempts_total{activity="m",result="won",sku="p1"}`:      30,
		`seckill_attempts_total{activity="m",result="sold_out",sku="p1"}`: buyers - 30,
		`seckill_attempts_total{activity="m",result="won",sku="p2"}`:      0,
		`seckill_remaining{activity="m",sku="p1"}`:                        0,
		`seckill_remaining{activity="m",sku="p2"}`:                        1000,
		`seckill_quota{activity="m",sku="p1"}`:                            30,
		`seckill_queue_depth{activity="m",sku="p1"}`:                      0,
		`seckill_won_latency_seconds_count{activity="m"}`:                 30,
		`seckill_on_sale{activity="m",sku="p1"}`:                          0,
		`seckill_on_sale{activity="m",sku="p2"}`:                          1,
		`seckill_store_failed`:                                            0,
		`seckill_draining`:                                                0,
	} {
		if got := metricValue(t, text, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if busy := metricValue(t, text, `seckill_attempts_total{activity="m",result="busy",sku="p1"}`); busy < 0 {
		t.Errorf("busy = %v", busy)
	}
	commits := metricValue(t, text, `seckill_wal_commit_seconds_count`)
	if commits < 1 || commits > 30 {
		t.Errorf("seckill_wal_commit_seconds_count = %v, want 1..30 group commits for 30 wins", commits)
	}
	if batches := metricValue(t, text, `seckill_batch_attempts_sum`); batches < 30 {
		t.Errorf("seckill_batch_attempts_sum = %v, want at least the 30 winning attempts", batches)
	}
	for _, name := range []string{"seckill_connections_open", "seckill_connections_refused_total", "go_goroutines", "process_resident_memory_bytes", "seckill_build_info"} {
		if !bytes.Contains(text, []byte("\n"+name)) {
			t.Errorf("/metrics has no %s", name)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

// BenchmarkScrape1000SKUs measures one /metrics scrape of an engine selling
// 1,000 SKUs (12,000 attempt series, Go and process collectors included).
func BenchmarkScrape1000SKUs(b *testing.B) {
	var text strings.Builder
	fmt.Fprintf(&text, "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = %q\n[auth]\nmode = \"none\"\n", b.TempDir())
	text.WriteString("[[activity]]\nid = \"big\"\nstart = \"now\"\nend = \"+1h\"\n")
	for i := range 1000 {
		fmt.Fprintf(&text, "  [[activity.item]]\n  sku = \"sku-%04d\"\n  stock = 100\n", i)
	}
	cfg, err := config.Parse([]byte(text.String()), b.TempDir(), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	srv, err := Open(cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.store.Close()
	src := &observe.Source{Gate: srv.Gate(), Conns: func() (int64, int64) { return 0, 0 }, Build: observe.ReadBuild()}
	scrape := observe.Pages(observe.NewWatcher(src, log))["/metrics"]
	req := httptest.NewRequest("GET", "/metrics", nil)
	var size int
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU(b)
	for range b.N {
		rec := httptest.NewRecorder()
		scrape.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("scrape: %d", rec.Code)
		}
		size = rec.Body.Len()
	}
	b.StopTimer()
	// CPU time, not wall time, is the figure: on a shared machine the
	// wall clock measures the neighbours.
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N)/1e6, "cpu-ms/scrape")
	b.ReportMetric(float64(size), "bytes/scrape")
}

// processCPU is the process's user and system CPU time so far, in ns.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
