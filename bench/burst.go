package bench

import (
	"context"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// burstUser is one buyer of a burst.
type burstUser struct {
	uid      uint64
	sku      string
	req      []byte
	attempts int
}

// burst fires every user at StartUnixNano and retries each until it gets a
// final answer, MaxAttempts run out, or the Duration deadline passes. At
// most Conns attempts are in flight; the rest wait their turn, as phones
// whose connect is still in the SYN queue do.
func (w *worker) burst(ctx context.Context) {
	s := &w.s
	users := make([]burstUser, s.Users)
	exp := w.expiry()
	for i := range users {
		u := &users[i]
		u.uid = s.UIDBase + uint64(i)
		u.sku = w.skuOf(u.uid)
		u.req = appendRequest(nil, s, u.sku, u.uid, exp)
	}
	if !sleepUntil(ctx, s.StartUnixNano) {
		return
	}
	self := []int{os.Getpid()}
	cpu0, cpuErr := ReadCPU(self)
	ctx, cancel := context.WithDeadline(ctx, time.Unix(0, max(s.StartUnixNano, time.Now().UnixNano())).Add(s.Duration))
	defer cancel()
	ready := make(chan int32, len(users)) // each user is in at most one place
	for i := range users {
		ready <- int32(i)
	}
	var left atomic.Int64
	left.Store(int64(len(users)))
	allDone := make(chan struct{})
	finish := func() {
		if left.Add(-1) == 0 {
			close(allDone)
		}
	}
	var wg sync.WaitGroup
	for range s.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, answerBufBytes)
			for {
				var i int32
				select {
				case <-ctx.Done():
					return
				case <-allDone:
					return
				case i = <-ready:
				}
				u := &users[i]
				a, ec := w.attempt(ctx, u.req, buf, time.Now().UnixNano())
				u.attempts++
				if ec == "" && a.final() {
					w.rec.final(u.sku, u.uid, &a)
					finish()
					continue
				}
				if u.attempts >= s.MaxAttempts {
					w.rec.unfinished()
					finish()
					continue
				}
				time.AfterFunc(w.retryDelay(&a, ec), func() { ready <- i })
			}
		}()
	}
	select {
	case <-allDone:
	case <-ctx.Done():
	}
	wg.Wait()
	cpu1, err := ReadCPU(self)
	w.rec.mu.Lock()
	if cpuErr == nil && err == nil {
		w.rec.p.BurstCPUNanos = int64(cpu1.Sub(cpu0).Total() * 1e9)
	}
	w.rec.p.Unfinished += left.Load()
	w.rec.mu.Unlock()
}

// retryDelay is how long a user waits before trying again: what a busy
// answer asks (scaled), with jitter so retries do not return in lockstep;
// after a failed connection, a short pause.
func (w *worker) retryDelay(a *answer, ec string) time.Duration {
	base := 50 * time.Millisecond
	if ec == "" && a.retryMs > 0 {
		base = time.Duration(float64(a.retryMs)*w.s.RetryScale) * time.Millisecond
	}
	return time.Duration(float64(base) * (0.5 + rand.Float64()))
}
