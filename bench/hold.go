package bench

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// holdDialers is how many connections hold mode opens at once.
const holdDialers = 64

// hold opens Conns connections, sends each a request head without its
// final CRLF, reports Held, and waits for Release. Then it sends the CRLF
// on every connection at once — the second the sale opens — and records
// each answer's latency from that moment (Complete), or closes them all.
func (w *worker) hold(ctx context.Context, ev Events) {
	s := &w.s
	conns := make([]net.Conn, s.Conns)
	uids := make([]uint64, s.Conns)
	var next atomic.Int64
	var wg sync.WaitGroup
	exp := w.expiry()
	for range holdDialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := make([]byte, 0, 512)
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(len(conns)) {
					return
				}
				uid := w.uidAt(i)
				req = appendRequest(req[:0], s, w.skuOf(uid), uid, exp)
				c, err := w.dl.dial(ctx)
				if err == nil {
					if _, err = c.Write(req[:len(req)-2]); err != nil {
						c.Close()
					}
				}
				w.rec.mu.Lock()
				if err != nil {
					w.rec.p.HoldFailed++
				} else {
					conns[i], uids[i] = c, uid
					w.rec.p.Held++
					w.rec.open.Add(1)
				}
				w.rec.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ev.Held != nil {
		ev.Held(w.rec.progress().Held)
	}
	select {
	case <-ev.Release:
	case <-ctx.Done():
	}
	if !s.Complete || ctx.Err() != nil {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		return
	}
	release := time.Now().UnixNano()
	for i, c := range conns {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(s.Timeout))
			var a answer
			ec := ""
			if _, err := c.Write(headEnd[2:]); err != nil {
				ec = classify(err, errWrite)
			} else {
				buf := make([]byte, answerBufBytes)
				a, ec = readAnswer(c, buf)
			}
			w.rec.open.Add(-1)
			w.rec.record(release, time.Now().UnixNano(), &a, ec)
			if ec == "" {
				w.rec.final(w.skuOf(uids[i]), uids[i], &a)
			}
		}()
	}
	wg.Wait()
}
