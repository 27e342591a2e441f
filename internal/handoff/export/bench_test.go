package export

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"seckill/internal/testkit/salegen"
	"seckill/wal"
)

// benchWins is the store size of BenchmarkExport: at least a million wins
// by default, the size the export's figure in docs/EXPORT.md is taken at;
// SECKILL_EXPORT_BENCH_WINS overrides it.
func benchWins() int {
	if n, err := strconv.Atoi(os.Getenv("SECKILL_EXPORT_BENCH_WINS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
)

// benchStore fills a store once per process: 10 SKUs of one activity,
// through the real engine core and group commits of 1000 wins.
func benchStore(b *testing.B) string {
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "export-bench")
		if benchErr != nil {
			return
		}
		var l *wal.Log
		if l, benchErr = wal.Open(filepath.Join(benchDir, "data"), wal.Options{}); benchErr != nil {
			return
		}
		defer l.Close()
		skus := []string{"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"}
		start := time.Now()
		_, benchErr = salegen.Fill(l, salegen.Options{Activity: "bench", SKUs: skus, PerSKU: benchWins() / len(skus)})
		b.Logf("generated %d wins in %v", benchWins(), time.Since(start))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return filepath.Join(benchDir, "data")
}

// BenchmarkExport exports the whole store (-all) in each format and
// reports records per second, store scan, encoding, compression, hashing
// and fsync included.
func BenchmarkExport(b *testing.B) {
	dir := benchStore(b)
	l, err := wal.Open(dir, wal.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	for _, tc := range []struct{ name, format string }{
		{"jsonl.zst", FormatJSONL},
		{"csv.zst", FormatCSV},
		{"jsonl", FormatJSONL},
		{"csv", FormatCSV},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ex := newExporter(b, l, b.TempDir())
			var n uint64
			var bytes int64
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				m, err := ex.Run(Options{Out: strconv.Itoa(i) + "." + tc.name, Format: tc.format, All: true})
				if err != nil {
					b.Fatal(err)
				}
				n += m.Count
				bytes = m.Bytes
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(bytes)/float64(n/uint64(b.N)), "bytes/record")
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}
