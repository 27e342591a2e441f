package bench

import (
	"encoding/base64"
	"fmt"
	"maps"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in microseconds, from 1 µs to a minute: every
// attempt fits, and 3 significant digits keep percentiles within 0.1 %.
// A window's histogram uses 2 digits, which is plenty for a plot and keeps
// hundreds of windows small.
const (
	latencyMaxMicros = 60_000_000
	latencyDigits    = 3
	windowDigits     = 2
)

func newLatencyHist() *hdr.Histogram { return hdr.New(1, latencyMaxMicros, latencyDigits) }
func newWindowHist() *hdr.Histogram  { return hdr.New(1, latencyMaxMicros, windowDigits) }

// Win is one winner as the responses told it.
type Win struct {
	SKU    string `json:"sku"`
	UID    uint64 `json:"uid"`
	Seq    uint64 `json:"seq"`
	Ticket string `json:"ticket"`
}

// Window is one slice of the time series: what completed in it.
type Window struct {
	Index    int64            `json:"i"` // window number since StartUnixNano
	Attempts int64            `json:"attempts"`
	Results  map[string]int64 `json:"results,omitempty"`
	Errors   int64            `json:"errors,omitempty"`
	Latency  *Hist            `json:"latency"`
}

// Hist is an HDR histogram that travels as JSON in HdrHistogram's
// compressed V2 encoding.
type Hist struct{ *hdr.Histogram }

// MarshalJSON encodes the histogram.
func (h Hist) MarshalJSON() ([]byte, error) {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("bench: encode histogram: %w", err)
	}
	return []byte(`"` + base64.StdEncoding.EncodeToString(b) + `"`), nil
}

// UnmarshalJSON decodes the histogram.
func (h *Hist) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("%w: histogram is not a string", ErrSpec)
	}
	raw, err := base64.StdEncoding.DecodeString(string(b[1 : len(b)-1]))
	if err != nil {
		return fmt.Errorf("bench: decode histogram: %w", err)
	}
	hh, err := hdr.Decode(raw)
	if err != nil {
		return fmt.Errorf("bench: decode histogram: %w", err)
	}
	h.Histogram = hh
	return nil
}

// Partial is what one worker measured; Merge adds others to it.
type Partial struct {
	Mode     Mode             `json:"mode"`
	Attempts int64            `json:"attempts"` // answered or failed
	Results  map[string]int64 `json:"results"`  // answers by result
	Statuses map[int]int64    `json:"statuses"` // answers by HTTP status
	Errors   map[string]int64 `json:"errors"`   // attempts without an answer, by class
	Latency  *Hist            `json:"latency"`  // every answered attempt
	// WonLatency is the latency of won answers alone: a win waits for its
	// fsync, every other answer does not.
	WonLatency *Hist `json:"won_latency"`
	// SentLatency runs from the moment the request was written to the
	// answer: what the server and the kernel took, without the time the
	// attempt waited in this generator (to be scheduled, or to connect)
	// that Latency counts from when it was due.
	SentLatency *Hist `json:"sent_latency"`
	// Hiccups is how late a 1 ms sleep in the generator woke, again and
	// again through the run: when the machine stalls the generator, its
	// latencies grow by as much, and this shows it was not the server.
	Hiccups *Hist     `json:"hiccups"`
	Windows []*Window `json:"windows"`

	// Burst: every user's final answer, users that never got one, wins.
	Finals     map[string]int64 `json:"finals,omitempty"`
	Unfinished int64            `json:"unfinished,omitempty"`
	Wins       []Win            `json:"wins,omitempty"`
	// Verify: wins looked up with /result, and those that did not match.
	Verified   int64    `json:"verified,omitempty"`
	Mismatched int64    `json:"mismatched,omitempty"`
	Mismatches []string `json:"mismatches,omitempty"`

	// Hold: connections held, and the ones that could not be opened.
	Held       int64 `json:"held,omitempty"`
	HoldFailed int64 `json:"hold_failed,omitempty"`

	// RunDelayNanos is how long the generator's threads waited for a CPU
	// while runnable (schedstat), summed over worker processes.
	RunDelayNanos int64 `json:"run_delay_ns"`
	// BurstCPUNanos is the generator's own CPU (utime+stime) from the
	// burst's start to its last answer, summed over worker processes: set
	// next to the server's, it shows which side bounded the attempts/s.
	BurstCPUNanos int64 `json:"burst_cpu_ns,omitempty"`

	FirstUnixNano int64 `json:"first_unix_nano"` // first attempt began
	LastUnixNano  int64 `json:"last_unix_nano"`  // last attempt ended
}

