package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// job is one sustained-mode attempt: its number and when it was due.
type job struct {
	k   int64
	due int64
}

// sustained offers Rate attempts per second for Duration, open loop. An
// attempt's latency runs from when it was due, so queueing anywhere — in
// the server, in the kernel, or in this generator — is counted rather than
// hidden. When every connection is busy and the hand-off queue is full, the
// attempt is counted as client_overrun: the run then measured the
// generator, and the report says so.
func (w *worker) sustained(ctx context.Context) {
	s := &w.s
	start := s.StartUnixNano
	if start == 0 {
		start = time.Now().UnixNano()
	}
	n := int64(s.Rate * s.Duration.Seconds())
	interval := float64(time.Second) / s.Rate
	jobs := make(chan job, s.Conns)
	var wg sync.WaitGroup
	exp := w.expiry()
	// The connection goroutines, their buffers and their grown stacks
	// exist before the first attempt is due, so starting them is not
	// measured as latency.
	for range s.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			warmStack()
			buf := make([]byte, answerBufBytes)
			req := make([]byte, 0, 512)
			for j := range jobs {
				uid := w.uidAt(j.k)
				req = appendRequest(req[:0], s, w.skuOf(uid), uid, exp)
				w.attempt(ctx, req, buf, j.due)
			}
		}()
	}
	if !sleepUntil(ctx, start) {
		close(jobs)
		wg.Wait()
		return
	}
	for k := int64(0); k < n; k++ {
		due := start + int64(float64(k)*interval)
		// Sleep only when more than a millisecond ahead: timers are coarse,
		// and attempts that are due are sent at once.
		if due-time.Now().UnixNano() > int64(time.Millisecond) && !sleepUntil(ctx, due) {
			break
		}
		select {
		case jobs <- job{k: k, due: due}:
		default:
			w.rec.record(due, time.Now().UnixNano(), nil, errOverrun)
		}
	}
	close(jobs)
	wg.Wait()
}

// fixed makes exactly Count attempts over Conns connections, closed loop,
// as fast as the server answers.
func (w *worker) fixed(ctx context.Context) {
	s := &w.s
	var next atomic.Int64
	var wg sync.WaitGroup
	exp := w.expiry()
	for range s.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, answerBufBytes)
			req := make([]byte, 0, 512)
			for ctx.Err() == nil {
				k := next.Add(1) - 1
				if k >= s.Count {
					return
				}
				uid := w.uidAt(k)
				req = appendRequest(req[:0], s, w.skuOf(uid), uid, exp)
				w.attempt(ctx, req, buf, time.Now().UnixNano())
			}
		}()
	}
	wg.Wait()
}
