package observe

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"seckill/internal/live/meter"
)

// historyLen is how many seconds of per-second figures the dashboard's
// charts show: two minutes covers a flash sale's opening burst and its tail.
const historyLen = 120

// Point is one second of the sale, for the dashboard's charts.
type Point struct {
	UnixMs      int64              `json:"t"`
	Attempts    map[string]float64 `json:"attempts"` // per second, by result; zero results left out
	WinsPerSec  float64            `json:"wins"`
	P50WonMs    float64            `json:"p50_ms"`
	P99WonMs    float64            `json:"p99_ms"`
	Open        int64              `json:"open"`
	Refused     float64            `json:"refused"` // per second
	QueueDepth  int64              `json:"queue"`
	PushBacklog uint64             `json:"push_backlog"`
}

// Watcher samples the engine once a second: it keeps the last two minutes
// for the dashboard and logs one summary line for each second in which
// attempts arrived, and nothing while the sale is idle.
type Watcher struct {
	src *Source
	log *slog.Logger

	mu      sync.Mutex
	last    *Sample
	history []Point // oldest first, at most historyLen
}

// NewWatcher returns a watcher over src logging to log.
func NewWatcher(src *Source, log *slog.Logger) *Watcher {
	return &Watcher{src: src, log: log}
}

// Run samples every second until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	w.tick(time.Now())
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			w.tick(now)
		}
	}
}

func (w *Watcher) tick(now time.Time) {
	s := w.src.Take(now)
	w.mu.Lock()
	prev := w.last
	w.last = s
	if prev == nil {
		w.mu.Unlock()
		return
	}
	win := s.Since(prev)
	p := pointOf(s, prev, &win)
	if len(w.history) == historyLen {
		copy(w.history, w.history[1:])
		w.history = w.history[:historyLen-1]
	}
	w.history = append(w.history, p)
	w.mu.Unlock()
	if win.Total() > 0 {
		w.summarize(s, &win, &p)
	}
}

func pointOf(s, prev *Sample, win *Window) Point {
	p := Point{
		UnixMs:      s.At.UnixMilli(),
		Attempts:    map[string]float64{},
		WinsPerSec:  perSec(win.Wins(), win.Seconds),
		P50WonMs:    win.Won.Quantile(0.50) / 1e6,
		P99WonMs:    win.Won.Quantile(0.99) / 1e6,
		Open:        s.Open,
		Refused:     perSec(uint64(max(0, s.Refused-prev.Refused)), win.Seconds),
		PushBacklog: s.PushBacklog,
	}
	for _, res := range meter.AllResults {
		if n := win.Attempts[res]; n > 0 {
			p.Attempts[res.String()] = perSec(n, win.Seconds)
		}
	}
	for i := range s.Routes {
		p.QueueDepth += int64(s.Routes[i].Queue)
	}
	return p
}

func perSec(n uint64, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return float64(n) / seconds
}

// summarize logs the second that ended at s: attempts, wins, the won
// latency's median and 99th percentile, and the count of each result seen.
func (w *Watcher) summarize(s *Sample, win *Window, p *Point) {
	results := make([]any, 0, len(meter.AllResults))
	for _, res := range meter.AllResults {
		if n := win.Attempts[res]; n > 0 {
			results = append(results, slog.Uint64(res.String(), n))
		}
	}
	w.log.Info("sale",
		"attempts", win.Total(),
		"won", win.Wins(),
		"p50_won_ms", round2(p.P50WonMs),
		"p99_won_ms", round2(p.P99WonMs),
		slog.Group("results", results...),
		"open", s.Open,
		"queued", p.QueueDepth,
	)
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// Latest returns the last sample and the history, oldest first.
func (w *Watcher) Latest() (*Sample, []Point) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last, append([]Point(nil), w.history...)
}