func newPartial(m Mode) *Partial {
	return &Partial{
		Mode:        m,
		Results:     map[string]int64{},
		Statuses:    map[int]int64{},
		Errors:      map[string]int64{},
		Finals:      map[string]int64{},
		Latency:     &Hist{newLatencyHist()},
		WonLatency:  &Hist{newLatencyHist()},
		SentLatency: &Hist{newLatencyHist()},
		Hiccups:     &Hist{newLatencyHist()},
	}
}

// maxMismatches bounds the examples a report carries.
const maxMismatches = 10

// Merge adds o's counts, histograms, windows and wins to p.
func (p *Partial) Merge(o *Partial) {
	p.Attempts += o.Attempts
	addCounts(p.Results, o.Results)
	addCounts(p.Errors, o.Errors)
	addCounts(p.Finals, o.Finals)
	for k, v := range o.Statuses {
		p.Statuses[k] += v
	}
	p.Latency.Merge(o.Latency.Histogram)
	if o.WonLatency != nil {
		p.WonLatency.Merge(o.WonLatency.Histogram)
	}
	if o.SentLatency != nil {
		p.SentLatency.Merge(o.SentLatency.Histogram)
	}
	if o.Hiccups != nil {
		p.Hiccups.Merge(o.Hiccups.Histogram)
	}
	byIndex := map[int64]*Window{}
	for _, w := range p.Windows {
		byIndex[w.Index] = w
	}
	for _, w := range o.Windows {
		mine, ok := byIndex[w.Index]
		if !ok {
			mine = &Window{Index: w.Index, Results: map[string]int64{}, Latency: &Hist{newWindowHist()}}
			byIndex[w.Index] = mine
			p.Windows = append(p.Windows, mine)
		}
		mine.Attempts += w.Attempts
		mine.Errors += w.Errors
		if mine.Results == nil {
			mine.Results = map[string]int64{}
		}
		addCounts(mine.Results, w.Results)
		mine.Latency.Merge(w.Latency.Histogram)
	}
	sortWindows(p.Windows)
	p.Unfinished += o.Unfinished
	p.Wins = append(p.Wins, o.Wins...)
	p.Verified += o.Verified
	p.Mismatched += o.Mismatched
	for _, m := range o.Mismatches {
		if len(p.Mismatches) < maxMismatches {
			p.Mismatches = append(p.Mismatches, m)
		}
	}
	p.Held += o.Held
	p.RunDelayNanos += o.RunDelayNanos
	p.BurstCPUNanos += o.BurstCPUNanos
	p.HoldFailed += o.HoldFailed
	if p.FirstUnixNano == 0 || (o.FirstUnixNano != 0 && o.FirstUnixNano < p.FirstUnixNano) {
		p.FirstUnixNano = o.FirstUnixNano
	}
	p.LastUnixNano = max(p.LastUnixNano, o.LastUnixNano)
}

func addCounts(dst, src map[string]int64) {
	for k, v := range src {
		dst[k] += v
	}
}

func sortWindows(ws []*Window) {
	for i := 1; i < len(ws); i++ {
		for j := i; j > 0 && ws[j].Index < ws[j-1].Index; j-- {
			ws[j], ws[j-1] = ws[j-1], ws[j]
		}
	}
}

// ErrorCount is the number of attempts that got no answer.
func (p *Partial) ErrorCount() int64 {
	var n int64
	for _, v := range p.Errors {
		n += v
	}
	return n
}

// clone copies the maps of a progress snapshot so the caller may keep it.
func cloneCounts(m map[string]int64) map[string]int64 { return maps.Clone(m) }
