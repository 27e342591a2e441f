package wal

import (
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/engine"
)

// BenchmarkAppendWinsParallel models 64 SKU shards, each committing batches
// of 16 wins with pebble.Sync. One op is one AppendWins call.
func BenchmarkAppendWinsParallel(b *testing.B) {
	const shards, batch = 64, 16
	l := mustOpen(b, b.TempDir(), Options{})
	defer l.Close()
	var next atomic.Int64
	lat := make([][]time.Duration, shards)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for s := 0; s < shards; s++ {
		lat[s] = make([]time.Duration, 0, b.N/shards+1)
		ws := chain("flash-sale-2024", fmt.Sprintf("sku-%03d", s), batch, uint64(s)<<40)
		wg.Add(1)
		go func() {
			defer wg.Done()
			seq := uint64(0)
			for next.Add(1) <= int64(b.N) {
				for i := range ws {
					seq++
					ws[i].Seq = seq
				}
				t0 := time.Now()
				if err := l.AppendWins(ws); err != nil {
					b.Error(err)
					return
				}
				lat[s] = append(lat[s], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	var all []time.Duration
	for _, d := range lat {
		all = append(all, d...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) > 0 {
		p99 := all[(len(all)*99+99)/100-1]
		b.ReportMetric(float64(p99)/1e6, "p99-ms")
		b.ReportMetric(float64(all[len(all)/2])/1e6, "p50-ms")
	}
	b.ReportMetric(float64(b.N*batch)/elapsed.Seconds(), "wins/s")
}

const scanBenchWins = 1_000_000

var scanBench struct {
	once sync.Once
	dir  string
	err  error
}

// scanBenchStore builds a store of 1M wins once per test binary run.
func scanBenchStore(b *testing.B) string {
	scanBench.once.Do(func() {
		dir, err := os.MkdirTemp("", "wal-scan-bench-")
		if err != nil {
			scanBench.err = err
			return
		}
		scanBench.dir = dir
		l, err := Open(dir, Options{Logger: &quietLogger{}})
		if err != nil {
			scanBench.err = err
			return
		}
		const skus, perBatch = 100, 1000
		var wg sync.WaitGroup
		for s := 0; s < skus; s++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ws := chain("flash-sale-2024", fmt.Sprintf("sku-%03d", s), perBatch, uint64(s)<<40)
				seq := uint64(0)
				for n := 0; n < scanBenchWins/skus; n += perBatch {
					for i := range ws {
						seq++
						ws[i].Seq = seq
					}
					if err := l.AppendWins(ws); err != nil {
						scanBench.err = err
						return
					}
				}
			}()
		}
		wg.Wait()
		if err := l.Close(); err != nil && scanBench.err == nil {
			scanBench.err = err
		}
	})
	if scanBench.err != nil {
		b.Fatal(scanBench.err)
	}
	return scanBench.dir
}

func cleanupScanBench() {
	if scanBench.dir != "" {
		os.RemoveAll(scanBench.dir)
	}
}

// BenchmarkScanWins scans a store of 1M wins; one op is one full scan.
func BenchmarkScanWins(b *testing.B) {
	dir := scanBenchStore(b)
	l := mustOpen(b, dir, Options{ReadOnly: true})
	defer l.Close()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		n := 0
		if err := l.ScanWins(func(*engine.Win) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != scanBenchWins {
			b.Fatalf("scanned %d wins", n)
		}
	}
	b.ReportMetric(float64(b.N*scanBenchWins)/time.Since(start).Seconds(), "records/s")
}
