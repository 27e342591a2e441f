package bench

import (
	"context"
	"os"
	"time"
)

// Events connect a running worker to whoever watches it.
type Events struct {
	// Progress receives the running totals about twice a second; nil = none.
	Progress func(Progress)
	// Held is called in hold mode once every connection is open and has
	// sent its partial head.
	Held func(held int64)
	// Release ends a hold: the worker then completes or closes the held
	// connections.
	Release <-chan struct{}
}

// progressEvery is how often a worker reports its totals.
const progressEvery = 500 * time.Millisecond

// answerBufBytes holds any answer the server sends (the largest, a win, is
// under 512 bytes) with room to spare for a peer like nginx.
const answerBufBytes = 4096

// worker is one process's share of a job.
type worker struct {
	s   Spec
	dl  *dialer
	rec *recorder
}

// Run performs s in this process and returns what it measured.
func Run(ctx context.Context, s Spec, ev Events) (*Partial, error) {
	s.Defaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	dl, err := newDialer(s.Addr, s.Sources, s.Timeout)
	if err != nil {
		return nil, err
	}
	w := &worker{s: s, dl: dl, rec: newRecorder(&s)}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if ev.Progress == nil {
			return
		}
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ev.Progress(w.rec.progress())
			}
		}
	}()
	self := []int{os.Getpid()}
	delay0, _ := ReadRunDelay(self)
	hiccupDone := make(chan struct{})
	go w.hiccups(stop, hiccupDone)
	switch s.Mode {
	case Burst:
		w.burst(ctx)
		if s.Verify {
			w.verify(ctx)
		}
	case Sustained:
		w.sustained(ctx)
	case Fixed:
		w.fixed(ctx)
	case Hold:
		w.hold(ctx, ev)
	}
	close(stop)
	<-done
	<-hiccupDone
	if delay1, err := ReadRunDelay(self); err == nil && delay0 > 0 {
		w.rec.p.RunDelayNanos = int64(delay1 - delay0)
	}
	if ev.Progress != nil {
		ev.Progress(w.rec.progress())
	}
	return w.rec.partial(), nil
}

// attempt makes one round trip and records it; begin is when the attempt
// was due, which in sustained mode may be earlier than now. Its time from
// the written request to the answer is recorded as well (SentLatency).
func (w *worker) attempt(ctx context.Context, req, buf []byte, begin int64) (answer, string) {
	w.rec.open.Add(1)
	a, ec, sent := roundTrip(ctx, w.dl, req, buf, w.s.Timeout)
	w.rec.open.Add(-1)
	end := time.Now().UnixNano()
	w.rec.record(begin, end, &a, ec)
	if ec == "" && sent > 0 {
		w.rec.recordSent(sent, end)
	}
	return a, ec
}

// uidAt is the uid of the k-th attempt when attempts cycle over Users.
func (w *worker) uidAt(k int64) uint64 { return w.s.UIDBase + uint64(k%int64(w.s.Users)) }

func (w *worker) skuOf(uid uint64) string { return w.s.SKUs[uid%uint64(len(w.s.SKUs))] }

func (w *worker) expiry() int64 { return time.Now().Add(w.s.TokenTTL).Unix() }

// sleepUntil waits until the unix-nanosecond deadline or ctx's end.
func sleepUntil(ctx context.Context, at int64) bool {
	d := time.Duration(at - time.Now().UnixNano())
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// hiccupTick is the sleep the hiccup meter measures against.
const hiccupTick = time.Millisecond

// hiccups records, until stop, how much later than asked a short sleep
// wakes: the generator's own stalls (scheduling, GC, a machine shared with
// other work), which inflate every latency measured meanwhile.
func (w *worker) hiccups(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	h := newLatencyHist()
	for {
		select {
		case <-stop:
			w.rec.mu.Lock()
			w.rec.p.Hiccups.Merge(h)
			w.rec.mu.Unlock()
			return
		default:
		}
		t0 := time.Now()
		time.Sleep(hiccupTick)
		late := time.Since(t0) - hiccupTick
		_ = h.RecordValue(min(max(late.Microseconds(), 1), latencyMaxMicros))
	}
}
