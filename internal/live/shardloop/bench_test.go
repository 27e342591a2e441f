package shardloop

import (
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"seckill/engine"
	"seckill/wal"
)

// durableSlot is one buyer slot of BenchmarkDurableWins: it offers an
// attempt, and when the shard replies, records the latency and offers the
// next one from the shard's goroutine, so each SKU keeps a fixed number of
// attempts outstanding (a closed loop, like a front end under load).
type durableSlot struct {
	loop    *Loop
	sku     *durableSKU
	run     *durableRun
	offered time.Time
}

type durableSKU struct {
	nextUID atomic.Uint64
	lat     []time.Duration // written only on the SKU's shard goroutine
	won     int64
}

type durableRun struct {
	left      atomic.Int64 // attempts still to offer
	completed atomic.Int64
	total     int64
	done      chan struct{}
	failed    atomic.Bool
}

func (s *durableSlot) offer() {
	s.offered = time.Now()
	a := engine.Attempt{Kind: engine.Buy, UID: s.sku.nextUID.Add(1)}
	if !s.loop.Offer(Task{Attempt: a, To: s}) {
		// The inbox holds every slot of its SKU, so this cannot happen
		// while the loop runs; a benchmark that lost an attempt is void.
		s.run.failed.Store(true)
		s.finish()
	}
}

func (s *durableSlot) Reply(d *engine.Decision) {
	s.sku.lat = append(s.sku.lat, time.Since(s.offered))
	if d.Result == engine.Won {
		s.sku.won++
	}
	s.finish()
}

func (s *durableSlot) finish() {
	if s.run.completed.Add(1) == s.run.total {
		close(s.run.done)
	}
	if s.run.left.Add(-1) >= 0 {
		s.offer()
	}
}

// BenchmarkDurableWins measures what the engine can make durable: many SKU
// shard loops over one real Pebble store (fsync'd commits), each SKU with a
// big stock, and a fixed number of buy attempts outstanding in all, spread
// over the SKUs round robin (with more SKUs than attempts, the rest of the
// SKUs idle). One op is one win; it reports wins/s and the latency from
// Offer to Reply — the time a winner waits for its durable answer, without
// the network.
//
// The shapes are issue 13's: 1, 16, 256, 1,024 and 4,096 SKUs, with one
// attempt outstanding per SKU and with 1,024 outstanding in all. In a closed
// loop, latency is outstanding ÷ throughput (Little's law). commit=round is
// the server's wiring, every loop over one wal.Committer (one synced commit
// per round for all shards); commit=shard has each loop call wal.Log.Append
// itself (pebble shares the fsync, but every shard batch is its own
// commit), for comparison.
func BenchmarkDurableWins(b *testing.B) {
	for _, commit := range []string{"round", "shard"} {
		for _, skus := range []int{1, 16, 256, 1024, 4096} {
			for i, outstanding := range []int{skus, 1024} {
				if i == 1 && skus == 1024 {
					continue // the same shape twice
				}
				b.Run(fmt.Sprintf("commit=%s/skus=%d/outstanding=%d", commit, skus, outstanding), func(b *testing.B) {
					benchmarkDurableWins(b, commit == "round", skus, outstanding)
				})
			}
		}
	}
}

// processCPU is the user and system CPU this process has used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchmarkDurableWins(b *testing.B, group bool, skus, outstanding int) {
	log, err := wal.Open(b.TempDir(), wal.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	key, err := log.TicketKey()
	if err != nil {
		b.Fatal(err)
	}
	var store Store = log
	var committer *wal.Committer
	if group {
		committer = log.NewCommitter()
		defer committer.Close()
		store = committer
	}
	clock := func() int64 { return time.Now().UnixNano() }
	run := &durableRun{total: int64(b.N), done: make(chan struct{})}
	run.left.Store(int64(b.N))
	perSKU := (outstanding + skus - 1) / skus
	loops := make([]*Loop, skus)
	stats := make([]*durableSKU, skus)
	for i := range loops {
		spec := engine.Spec{Activity: "bench", SKU: fmt.Sprintf("sku-%04d", i), Index: int32(i), Quota: 1 << 40, StartUnixNano: 0, EndUnixNano: 1 << 62}
		loops[i] = New(engine.NewShard(spec, engine.NewTicketSigner(key), nil, nil), store, 4*perSKU, 1024, clock)
		stats[i] = &durableSKU{lat: make([]time.Duration, 0, b.N/min(skus, outstanding)+perSKU)}
		go loops[i].Run()
	}
	slots := make([]*durableSlot, outstanding)
	for i := range slots {
		slots[i] = &durableSlot{loop: loops[i%skus], sku: stats[i%skus], run: run}
	}
	// Collect the set-up's garbage (the shards of the previous run of this
	// benchmark among it) now: a GC cycle it triggered inside the timed part
	// would be counted as the wins' CPU, and a win allocates nothing.
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU(b)
	start := time.Now()
	for _, s := range slots {
		if run.left.Add(-1) < 0 {
			break
		}
		s.offer()
	}
	<-run.done
	elapsed := time.Since(start)
	cpu := processCPU(b) - cpu0
	b.StopTimer()
	for _, l := range loops {
		l.Close()
		<-l.Done()
	}
	if run.failed.Load() {
		b.Fatal("an attempt could not be offered")
	}
	var all []time.Duration
	var won int64
	for _, s := range stats {
		all = append(all, s.lat...)
		won += s.won
	}
	if won != int64(b.N) {
		b.Fatalf("%d wins of %d attempts: every attempt of a distinct uid on a big stock must win", won, b.N)
	}
	slices.Sort(all)
	b.ReportMetric(float64(won)/elapsed.Seconds(), "wins/s")
	// The process's CPU (every thread: shard loops, committer, pebble, GC,
	// this benchmark's buyers) over the timed part, per win: with two cores,
	// 2 s ÷ this is the most wins per second the machine could make.
	b.ReportMetric(float64(cpu.Microseconds())/float64(won), "cpu-us/win")
	b.ReportMetric(float64(all[len(all)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(all[(len(all)*99+99)/100-1])/1e6, "p99-ms")
	b.ReportMetric(float64(all[len(all)-1])/1e6, "max-ms")
	if committer != nil {
		rounds, batches := committer.Rounds()
		b.ReportMetric(float64(won)/float64(max(rounds, 1)), "wins/round")
		b.ReportMetric(float64(batches)/float64(max(rounds, 1)), "batches/round")
		// Each round is one fsync: next to the disk's fsync latency this
		// says how close the store runs to the disk's limit.
		b.ReportMetric(float64(rounds)/elapsed.Seconds(), "rounds/s")
	}
}
