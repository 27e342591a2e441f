package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"seckill/internal/config"
	"seckill/internal/live/uidset"
)

// epoch is the simulated wall clock's zero: every run starts here, so that
// times, and with them the answers' bodies, are the same for a seed.
var epoch = time.Date(2026, 1, 12, 6, 30, 0, 0, time.UTC)

// sale is the configuration a seed draws: the activities, their items and
// reservation lists, and the population of buyers.
type sale struct {
	cfg      *config.Config
	buyers   uint64                 // uids are 1..buyers
	reserved map[string]*uidset.Set // the list each reservation activity starts with (its "file")
	skus     []skuInfo              // every item, in configuration order
}

// skuInfo is one item with its activity, as the buyers and the checks see
// it. SKUs are unique across activities, so a SKU names its shard.
type skuInfo struct {
	act   *config.Activity
	item  *config.Item
	quota uint64
}

// drawSale draws a sale: one to three activities that open within the
// first two simulated seconds and last 20 to 60 s, each with one to four
// items of small stock (so that sell-outs, and the sold-out fast path,
// happen), either limit mode, sometimes a reservation list, a release rate
// or an admission rate.
func drawSale(rng *rand.Rand) *sale {
	s := &sale{buyers: 50 + rng.Uint64N(3000), reserved: map[string]*uidset.Set{}}
	cfg := &config.Config{
		Server: config.Server{
			BatchMax: 1 + rng.IntN(16),
		},
		Auth: config.Auth{Mode: config.AuthNone},
	}
	if rng.IntN(4) == 0 {
		cfg.Server.PerAddrPerSec = 5 + rng.IntN(50)
	}
	nAct := 1 + rng.IntN(3)
	for a := range nAct {
		start := epoch.Add(time.Duration(rng.Int64N(int64(2 * time.Second))))
		act := config.Activity{
			ID:    fmt.Sprintf("act%d", a),
			Title: fmt.Sprintf("simulated sale %d", a),
			Queue: 2 + rng.IntN(64),
			Limit: config.LimitSKU,
			// The window ends inside most runs, so ended answers and
			// lookups after the end are exercised too.
			StartTime: start,
			EndTime:   start.Add(20*time.Second + time.Duration(rng.Int64N(int64(40*time.Second)))),
		}
		act.Start, act.End = act.StartTime.Format(time.RFC3339Nano), act.EndTime.Format(time.RFC3339Nano)
		if rng.IntN(2) == 0 {
			act.Limit = config.LimitActivity
		}
		if rng.IntN(6) == 0 {
			act.AdmitPerSec = 5 + rng.IntN(100)
		}
		if rng.IntN(3) == 0 {
			act.Reservation = config.ReservationRequired
			act.ReservationsFile = "simulated" // never read: the simulation holds the list
			s.reserved[act.ID] = drawReservations(rng, s.buyers)
		}
		for i := range 1 + rng.IntN(4) {
			it := config.Item{
				SKU:          fmt.Sprintf("a%d-sku%d", a, i),
				Name:         "simulated item",
				Price:        100 + rng.Int64N(10000),
				Stock:        1 + rng.Int64N(60),
				QuotaPercent: 100,
			}
			switch rng.IntN(4) {
			case 0:
				it.QuotaPercent = 50 + rng.IntN(50)
				it.Stock += 2 // keep the quota at least 1
			case 1:
				// Overbooked, as the seed's 300 %: more qualifications
				// than units, most of them reported lapsed or paid.
				it.QuotaPercent = 101 + rng.IntN(200)
			}
			if rng.IntN(2) == 0 {
				it.Waitlist = rng.IntN(9)
			}
			if rng.IntN(4) == 0 {
				it.ReleasePerSec = 1 + rng.IntN(8)
			}
			act.Items = append(act.Items, it)
		}
		cfg.Activities = append(cfg.Activities, act)
	}
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		panic(fmt.Sprintf("sim: drew an invalid configuration: %v", err))
	}
	for ai := range cfg.Activities {
		act := &cfg.Activities[ai]
		for ii := range act.Items {
			s.skus = append(s.skus, skuInfo{act: act, item: &act.Items[ii], quota: uint64(act.Items[ii].Quota())})
		}
	}
	s.cfg = cfg
	return s
}

// drawReservations draws a list holding each buyer with probability ¼ to
// ¾, plus a few uids no buyer has.
func drawReservations(rng *rand.Rand, buyers uint64) *uidset.Set {
	p := 25 + rng.IntN(50)
	var uids []uint64
	for uid := uint64(1); uid <= buyers; uid++ {
		if rng.IntN(100) < p {
			uids = append(uids, uid)
		}
	}
	for range rng.IntN(5) {
		uids = append(uids, buyers+1+rng.Uint64N(1<<40))
	}
	slices.Sort(uids)
	return uidset.FromSlice(slices.Compact(uids))
}

// skuIndex returns the index of sku in s.skus, or -1.
func (s *sale) skuIndex(sku string) int {
	for i := range s.skus {
		if s.skus[i].item.SKU == sku {
			return i
		}
	}
	return -1
}
