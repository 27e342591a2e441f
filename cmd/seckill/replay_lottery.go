package main

import (
	"fmt"
	"io"

	"seckill/replay"
)

// printLotteries writes one line per SKU with a fair opening: what the
// audit re-derived (the check "lottery" says whether it matched), and a
// promised beacon that never came — a weaker draw, reported but not a
// failure of the log.
func printLotteries(w io.Writer, rep *replay.Report) {
	for _, r := range rep.SKUs {
		l := r.Lottery
		if l == nil {
			continue
		}
		if !l.Drawn {
			fmt.Fprintf(w, "LOTTERY %s/%s: committed %s, not drawn yet\n", r.Activity, r.SKU, l.Commitment)
			continue
		}
		beacon := l.Beacon
		if beacon == "" {
			beacon = "none"
		}
		fmt.Fprintf(w, "LOTTERY %s/%s: %d entrants, %d winners from seq %d, drawn at %s; seed %s (commitment %s), beacon %s\n",
			r.Activity, r.SKU, l.Entrants, l.Winners, l.FirstWinnerSeq, fmtUnixNano(l.DrawUnixNano), l.Seed, l.Commitment, beacon)
		if l.BeaconMissing {
			fmt.Fprintf(w, "BEACON MISSING %s/%s: %q was promised before the sale but never posted; the draw used no beacon (an insider who knew the seed could have steered it)\n", r.Activity, r.SKU, l.Promise)
		}
	}
}
