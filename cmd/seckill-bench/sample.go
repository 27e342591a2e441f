package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"seckill/bench"
	"seckill/internal/app/adminclient"
	"seckill/internal/testkit/httpget"
)

// serverFigures is what the server process spent during a run, read from
// /proc (CPU from utime+stime, not wall time: the generator shares the
// machine) and, for a Go server, from its /admin/memstats.
type serverFigures struct {
	PIDs            []int   `json:"pids"`
	UserSec         float64 `json:"cpu_user_s"`
	SysSec          float64 `json:"cpu_sys_s"`
	CPUPerAttemptUS float64 `json:"cpu_us_per_attempt"`
	// CoreBusy is that CPU over the run's wall time (first attempt to last
	// answer): near 1 on a pinned single core, the server bounded the
	// attempts/s; well below, the generator or a stall did.
	CoreBusy        float64 `json:"core_busy,omitempty"`
	RSSBefore       int64   `json:"rss_before"`
	RSSMax          int64   `json:"rss_max"`
	RSSAfter        int64   `json:"rss_after"`
	GCs             uint32  `json:"gcs,omitempty"`
	GCPauseMs       float64 `json:"gc_pause_ms,omitempty"`
	HeapInuseBefore uint64  `json:"heap_inuse_before,omitempty"`
	HeapInuseAfter  uint64  `json:"heap_inuse_after,omitempty"`
	NextGCAfter     uint64  `json:"next_gc_after,omitempty"`
	// AllocBytesPerAttempt and MallocsPerAttempt are the Go heap
	// allocations of the whole server process divided by the attempts.
	AllocBytesPerAttempt float64 `json:"alloc_bytes_per_attempt,omitempty"`
	MallocsPerAttempt    float64 `json:"mallocs_per_attempt,omitempty"`
	// RSSTimeline is the RSS once a second through the run, to show
	// whether it levels off or keeps growing.
	RSSTimeline []int64 `json:"rss_timeline"`
	// RunDelayS is how long the server's threads waited for a CPU while
	// runnable: time the machine's other work took from it.
	RunDelayS float64 `json:"run_delay_s"`
	// RunDelayTimelineMs is that wait per second of the run, in
	// milliseconds, to line up with latency spikes in the series.
	RunDelayTimelineMs []float64 `json:"run_delay_timeline_ms"`
}

