package bench

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Summary is a run's headline figures, as written to a report's JSON.
type Summary struct {
	Mode        Mode             `json:"mode"`
	Attempts    int64            `json:"attempts"`
	Seconds     float64          `json:"seconds"` // first attempt began to last ended
	PerSecond   float64          `json:"attempts_per_s"`
	P50Micros   int64            `json:"p50_us"`
	P90Micros   int64            `json:"p90_us"`
	P99Micros   int64            `json:"p99_us"`
	P999Micros  int64            `json:"p999_us"`
	MaxMicros   int64            `json:"max_us"`
	WonP50      int64            `json:"won_p50_us"`
	WonP99      int64            `json:"won_p99_us"`
	WonMax      int64            `json:"won_max_us"`
	SentP99     int64            `json:"sent_p99_us"` // from the written request to the answer
	SentMax     int64            `json:"sent_max_us"`
	HiccupP99   int64            `json:"hiccup_p99_us"`
	HiccupMax   int64            `json:"hiccup_max_us"`
	RunDelayS   float64          `json:"generator_run_delay_s"`
	BurstCPUS   float64          `json:"generator_cpu_s,omitempty"`
	Results     map[string]int64 `json:"results"`
	Errors      map[string]int64 `json:"errors"`
	Finals      map[string]int64 `json:"finals,omitempty"`
	Wins        int              `json:"wins"`
	Unfinished  int64            `json:"unfinished,omitempty"`
	Held        int64            `json:"held,omitempty"`
	HoldFailed  int64            `json:"hold_failed,omitempty"`
	Checks      []Check          `json:"checks,omitempty"`
	ChecksPass  bool             `json:"checks_pass"`
	ExtraFields map[string]any   `json:"extra,omitempty"`
}

// Summarize reduces a Partial to its headline figures.
func Summarize(p *Partial, checks []Check) Summary {
	s := Summary{
		Mode: p.Mode, Attempts: p.Attempts, Results: p.Results, Errors: p.Errors, Finals: p.Finals,
		Wins: len(p.Wins), Unfinished: p.Unfinished, Held: p.Held, HoldFailed: p.HoldFailed,
		Checks: checks, ChecksPass: true,
	}
	if p.LastUnixNano > p.FirstUnixNano {
		s.Seconds = float64(p.LastUnixNano-p.FirstUnixNano) / 1e9
		s.PerSecond = float64(p.Attempts) / s.Seconds
	}
	h := p.Latency
	s.P50Micros = h.ValueAtQuantile(50)
	s.P90Micros = h.ValueAtQuantile(90)
	s.P99Micros = h.ValueAtQuantile(99)
	s.P999Micros = h.ValueAtQuantile(99.9)
	s.MaxMicros = h.Max()
	s.RunDelayS = float64(p.RunDelayNanos) / 1e9
	s.BurstCPUS = float64(p.BurstCPUNanos) / 1e9
	if h := p.Hiccups; h != nil && h.TotalCount() > 0 {
		s.HiccupP99, s.HiccupMax = h.ValueAtQuantile(99), h.Max()
	}
	if w := p.WonLatency; w != nil && w.TotalCount() > 0 {
		s.WonP50, s.WonP99, s.WonMax = w.ValueAtQuantile(50), w.ValueAtQuantile(99), w.Max()
	}
	if h := p.SentLatency; h != nil && h.TotalCount() > 0 {
		s.SentP99, s.SentMax = h.ValueAtQuantile(99), h.Max()
	}
	for _, c := range checks {
		s.ChecksPass = s.ChecksPass && c.OK
	}
	return s
}

