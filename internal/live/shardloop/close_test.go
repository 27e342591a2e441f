package shardloop

import (
	"sync"
	"testing"

	"seckill/engine"
)

// countingReplier counts the replies it is handed.
type countingReplier struct {
	mu sync.Mutex
	n  int
}

func (r *countingReplier) Reply(*engine.Decision) {
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
}

// TestOfferRacesClose offers from several goroutines while the loop closes.
// An Offer that loses the race must return false, never panic with a send
// on the closed inbox, and every Offer that returned true must be answered.
func TestOfferRacesClose(t *testing.T) {
	for round := 0; round < 20; round++ {
		l, _ := newLoop(t, t.TempDir(), nil, 1<<20)
		r := &countingReplier{}
		var accepted sync.WaitGroup
		var offered [8]int
		start := make(chan struct{})
		for g := range offered {
			accepted.Add(1)
			go func() {
				defer accepted.Done()
				<-start
				for i := 0; i < 2000; i++ {
					if l.Offer(Task{Attempt: engine.Attempt{Kind: engine.Lookup, UID: uint64(g*10000 + i)}, To: r}) {
						offered[g]++
					}
				}
			}()
		}
		close(start)
		l.Close()
		accepted.Wait()
		<-l.Done()
		total := 0
		for _, n := range offered {
			total += n
		}
		r.mu.Lock()
		got := r.n
		r.mu.Unlock()
		if got != total {
			t.Fatalf("round %d: %d offers accepted, %d answered", round, total, got)
		}
	}
}
