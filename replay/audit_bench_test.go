package replay

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"seckill/internal/testkit/loggen"
	"seckill/wal"
)

// BenchmarkAuditDir audits the store in AUDIT_BENCH_DIR (say one written by
// seckill-loggen), for profiling the audit of a given store:
//
//	AUDIT_BENCH_DIR=/tmp/big go test -run X -bench AuditDir -cpuprofile cpu.out ./replay
func BenchmarkAuditDir(b *testing.B) {
	dir := os.Getenv("AUDIT_BENCH_DIR")
	if dir == "" {
		b.Skip("AUDIT_BENCH_DIR is not set")
	}
	l, err := wal.Open(dir, wal.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	var records uint64
	for b.Loop() {
		rep, err := Audit(l, Options{})
		if err != nil {
			b.Fatal(err)
		}
		records = rep.Records
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkAudit audits a generated store of AUDIT_BENCH_WINS wins (default
// 200,000) over 100 SKUs with 1 and 2 workers; one op is one whole audit.
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