func (s *serverFigures) writeText(w io.Writer) {
	fmt.Fprintf(w, "server pids %v: cpu %.3fs user + %.3fs sys = %.2f µs per attempt (%.0f%% of the run's wall time); waited %.2fs for a CPU\n", s.PIDs, s.UserSec, s.SysSec, s.CPUPerAttemptUS, 100*s.CoreBusy, s.RunDelayS)
	fmt.Fprintf(w, "server rss: before %s, max %s, after %s\n", mib(s.RSSBefore), mib(s.RSSMax), mib(s.RSSAfter))
	if n := len(s.RSSTimeline); n >= 4 {
		fmt.Fprintf(w, "server rss by quarter of the run: %s, %s, %s, %s\n", mib(s.RSSTimeline[n/4-1]), mib(s.RSSTimeline[n/2-1]), mib(s.RSSTimeline[3*n/4-1]), mib(s.RSSTimeline[n-1]))
	}
	if s.GCs > 0 || s.HeapInuseBefore > 0 {
		fmt.Fprintf(w, "server go: %d GCs, %.1f ms paused; heap in use %s before, %s after (next GC at %s); %.0f bytes in %.2f allocations per attempt\n",
			s.GCs, s.GCPauseMs, mib(int64(s.HeapInuseBefore)), mib(int64(s.HeapInuseAfter)), mib(int64(s.NextGCAfter)), s.AllocBytesPerAttempt, s.MallocsPerAttempt)
	}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// memStats mirrors the admin API's /admin/memstats answer.
type memStats struct {
	HeapAlloc     uint64  `json:"heap_alloc"`
	HeapInuse     uint64  `json:"heap_inuse"`
	HeapSys       uint64  `json:"heap_sys"`
	StackInuse    uint64  `json:"stack_inuse"`
	Sys           uint64  `json:"sys"`
	NextGC        uint64  `json:"next_gc"`
	TotalAlloc    uint64  `json:"total_alloc"`
	Mallocs       uint64  `json:"mallocs"`
	NumGC         uint32  `json:"num_gc"`
	PauseTotalNs  uint64  `json:"pause_total_ns"`
	GCCPUFraction float64 `json:"gc_cpu_fraction"`
	Goroutines    int     `json:"goroutines"`
	VmRSSBytes    int64   `json:"vm_rss_bytes"`
}

// adminAPI is a Go server's admin API: its address and the file holding
// its bearer token, read at each request so that it follows a restart.
type adminAPI struct{ addr, tokenFile string }

// fetchMemStats asks a Go server's admin API; gc first collects garbage so
// the heap figures count live objects only.
func fetchMemStats(admin adminAPI, gc bool) (*memStats, error) {
	target := "/admin/memstats"
	if gc {
		target += "?gc=1"
	}
	token, err := adminclient.ReadToken(admin.tokenFile)
	if err != nil {
		return nil, fmt.Errorf("%w: -admin-token-file: %w", errUsage, err)
	}
	resp, err := httpget.GetWithHeaders(admin.addr, target, "Authorization: Bearer "+token+"\r\n", 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("seckill-bench: memstats: %w", err)
	}
	var m memStats
	if err := json.Unmarshal(resp.Body, &m); err != nil || resp.Status != 200 {
		return nil, fmt.Errorf("%w: memstats answered %d %q", errUsage, resp.Status, resp.Body)
	}
	return &m, nil
}

// rssPeriod is how often a sampler reads the server's RSS.
const rssPeriod = 100 * time.Millisecond

// sampler watches server processes during a run.
type sampler struct {
	pids     []int
	admin    adminAPI
	cpu0     bench.CPU
	delay0   time.Duration
	rss0     int64
	ms0      *memStats
	rssMax   atomic.Int64
	rssSec   []int64   // written by watch until done is closed
	delaySec []float64 // likewise
	stopc    chan struct{}
	done     chan struct{}
}

func startSampler(pids []int, admin adminAPI) (*sampler, error) {
	s := &sampler{pids: pids, admin: admin, stopc: make(chan struct{}), done: make(chan struct{})}
	var err error
	if admin.addr != "" {
		if s.ms0, err = fetchMemStats(admin, false); err != nil {
			return nil, err
		}
	}
	if s.rss0, err = bench.ReadRSS(pids); err != nil {
		return nil, err
	}
	s.rssMax.Store(s.rss0)
	if s.cpu0, err = bench.ReadCPU(pids); err != nil {
		return nil, err
	}
	if s.delay0, err = bench.ReadRunDelay(pids); err != nil {
		return nil, err
	}
	go s.watch()
	return s, nil
}

func (s *sampler) watch() {
	defer close(s.done)
	t := time.NewTicker(rssPeriod)
	defer t.Stop()
	lastDelay := s.delay0
	for n := 1; ; n++ {
		select {
		case <-s.stopc:
			return
		case <-t.C:
			rss, err := bench.ReadRSS(s.pids)
			if err != nil {
				continue
			}
			if rss > s.rssMax.Load() {
				s.rssMax.Store(rss)
			}
			if n%int(time.Second/rssPeriod) == 0 {
				s.rssSec = append(s.rssSec, rss)
				if d, err := bench.ReadRunDelay(s.pids); err == nil {
					s.delaySec = append(s.delaySec, float64(d-lastDelay)/1e6)
					lastDelay = d
				}
			}
		}
	}
}

// stop ends the watch and returns the figures for the run p measured.
func (s *sampler) stop(runErr error, p *bench.Partial) (*serverFigures, error) {
	cpu1, err := bench.ReadCPU(s.pids)
	delay1, derr := bench.ReadRunDelay(s.pids)
	close(s.stopc)
	<-s.done
	if err != nil {
		return nil, err
	}
	f := &serverFigures{PIDs: s.pids, RSSBefore: s.rss0, RSSMax: s.rssMax.Load(), RSSTimeline: s.rssSec, RunDelayTimelineMs: s.delaySec}
	if derr == nil {
		f.RunDelayS = (delay1 - s.delay0).Seconds()
	}
	d := cpu1.Sub(s.cpu0)
	f.UserSec, f.SysSec = d.UserSec, d.SysSec
	if runErr == nil && p != nil && p.Attempts > 0 {
		f.CPUPerAttemptUS = d.Total() / float64(p.Attempts) * 1e6
		if p.LastUnixNano > p.FirstUnixNano {
			f.CoreBusy = d.Total() / (float64(p.LastUnixNano-p.FirstUnixNano) / 1e9)
		}
	}
	if f.RSSAfter, err = bench.ReadRSS(s.pids); err != nil {
		return nil, err
	}
	f.RSSMax = max(f.RSSMax, f.RSSAfter)
	if s.ms0 != nil {
		ms1, err := fetchMemStats(s.admin, false)
		if err != nil {
			return nil, err
		}
		f.GCs = ms1.NumGC - s.ms0.NumGC
		f.GCPauseMs = float64(ms1.PauseTotalNs-s.ms0.PauseTotalNs) / 1e6
		f.HeapInuseBefore, f.HeapInuseAfter = s.ms0.HeapInuse, ms1.HeapInuse
		f.NextGCAfter = ms1.NextGC
		if p != nil && p.Attempts > 0 {
			f.AllocBytesPerAttempt = float64(ms1.TotalAlloc-s.ms0.TotalAlloc) / float64(p.Attempts)
			f.MallocsPerAttempt = float64(ms1.Mallocs-s.ms0.Mallocs) / float64(p.Attempts)
		}
	}
	return f, nil
}
