package wal

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// BenchmarkRoundApply measures the committer's serial stage, one round: the
// batches of many shards encoded into one pebble batch, applied (WAL buffer
// and memtable) and synced, as Committer's applyLoop and syncLoop do it. One
// op is one round; cpu-us/win is the process's CPU (every thread, pebble's
// WAL writer included) per win. order=sorted is encodeRound (the requests
// by strand, then wins, then head markers: keys ascending); order=arrival
// encodes each request's wins and head marker together in the order the
// shards queued them, as the committer did before, for comparison.
func BenchmarkRoundApply(b *testing.B) {
	for _, shape := range []struct{ shards, wins int }{{1024, 1}, {256, 4}} {
		for _, order := range []string{"sorted", "arrival"} {
			b.Run(fmt.Sprintf("shards=%d/wins=%d/order=%s", shape.shards, shape.wins, order), func(b *testing.B) {
				benchmarkRoundApply(b, shape.shards, shape.wins, order == "sorted")
			})
		}
	}
}

func benchmarkRoundApply(b *testing.B, shards, wins int, sorted bool) {
	l := mustOpen(b, b.TempDir(), Options{})
	defer l.Close()
	queued := make([]*commitRequest, shards)
	for i := range queued {
		queued[i] = &commitRequest{wins: chain("flash-sale", fmt.Sprintf("sku-%04d", i), wins, uint64(i)<<32)}
	}
	// The shards queue in an order unrelated to their keys.
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(queued), func(i, j int) { queued[i], queued[j] = queued[j], queued[i] })
	reqs := make([]*commitRequest, shards)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := benchCPU(b)
	for range b.N {
		copy(reqs, queued)
		for _, q := range reqs {
			for i := range q.wins {
				q.wins[i].Seq += uint64(wins)
			}
		}
		batch, err := roundBatch(l, reqs, sorted)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.endRound(batch); err != nil {
			b.Fatal(err)
		}
	}
	cpu := benchCPU(b) - cpu0
	b.StopTimer()
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*shards*wins), "cpu-us/win")
}

// roundBatch applies one round as beginRound does, in the order asked.
func roundBatch(l *Log, reqs []*commitRequest, sorted bool) (*pebble.Batch, error) {
	if sorted {
		return l.beginRound(reqs)
	}
	l.mu.RLock()
	b := l.batch()
	for _, q := range reqs {
		if err := encodeBatch(b, q.wins, q.controls); err != nil {
			l.mu.RUnlock()
			return nil, err
		}
	}
	if err := l.apply(b, true); err != nil {
		l.mu.RUnlock()
		return nil, err
	}
	return b, nil
}

// benchCPU is the user and system CPU this process has used so far.
func benchCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
