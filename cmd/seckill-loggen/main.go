// Command seckill-loggen writes a synthetic sale into a fresh store, through
// the real engine core and wal, for measuring and testing `seckill replay`:
//
//	seckill-loggen -data DIR -wins 1000000 -skus 100 [-seed N] [-limit sku|activity]
//	               [-reservation] [-release N] [-batch N] [-changes]
//
// The same flags give the same records (times, uids, tickets, hashes), so
// digests and audit reports are reproducible.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"seckill/internal/testkit/loggen"
)

func main() {
	var o loggen.Options
	flag.StringVar(&o.Dir, "data", "", "the store to create (absent or empty `dir`ectory; required)")
	flag.StringVar(&o.Activity, "activity", "gen", "the activity id")
	flag.IntVar(&o.Wins, "wins", 1_000_000, "wins to write")
	flag.IntVar(&o.SKUs, "skus", 100, "SKUs to spread them over")
	flag.IntVar(&o.Stock, "stock", 0, "stock of every SKU (0 = wins/skus, rounded up: the sale sells out)")
	flag.Uint64Var(&o.Seed, "seed", 1, "seed of every random choice and of the ticket key")
	flag.StringVar(&o.Limit, "limit", "sku", `purchase limit: "sku" or "activity"`)
	flag.BoolVar(&o.Reservation, "reservation", false, "require reservations (a generated list of about 90% of the buyers)")
	flag.IntVar(&o.ReleasePerSec, "release", 0, "release_per_sec of every SKU (0 = no limit)")
	flag.IntVar(&o.Batch, "batch", 1024, "wins of one SKU per AppendWins (one fsync)")
	flag.BoolVar(&o.Changes, "changes", false, "pause halfway, replace the reservation list, resume")
	flag.Parse()
	if o.Dir == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	start := time.Now()
	sum, err := loggen.Generate(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "seckill-loggen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d wins (%d attempts) over %d SKUs into %s in %s; sale from %s to %s\n",
		sum.Wins, sum.Attempts, o.SKUs, o.Dir, time.Since(start).Round(time.Millisecond),
		sum.First.Format(time.RFC3339Nano), sum.Last.Format(time.RFC3339Nano))
}
