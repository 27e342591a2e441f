package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/live/token"
	"seckill/internal/testkit/httpget"
	"seckill/wal"
)

const crashSecret = "crash-test-secret-0123456789abcdef"

type won struct {
	SKU    string `json:"sku"`
	UID    uint64 `json:"uid"`
	Seq    uint64 `json:"seq"`
	Ticket string `json:"ticket"`
	Result string `json:"result"`
}

// TestKillMidSale runs seckill serve as a child process, buys concurrently,
// kill -9s it mid-sale, restarts it on the same data_dir and buys on. Every
// response that said won — before and after the crash — must be in the store,
// no SKU may be oversold and no uid may win a SKU twice.
func TestKillMidSale(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[server]
listen = %q
data_dir = %q
drain_delay = "0s"
[auth]
mode = "hmac"
secret = %q
[[activity]]
id = "crash"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "x"
  stock = 400
  [[activity.item]]
  sku = "y"
  stock = 300
`, addr, filepath.Join(dir, "data"), crashSecret))
	quota := map[string]uint64{"x": 400, "y": 300}

	srv := startChild(t, addr, cfg)
	var (
		mu       sync.Mutex
		told     = map[string]map[uint64]won{"x": {}, "y": {}}
		wonCount atomic.Int64
		crashed  atomic.Bool
	)
	buyer := func(uid uint64, sku string) error {
		tok := token.Mint([]byte(crashSecret), uid, time.Now().Add(time.Hour).Unix())
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			resp, err := httpget.Get(addr, "/buy?sku="+sku+"&token="+tok, 3*time.Second)
			if err != nil {
				time.Sleep(20 * time.Millisecond) // the server is down or restarting
				continue
			}
			var r won
			if err := json.Unmarshal(resp.Body, &r); err != nil {
				return fmt.Errorf("uid %d: body %q", uid, resp.Body)
			}
			switch r.Result {
			case "won", "already_won":
				mu.Lock()
				defer mu.Unlock()
				if prev, ok := told[sku][uid]; ok && (prev.Seq != r.Seq || prev.Ticket != r.Ticket) {
					return fmt.Errorf("uid %d sku %s told seq %d then %d", uid, sku, prev.Seq, r.Seq)
				}
				told[sku][uid] = r
				wonCount.Add(1)
				return nil
			case "sold_out":
				return nil
			case "busy":
				time.Sleep(time.Duration(5+rand.IntN(20)) * time.Millisecond)
			default:
				return fmt.Errorf("uid %d sku %s: unexpected %s", uid, sku, resp.Body)
			}
		}
		return fmt.Errorf("uid %d sku %s: no final answer in time (crashed=%v)", uid, sku, crashed.Load())
	}

	const buyers = 1500
	errs := make(chan error, buyers)
	sem := make(chan struct{}, 150)
	var wg sync.WaitGroup
	for uid := uint64(1); uid <= buyers; uid++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := buyer(uid, []string{"x", "y"}[uid%2]); err != nil {
				errs <- err
			}
		}()
	}
	// Crash once a good part of the stock is sold, while buyers are mid-flight.
	for wonCount.Load() < 200 {
		time.Sleep(time.Millisecond)
	}
	srv.kill()
	crashed.Store(true)
	beforeCrash := wonCount.Load()
	// Prove where the kill hit: with the process gone, the store already
	// holds every win told so far, and the sale was not over.
	atKill := countStoredWins(t, filepath.Join(dir, "data"))
	if atKill < beforeCrash || uint64(atKill) >= quota["x"]+quota["y"] {
		t.Fatalf("at the kill the store held %d wins with %d told and a quota of %d: the kill did not hit mid-sale", atKill, beforeCrash, quota["x"]+quota["y"])
	}
	srv = startChild(t, addr, cfg)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	srv.stop(t)
	if t.Failed() {
		return
	}
	t.Logf("%d wins told before the kill, %d stored then, %d told in all", beforeCrash, atKill, wonCount.Load())
	if wonCount.Load() <= beforeCrash {
		t.Fatalf("no win told after the restart: the sale did not resume")
	}

	log, err := wal.Open(filepath.Join(dir, "data"), wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	stored := map[string]map[uint64]uint64{"x": {}, "y": {}}
	lastSeq := map[string]uint64{}
	err = log.ScanWins(func(w *engine.Win) error {
		if _, twice := stored[w.SKU][w.UID]; twice {
			return fmt.Errorf("uid %d won %s twice in the store", w.UID, w.SKU)
		}
		if w.Seq != lastSeq[w.SKU]+1 {
			return fmt.Errorf("%s: seq %d after %d", w.SKU, w.Seq, lastSeq[w.SKU])
		}
		lastSeq[w.SKU] = w.Seq
		stored[w.SKU][w.UID] = w.Seq
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for sku, q := range quota {
		if uint64(len(stored[sku])) > q {
			t.Errorf("%s oversold: %d > %d", sku, len(stored[sku]), q)
		}
		if uint64(len(stored[sku])) != q {
			t.Errorf("%s: %d stored wins, expected the whole quota %d to sell", sku, len(stored[sku]), q)
		}
		for uid, w := range told[sku] {
			if seq, ok := stored[sku][uid]; !ok || seq != w.Seq {
				t.Errorf("uid %d was told won %s seq %d; store has %d (present %v)", uid, sku, w.Seq, seq, ok)
			}
		}
	}
}

// countStoredWins opens the store in dir read-only and counts its wins.
func countStoredWins(t *testing.T, dir string) int64 {
	t.Helper()
	log, err := wal.Open(dir, wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	var n int64
	if err := log.ScanWins(func(*engine.Win) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}
