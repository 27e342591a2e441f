package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/handoff/export"
	"seckill/internal/handoff/push"
	"seckill/internal/testkit/httpget"
	"seckill/internal/testkit/mallsig"
	"seckill/wal"
)

// pushSecret signs the engine's batches; the test mall verifies them.
const pushSecret = "mall-push-secret-0123456789abcdef"

// flakyMall is the mall's order endpoint as a real HTTP server in the test
// process: it verifies each batch's signature, fails failPct% of the
// batches with 500, stalls stallPct% past the engine's push timeout and
// then takes them anyway (the engine has given up on the answer and will
// send them again), books each idempotency key once, and counts every
// receipt. Bookings are counted per win (activity/sku/seq from the
// record's own fields), so one win sent under two keys shows as booked
// twice. While held, it answers nothing until the request goes away.
type flakyMall struct {
	failPct, stallPct int
	stall             time.Duration
	holdAt            int // once this many keys are taken, hold every request; 0 = never

	mu       sync.Mutex
	held     bool
	down     bool
	booked   map[string]bool // idempotency keys booked (the mall's deduplication)
	bookings map[string]int  // win → orders booked for it; must end at exactly 1
	seen     map[string]int  // win → times received in a taken batch
	records  map[string]export.Record
	badSigs  int
	release  chan struct{}
	stats    struct{ taken, failed, stalled, held int }
	holding  int // requests being held now
}

func newFlakyMall(t *testing.T, failPct, stallPct int, stall time.Duration, holdAt int) (*flakyMall, string) {
	m := &flakyMall{failPct: failPct, stallPct: stallPct, stall: stall, holdAt: holdAt,
		booked: map[string]bool{}, bookings: map[string]int{}, seen: map[string]int{}, records: map[string]export.Record{}, release: make(chan struct{})}
	srv := httptest.NewServer(m)
	t.Cleanup(func() { m.unhold(); srv.Close() })
	return m, srv.URL
}

func (m *flakyMall) unhold() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held {
		m.held = false
		close(m.release)
	}
	m.holdAt = 0
}

func (m *flakyMall) setDown(down bool) {
	m.mu.Lock()
	m.down = down
	m.mu.Unlock()
}

func (m *flakyMall) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	recs, status, err := mallsig.ReadBatch(r, []byte(pushSecret), time.Now())
	if err != nil {
		if errors.Is(err, mallsig.ErrBadSignature) {
			m.mu.Lock()
			m.badSigs++
			m.mu.Unlock()
		}
		http.Error(w, err.Error(), status)
		return
	}
	m.mu.Lock()
	held, down, release := m.held, m.down, m.release
	if held {
		m.stats.held++
		m.holding++
	}
	m.mu.Unlock()
	if held {
		select {
		case <-r.Context().Done(): // the engine died or gave up
		case <-release:
		}
		m.mu.Lock()
		m.holding--
		m.mu.Unlock()
		http.Error(w, "held", http.StatusServiceUnavailable)
		return
	}
	roll := rand.IntN(100)
	if down || roll < m.failPct {
		m.mu.Lock()
		m.stats.failed++
		m.mu.Unlock()
		http.Error(w, "mall unavailable", http.StatusInternalServerError)
		return
	}
	if roll < m.failPct+m.stallPct {
		time.Sleep(m.stall)
		m.mu.Lock()
		m.stats.stalled++
		m.mu.Unlock()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.taken++
	for _, rec := range recs {
		id := fmt.Sprintf("%s/%s/%d", rec.Activity, rec.SKU, rec.Seq)
		m.seen[id]++
		if !m.booked[rec.IdempotencyKey] {
			m.booked[rec.IdempotencyKey] = true
			m.bookings[id]++
			m.records[id] = rec
		}
	}
	if m.holdAt > 0 && len(m.records) >= m.holdAt && !m.held {
		m.held = true
	}
}

// holdingNow reports whether a request is being held at this moment.
func (m *flakyMall) holdingNow() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.holding > 0
}

func (m *flakyMall) taken() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.records)
}

// buyAll buys one unit of sku for each uid in [from, to) through the
// engine's public API (auth "none"), retrying busy answers, and returns how
// many won.
func buyAll(t *testing.T, addr, sku string, from, to uint64) int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	sem := make(chan struct{}, 64)
	for uid := from; uid < to; uid++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			for try := 0; try < 200; try++ {
				resp, err := httpget.Get(addr, fmt.Sprintf("/buy?sku=%s&uid=%d", sku, uid), 5*time.Second)
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				switch body := string(resp.Body); {
				case strings.Contains(body, `"result":"won"`):
					mu.Lock()
					won++
					mu.Unlock()
					return
				case strings.Contains(body, `"result":"busy"`):
					time.Sleep(5 * time.Millisecond)
				default:
					t.Errorf("uid %d: %s", uid, body)
					return
				}
			}
			t.Errorf("uid %d: no final answer", uid)
		}()
	}
	wg.Wait()
	return won
}

