package bench

import (
	"sync"
	"sync/atomic"
	"time"
)

// recorder collects attempts from many goroutines into one Partial. A mutex
// is enough: it is held for a few hundred nanoseconds per attempt, far below
// the cost of the connection the attempt made.
type recorder struct {
	mu      sync.Mutex
	p       *Partial
	origin  int64 // unix nanoseconds of window 0
	window  int64
	windows map[int64]*Window
	open    atomic.Int64 // connections open now, for progress
}

func newRecorder(s *Spec) *recorder {
	origin := s.StartUnixNano
	if origin == 0 {
		origin = time.Now().UnixNano()
	}
	return &recorder{p: newPartial(s.Mode), origin: origin, window: int64(s.Window), windows: map[int64]*Window{}}
}

// record files one attempt that began at begin and ended at end (unix
// nanoseconds) with an answer, or with errClass when it got none.
func (r *recorder) record(begin, end int64, a *answer, errClass string) {
	micros := max((end-begin)/1e3, 1)
	idx := (end - r.origin) / r.window
	if end < r.origin {
		idx = -1 // finished before the series starts (a warm-up)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.p
	p.Attempts++
	if p.FirstUnixNano == 0 || begin < p.FirstUnixNano {
		p.FirstUnixNano = begin
	}
	p.LastUnixNano = max(p.LastUnixNano, end)
	w := r.windows[idx]
	if w == nil {
		w = &Window{Index: idx, Results: map[string]int64{}, Latency: &Hist{newWindowHist()}}
		r.windows[idx] = w
		p.Windows = append(p.Windows, w)
	}
	w.Attempts++
	if errClass != "" {
		p.Errors[errClass]++
		w.Errors++
		return
	}
	p.Results[a.result]++
	p.Statuses[a.status]++
	w.Results[a.result]++
	_ = p.Latency.RecordValue(min(micros, latencyMaxMicros))
	if a.result == "won" {
		_ = p.WonLatency.RecordValue(min(micros, latencyMaxMicros))
	}
	_ = w.Latency.RecordValue(min(micros, latencyMaxMicros))
}

// recordSent files the time from an answered attempt's written request to
// its answer (unix nanoseconds).
func (r *recorder) recordSent(sent, end int64) {
	micros := max((end-sent)/1e3, 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.p.SentLatency.RecordValue(min(micros, latencyMaxMicros))
}

// final files a burst user's last answer.
func (r *recorder) final(sku string, uid uint64, a *answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.p.Finals[a.result]++
	if a.isWin() {
		r.p.Wins = append(r.p.Wins, Win{SKU: sku, UID: uid, Seq: a.seq, Ticket: a.ticket})
	}
}

func (r *recorder) unfinished() {
	r.mu.Lock()
	r.p.Unfinished++
	r.mu.Unlock()
}

// Progress is a worker's running total.
type Progress struct {
	Attempts int64            `json:"attempts"`
	Results  map[string]int64 `json:"results"`
	Errors   int64            `json:"errors"`
	Open     int64            `json:"open"`
	Held     int64            `json:"held,omitempty"`
	Finals   int64            `json:"finals,omitempty"`
}

func (r *recorder) progress() Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	var finals int64
	for _, v := range r.p.Finals {
		finals += v
	}
	return Progress{
		Attempts: r.p.Attempts,
		Results:  cloneCounts(r.p.Results),
		Errors:   r.p.ErrorCount(),
		Open:     r.open.Load(),
		Held:     r.p.Held,
		Finals:   finals,
	}
}

// partial returns the result; the recorder must not be used afterwards.
func (r *recorder) partial() *Partial {
	r.mu.Lock()
	defer r.mu.Unlock()
	sortWindows(r.p.Windows)
	return r.p
}