// WriteText prints a summary for people.
func (s *Summary) WriteText(w io.Writer) {
	fmt.Fprintf(w, "mode %s: %d attempts in %.2fs = %.0f attempts/s\n", s.Mode, s.Attempts, s.Seconds, s.PerSecond)
	fmt.Fprintf(w, "latency: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
		micros(s.P50Micros), micros(s.P90Micros), micros(s.P99Micros), micros(s.P999Micros), micros(s.MaxMicros))
	if s.SentMax > 0 {
		fmt.Fprintf(w, "from the written request: p99 %s  max %s\n", micros(s.SentP99), micros(s.SentMax))
	}
	if s.WonMax > 0 {
		fmt.Fprintf(w, "won latency: p50 %s  p99 %s  max %s\n", micros(s.WonP50), micros(s.WonP99), micros(s.WonMax))
	}
	fmt.Fprintf(w, "generator hiccups (1 ms sleep woke late by): p99 %s  max %s; generator waited %.2fs for a CPU\n", micros(s.HiccupP99), micros(s.HiccupMax), s.RunDelayS)
	if s.BurstCPUS > 0 {
		fmt.Fprintf(w, "generator cpu during the burst: %.2fs (%.0f%% of the burst's wall time)\n", s.BurstCPUS, 100*s.BurstCPUS/s.Seconds)
	}
	fmt.Fprintf(w, "results: %s\n", counts(s.Results))
	if len(s.Errors) > 0 {
		fmt.Fprintf(w, "no answer: %s\n", counts(s.Errors))
	}
	if len(s.Finals) > 0 {
		fmt.Fprintf(w, "final answer per user: %s; unfinished %d\n", counts(s.Finals), s.Unfinished)
	}
	if s.Held > 0 || s.HoldFailed > 0 {
		fmt.Fprintf(w, "held %d connections (%d could not be opened)\n", s.Held, s.HoldFailed)
	}
	for _, c := range s.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "check %s %s: %s\n", mark, c.Name, c.Detail)
	}
}

func micros(us int64) string { return time.Duration(us * 1e3).String() }

func counts(m map[string]int64) string {
	keys := slices.Sorted(maps.Keys(m))
	out := ""
	for _, k := range keys {
		if out != "" {
			out += ", "
		}
		out += fmt.Sprintf("%s %d", k, m[k])
	}
	return out
}

// SeriesRow is one window of the time series.
type SeriesRow struct {
	Seconds   float64 // window start, since the run's origin
	PerSecond float64 // attempts completed per second in the window
	WonPerSec float64
	ErrPerSec float64
	P50Ms     float64
	P99Ms     float64
	MaxMs     float64
}

// Series turns a Partial's windows into rows, filling empty windows with
// zeros so the time axis has no holes.
func Series(p *Partial, window time.Duration) []SeriesRow {
	var rows []SeriesRow
	perSec := float64(time.Second) / float64(window)
	next := int64(0)
	for _, w := range p.Windows {
		if w.Index < 0 {
			continue
		}
		for ; next < w.Index; next++ {
			rows = append(rows, SeriesRow{Seconds: float64(next) * window.Seconds()})
		}
		next = w.Index + 1
		r := SeriesRow{
			Seconds:   float64(w.Index) * window.Seconds(),
			PerSecond: float64(w.Attempts) * perSec,
			WonPerSec: float64(w.Results["won"]) * perSec,
			ErrPerSec: float64(w.Errors) * perSec,
		}
		if w.Latency.TotalCount() > 0 {
			r.P50Ms = float64(w.Latency.ValueAtQuantile(50)) / 1e3
			r.P99Ms = float64(w.Latency.ValueAtQuantile(99)) / 1e3
			r.MaxMs = float64(w.Latency.Max()) / 1e3
		}
		rows = append(rows, r)
	}
	return rows
}

// seriesHeader names the CSV columns.
var seriesHeader = []string{"t_s", "attempts_per_s", "won_per_s", "errors_per_s", "p50_ms", "p99_ms", "max_ms"}

// WriteSeriesCSV writes rows as CSV.
func WriteSeriesCSV(w io.Writer, rows []SeriesRow) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(seriesHeader)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	for _, r := range rows {
		_ = cw.Write([]string{f(r.Seconds), f(r.PerSecond), f(r.WonPerSec), f(r.ErrPerSec), f(r.P50Ms), f(r.P99Ms), f(r.MaxMs)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("bench: write series: %w", err)
	}
	return nil
}

// ReadSeriesCSV reads what WriteSeriesCSV wrote.
func ReadSeriesCSV(r io.Reader) ([]SeriesRow, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("bench: read series: %w", err)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], seriesHeader) {
		return nil, fmt.Errorf("%w: series CSV header is not %v", ErrSpec, seriesHeader)
	}
	rows := make([]SeriesRow, 0, len(recs)-1)
	for i, rec := range recs[1:] {
		var v [7]float64
		for j := range v {
			if v[j], err = strconv.ParseFloat(rec[j], 64); err != nil {
				return nil, fmt.Errorf("%w: series row %d column %s: %v", ErrSpec, i+1, seriesHeader[j], err)
			}
		}
		rows = append(rows, SeriesRow{v[0], v[1], v[2], v[3], v[4], v[5], v[6]})
	}
	return rows, nil
}