// checkMallHasStore asserts that the mall received every win of the store
// at least once and booked it exactly once, each with every field as
// stored, and nothing else; that every batch was signed; and that the
// store's delivery state says all delivered.
func checkMallHasStore(t *testing.T, m *flakyMall, data string) {
	t.Helper()
	l, err := wal.Open(data, wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m.mu.Lock()
	defer m.mu.Unlock()
	stored := 0
	err = l.ScanWins(func(w *engine.Win) error {
		stored++
		key := fmt.Sprintf("%s/%s/%d", w.Activity, w.SKU, w.Seq)
		if m.seen[key] < 1 || m.bookings[key] != 1 {
			return fmt.Errorf("%s received %d times, booked %d times; want at least 1 and exactly 1", key, m.seen[key], m.bookings[key])
		}
		rec := m.records[key]
		if got, err := rec.Win(); err != nil || got != *w {
			return fmt.Errorf("%s delivered as %+v (%v); stored %+v", key, got, err, *w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.records) != stored || len(m.seen) != stored {
		t.Fatalf("the mall booked %d and received %d wins; the store holds %d", len(m.records), len(m.seen), stored)
	}
	if m.badSigs > 0 {
		t.Fatalf("%d batches carried a wrong signature", m.badSigs)
	}
	st, err := push.ReadStatus(l)
	if err != nil || st.Pending != 0 || st.Failed != 0 || st.Delivered != uint64(stored) {
		t.Fatalf("delivery state %+v (%v) with %d wins", st, err, stored)
	}
}

// TestPushAcrossKill runs `seckill serve` with push_url pointing at a mall
// that fails 30% and stalls 10% of the batches, kill -9s the engine while a
// backlog is in flight, restarts it and sells on: every winner must reach
// the mall, each idempotency key accepted exactly once.
func TestPushAcrossKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	const timeout = 300 * time.Millisecond
	mall, mallURL := newFlakyMall(t, 30, 10, timeout+200*time.Millisecond, 150)
	data := filepath.Join(dir, "data")
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[server]
listen = %q
data_dir = %q
drain_delay = "0s"
[auth]
mode = "none"
[export]
push_url = %q
push_secret = %q
push_batch = 10
push_timeout = "%v"
push_max_attempts = 1000
push_backoff = "10ms"
push_backoff_max = "200ms"
[[activity]]
id = "live"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "x"
  stock = 300
  [[activity.item]]
  sku = "y"
  stock = 300
`, addr, data, mallURL, pushSecret, timeout))

	srv := startChild(t, addr, cfg)
	won := buyAll(t, addr, "x", 1, 201) + buyAll(t, addr, "y", 1, 201)
	// The mall holds every request once it has 150 keys; the kill lands
	// while one is held, so with a POST in flight and a backlog in the
	// store.
	deadline := time.Now().Add(30 * time.Second)
	for !mall.holdingNow() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	atKill := mall.taken()
	srv.kill()
	if atKill < 150 || atKill >= won {
		t.Fatalf("the kill did not land mid-push: %d of %d taken", atKill, won)
	}
	mall.unhold()
	srv = startChild(t, addr, cfg)
	won += buyAll(t, addr, "x", 201, 301) + buyAll(t, addr, "y", 201, 301)
	if won != 600 {
		t.Fatalf("%d wins, want the whole stock of 600", won)
	}
	deadline = time.Now().Add(90 * time.Second)
	for mall.taken() < won {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d winners reached the mall; log:\n%s", mall.taken(), won, srv.logText())
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.stop(t)
	checkMallHasStore(t, mall, data)
	mall.mu.Lock()
	again := 0
	for _, n := range mall.seen {
		again += n - 1
	}
	s := mall.stats
	mall.mu.Unlock()
	t.Logf("%d winners; %d taken at the kill; batches: %d taken, %d failed, %d stalled, %d held; %d records received again",
		won, atKill, s.taken, s.failed, s.stalled, s.held, again)
	if s.failed == 0 || s.stalled == 0 || s.held == 0 {
		t.Fatal("the mall never failed, stalled or held: the test did not test what it claims")
	}
}

// TestRepushFromStoppedEngine parks records as failed against a dead mall,
// then re-pushes them with `seckill export -push`, then re-pushes all.
func TestRepushFromStoppedEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	keys := addWins(t, data, 40)
	mall, url := newFlakyMall(t, 0, 0, 0, 0)
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[server]
data_dir = %q
drain_delay = "0s"
[auth]
mode = "none"
[export]
push_secret = %q
push_batch = 50
push_max_attempts = 3
push_backoff = "1ms"
push_backoff_max = "5ms"
[[activity]]
id = "night"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "a"
  stock = 1
`, data, pushSecret))
	if _, stderr, err := runCmd(t, nil, "export", "-data", data, "-push", url); err == nil || !strings.Contains(stderr, "export.push_secret") {
		t.Fatalf("re-push without a push secret: %v, want a refusal naming export.push_secret\n%s", err, stderr)
	}
	mall.setDown(true)
	stdout, stderr, err := runCmd(t, nil, "export", "-config", cfg, "-push", url)
	if err == nil || !strings.Contains(stdout, "0 delivered, 120 failed again after 3 attempts") {
		t.Fatalf("re-push to a dead mall: %v\n%s%s", err, stdout, stderr)
	}
	mall.setDown(false)
	if stdout, stderr, err := runCmd(t, nil, "export", "-config", cfg, "-push", url); err != nil || !strings.Contains(stdout, "(120 records queued): 120 delivered, 0 failed") {
		t.Fatalf("re-push of failed records: %v\n%s%s", err, stdout, stderr)
	}
	checkMallHasStore(t, mall, data)
	if stdout, stderr, err := runCmd(t, nil, "export", "-config", cfg, "-push", url, "-all"); err != nil || !strings.Contains(stdout, "120 delivered") {
		t.Fatalf("re-push of all records: %v\n%s%s", err, stdout, stderr)
	}
	checkMallHasStore(t, mall, data)
	mall.mu.Lock()
	defer mall.mu.Unlock()
	for k := range keys { // received twice, booked once (checkMallHasStore)
		if mall.seen[k] != 2 {
			t.Errorf("%s received %d times after a re-push of all, want 2", k, mall.seen[k])
		}
	}
}
