package admin

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
)

// debugRoutes adds the process's own diagnostics to the admin mux: Go's
// profiler under /debug/pprof (the operator's private port is the only
// place it may be exposed) and /admin/memstats, what the benchmarks read to
// measure memory per held connection and GC behaviour.
func debugRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /admin/memstats", params(nil, "gc?", memstats))
}

// memStats is the subset of runtime.MemStats and /proc/self/status that
// tells where the process's memory is.
type memStats struct {
	HeapAlloc     uint64  `json:"heap_alloc"`
	HeapInuse     uint64  `json:"heap_inuse"`
	HeapSys       uint64  `json:"heap_sys"`
	StackInuse    uint64  `json:"stack_inuse"`
	Sys           uint64  `json:"sys"`
	NextGC        uint64  `json:"next_gc"` // the heap size the next GC starts at
	TotalAlloc    uint64  `json:"total_alloc"`
	Mallocs       uint64  `json:"mallocs"`
	NumGC         uint32  `json:"num_gc"`
	PauseTotalNs  uint64  `json:"pause_total_ns"`
	GCCPUFraction float64 `json:"gc_cpu_fraction"`
	Goroutines    int     `json:"goroutines"`
	VmRSSBytes    int64   `json:"vm_rss_bytes"`
	VmHWMBytes    int64   `json:"vm_hwm_bytes"`
}

// memstats answers the current memory figures. ?gc=1 collects first and
// returns the freed pages to the OS, so that the heap figures count live
// objects only and the resident set does not carry garbage an earlier
// phase (the start-up's reservation load) left: a benchmark that compares
// two RSS samples (bench hold) would otherwise see it freed in between.
func memstats(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("gc") == "1" {
		debug.FreeOSMemory()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	out := memStats{
		HeapAlloc:     m.HeapAlloc,
		HeapInuse:     m.HeapInuse,
		HeapSys:       m.HeapSys,
		StackInuse:    m.StackInuse,
		Sys:           m.Sys,
		NextGC:        m.NextGC,
		TotalAlloc:    m.TotalAlloc,
		Mallocs:       m.Mallocs,
		NumGC:         m.NumGC,
		PauseTotalNs:  m.PauseTotalNs,
		GCCPUFraction: m.GCCPUFraction,
		Goroutines:    runtime.NumGoroutine(),
	}
	out.VmRSSBytes, out.VmHWMBytes = procStatus()
	writeJSON(w, http.StatusOK, out)
}

// procStatus reads the resident set and its peak from /proc/self/status;
// zero where the file is not there (not Linux).
func procStatus() (rss, hwm int64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			continue
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			continue
		}
		switch string(name) {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			hwm = kb << 10
		}
	}
	return rss, hwm
}
