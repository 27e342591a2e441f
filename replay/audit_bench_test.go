package replay

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"seckill/internal/loggen"
	"seckill/wal"
)

// BenchmarkAudit audits a generated store of AUDIT_BENCH_WINS wins (default
// 200,000) over 100 SKUs; one op is one whole audit. records/s is the figure
// docs/AUDIT.md reports (measured there with the command on 1M records).
func BenchmarkAudit(b *testing.B) {
	wins := 200_000
	if s := os.Getenv("AUDIT_BENCH_WINS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		wins = n
	}
	for _, tc := range []struct {
		name string
		o    loggen.Options
	}{
		{"limit=sku", loggen.Options{Wins: wins, SKUs: 100, Seed: 1}},
		{"limit=activity,reservation", loggen.Options{Wins: wins, SKUs: 100, Seed: 1, Limit: "activity", Reservation: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			tc.o.Dir = filepath.Join(b.TempDir(), "store")
			if _, err := loggen.Generate(tc.o); err != nil {
				b.Fatal(err)
			}
			l, err := wal.Open(tc.o.Dir, wal.Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			for _, workers := range []int{1, 2} {
				b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
					for b.Loop() {
						rep, err := Audit(l, Options{Workers: workers})
						if err != nil || !rep.OK {
							b.Fatalf("audit: %v ok=%v", err, rep != nil && rep.OK)
						}
					}
					b.ReportMetric(float64(wins)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
				})
			}
		})
	}
}
