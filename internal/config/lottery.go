package config

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// The fair opening's limits and default (SPEC, "Fair opening").
const (
	// DefaultLotteryMaxEntrants bounds one SKU's entrants: a million
	// phones at the opening second is the design load, at about 70 bytes
	// of engine memory each (docs/BENCHMARKS.md, "Fair opening"), plus the
	// held connection.
	DefaultLotteryMaxEntrants = 1 << 20
	// MaxLotteryMaxEntrants keeps one SKU's lottery near 1.2 GB of
	// engine memory, before its connections.
	MaxLotteryMaxEntrants = 1 << 24
	// MaxLotteryBeaconName bounds the promised beacon's name: it is
	// recorded in the commitment, a control record of at most 1 KiB.
	MaxLotteryBeaconName = 256
	// LotterySeedBytes is the seed's size: 256 bits, so nobody can guess
	// it from the commitment.
	LotterySeedBytes = 32
)

// readLotterySeed reads LotterySeedFile: exactly 32 bytes, raw, or as 64
// hex digits (a trailing newline allowed). It returns what is wrong, or "".
func (a *Activity) readLotterySeed() string {
	b, err := os.ReadFile(a.LotterySeedFile)
	if err != nil {
		return fmt.Sprintf("cannot read: %v", err)
	}
	if len(b) == LotterySeedBytes {
		copy(a.LotterySeed[:], b)
		a.HasLotterySeed = true
		return ""
	}
	text := strings.TrimRight(string(b), "\r\n")
	if len(text) == 2*LotterySeedBytes {
		if raw, err := hex.DecodeString(text); err == nil {
			copy(a.LotterySeed[:], raw)
			a.HasLotterySeed = true
			return ""
		}
	}
	return fmt.Sprintf("%s is %d bytes; the seed must be exactly %d bytes (or %d hex digits): try `head -c 32 /dev/urandom > FILE`",
		a.LotterySeedFile, len(b), LotterySeedBytes, 2*LotterySeedBytes)
}

// validateLottery checks the fair opening's fields. The window must fit in
// the round (an entrant must be able to win); a release rate below the
// quota would hold back winners the draw has chosen, so with a lottery
// release_per_sec is 0 or at least the quota (the draw releases all its
// winners at once).
func (a *Activity) validateLottery(l *problemList, field string) {
	if a.OpeningLottery == 0 {
		for _, f := range []struct {
			name string
			set  bool
		}{{"lottery_beacon", a.LotteryBeacon != ""}, {"lottery_seed_file", a.LotterySeedFile != ""}, {"lottery_max_entrants", a.LotteryMaxEntrants != 0}} {
			if f.set {
				l.add(field+"."+f.name, "set, but opening_lottery is 0 (off)")
			}
		}
		return
	}
	if a.OpeningLottery < 0 {
		l.add(field+".opening_lottery", "%v is negative (0 = off)", a.OpeningLottery)
		return
	}
	if !a.StartTime.IsZero() && !a.EndTime.IsZero() && a.OpeningLottery >= a.EndTime.Sub(a.StartTime) {
		l.add(field+".opening_lottery", "%v is not shorter than the round (%v from start to end)", a.OpeningLottery, a.EndTime.Sub(a.StartTime))
	}
	// A window longer than pay_within would let the first winners' time to
	// pay run out before the last entrants hear they won.
	if a.PayWithin > 0 && a.OpeningLottery > a.PayWithin {
		l.add(field+".opening_lottery", "%v is longer than pay_within (%v)", a.OpeningLottery, a.PayWithin)
	}
	if len(a.LotteryBeacon) > MaxLotteryBeaconName {
		l.add(field+".lottery_beacon", "is %d bytes; at most %d", len(a.LotteryBeacon), MaxLotteryBeaconName)
	}
	if a.LotteryMaxEntrants < 1 || a.LotteryMaxEntrants > MaxLotteryMaxEntrants {
		l.add(field+".lottery_max_entrants", "%d is outside [1, %d]", a.LotteryMaxEntrants, MaxLotteryMaxEntrants)
	}
	for j := range a.Items {
		it := &a.Items[j]
		if it.ReleasePerSec > 0 && int64(it.ReleasePerSec) < it.Quota() {
			l.add(fmt.Sprintf("%s.item[%d].release_per_sec", field, j),
				"%d is below the quota %d: with opening_lottery the draw releases its winners at once, so release_per_sec must be 0 or at least the quota", it.ReleasePerSec, it.Quota())
		}
	}
}
