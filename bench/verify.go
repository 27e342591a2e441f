package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// verify looks every win up again with /result, as a client whose /buy
// answer was lost would: the engine must return the same seq and ticket.
// These lookups are not counted as attempts.
func (w *worker) verify(ctx context.Context) {
	w.rec.mu.Lock()
	wins := append([]Win(nil), w.rec.p.Wins...)
	w.rec.mu.Unlock()
	spec := w.s
	spec.Path = "/result"
	var next atomic.Int64
	var verified, mismatched atomic.Int64
	var mu sync.Mutex
	var examples []string
	var wg sync.WaitGroup
	exp := w.expiry()
	for range min(w.s.Conns, 256) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, answerBufBytes)
			req := make([]byte, 0, 512)
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(len(wins)) {
					return
				}
				win := &wins[i]
				req = appendRequest(req[:0], &spec, win.SKU, win.UID, exp)
				a, ec, _ := roundTrip(ctx, w.dl, req, buf, w.s.Timeout)
				verified.Add(1)
				if ec == "" && a.result == "won" && a.seq == win.Seq && a.ticket == win.Ticket {
					continue
				}
				mismatched.Add(1)
				mu.Lock()
				if len(examples) < maxMismatches {
					examples = append(examples, fmt.Sprintf("sku %s uid %d: told seq %d ticket %s; /result said %s seq %d ticket %s %s",
						win.SKU, win.UID, win.Seq, win.Ticket, a.result, a.seq, a.ticket, ec))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	w.rec.mu.Lock()
	w.rec.p.Verified += verified.Load()
	w.rec.p.Mismatched += mismatched.Load()
	w.rec.p.Mismatches = append(w.rec.p.Mismatches, examples...)
	w.rec.mu.Unlock()
}
