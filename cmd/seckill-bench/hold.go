package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"seckill/bench"
)

// holdFigures is what holding connections cost: the server's RSS (all its
// pids) and Go heap before and while holding, the kernel's slab and socket
// buffer memory (machine-wide, so both ends of each loopback connection),
// and the GC work done while nothing but holding happened.
type holdFigures struct {
	Held           int64        `json:"held"`
	HoldSeconds    float64      `json:"hold_s"`
	RSSBefore      int64        `json:"rss_before"`
	RSSHeld        int64        `json:"rss_held"`
	RSSPerConn     float64      `json:"rss_per_conn"`
	HeapBefore     uint64       `json:"heap_inuse_before,omitempty"` // live, after a forced GC
	HeapHeld       uint64       `json:"heap_inuse_held,omitempty"`
	HeapPerConn    float64      `json:"heap_per_conn,omitempty"`
	StackHeld      uint64       `json:"stack_inuse_held,omitempty"`
	Goroutines     int          `json:"goroutines_held,omitempty"`
	GCsWhileHeld   uint32       `json:"gcs_while_held"`
	GCPauseHeldMs  float64      `json:"gc_pause_while_held_ms"`
	GCCPUFraction  float64      `json:"gc_cpu_fraction"`
	KernelBefore   bench.Kernel `json:"kernel_before"`
	KernelHeld     bench.Kernel `json:"kernel_held"`
	SlabPerPair    float64      `json:"slab_per_connection_pair"`
	SocketMemPair  float64      `json:"tcp_mem_per_connection_pair"`
	ServerCPUHeldS float64      `json:"server_cpu_while_held_s"`
	// SlabGrowth is the slab caches that grew most while the connections
	// were opened, in bytes per connection pair (root only).
	SlabGrowth []slabDelta `json:"slab_growth_per_pair,omitempty"`
}

type slabDelta struct {
	Cache   string  `json:"cache"`
	PerPair float64 `json:"bytes"`
}

// slabGrowth lists the caches that grew most between two samples.
func slabGrowth(before, after map[string]int64, pairs int64) []slabDelta {
	var out []slabDelta
	for name, b := range after {
		if d := b - before[name]; d > 0 && pairs > 0 {
			out = append(out, slabDelta{name, float64(d) / float64(pairs)})
		}
	}
	slices.SortFunc(out, func(a, b slabDelta) int { return cmp.Compare(b.PerPair, a.PerPair) })
	return out[:min(len(out), 10)]
}

func (h *holdFigures) writeText(w io.Writer) {
	fmt.Fprintf(w, "held %d connections for %.1fs\n", h.Held, h.HoldSeconds)
	fmt.Fprintf(w, "server rss: %s before, %s held = %.0f bytes per connection\n", mib(h.RSSBefore), mib(h.RSSHeld), h.RSSPerConn)
	if h.HeapHeld > 0 {
		fmt.Fprintf(w, "server go heap in use (live): %s before, %s held = %.0f bytes per connection; stacks %s, %d goroutines\n",
			mib(int64(h.HeapBefore)), mib(int64(h.HeapHeld)), h.HeapPerConn, mib(int64(h.StackHeld)), h.Goroutines)
		fmt.Fprintf(w, "server gc while held: %d cycles, %.2f ms paused, gc cpu fraction %.4f\n", h.GCsWhileHeld, h.GCPauseHeldMs, h.GCCPUFraction)
	}
	fmt.Fprintf(w, "server cpu while held: %.2fs\n", h.ServerCPUHeldS)
	fmt.Fprintf(w, "kernel: slab %s -> %s = %.0f bytes per connection pair (client+server socket); tcp mem %.0f bytes per pair; tcp sockets in use %d -> %d\n",
		mib(h.KernelBefore.SlabBytes), mib(h.KernelHeld.SlabBytes), h.SlabPerPair, h.SocketMemPair, h.KernelBefore.TCPInUse, h.KernelHeld.TCPInUse)
	for _, d := range h.SlabGrowth {
		fmt.Fprintf(w, "  slab %-20s %6.0f bytes per pair\n", d.Cache, d.PerPair)
	}
}

// runHold measures memory per waiting connection: sample, open and hold,
// let it settle, sample, hold on while watching GC, then release.
func runHold(ctx context.Context, f *loadFlags, pids []int, exe string) (*bench.Partial, *holdFigures, error) {
	if len(pids) == 0 {
		return nil, nil, fmt.Errorf("%w: hold needs -pid", errUsage)
	}
	h := &holdFigures{}
	var err error
	var ms0 *memStats
	if f.admin.addr != "" {
		if ms0, err = fetchMemStats(f.admin, true); err != nil {
			return nil, nil, err
		}
		h.HeapBefore = ms0.HeapInuse
	}
	if h.RSSBefore, err = bench.ReadRSS(pids); err != nil {
		return nil, nil, err
	}
	if h.KernelBefore, err = bench.ReadKernel(); err != nil {
		return nil, nil, err
	}
	slabs0, slabErr := bench.ReadSlabs() // absent without root: the totals remain
	held := make(chan int64, 1)
	release := make(chan struct{})
	type outcome struct {
		p   *bench.Partial
		err error
	}
	out := make(chan outcome, 1)
	started := time.Now()
	go func() {
		p, err := bench.RunProcs(ctx, f.spec, f.procs, exe, []string{"worker"}, bench.Events{
			Progress: progressPrinter(started),
			Held:     func(n int64) { held <- n },
			Release:  release,
		})
		out <- outcome{p, err}
	}()
	var o outcome
	select {
	case h.Held = <-held:
	case o = <-out:
		return nil, nil, fmt.Errorf("seckill-bench: hold ended before every connection was open: %w", o.err)
	}
	heldAt := time.Now()
	fmt.Fprintf(os.Stderr, "\nholding %d connections; settling %s\n", h.Held, f.settle)
	time.Sleep(f.settle)
	cpu0, err := bench.ReadCPU(pids)
	if err != nil {
		return nil, nil, err
	}
	var msHeld *memStats
	if f.admin.addr != "" {
		if msHeld, err = fetchMemStats(f.admin, false); err != nil {
			return nil, nil, err
		}
	}
	if h.RSSHeld, err = bench.ReadRSS(pids); err != nil {
		return nil, nil, err
	}
	if h.KernelHeld, err = bench.ReadKernel(); err != nil {
		return nil, nil, err
	}
	if slabs1, err := bench.ReadSlabs(); err == nil && slabErr == nil {
		h.SlabGrowth = slabGrowth(slabs0, slabs1, h.Held)
	}
	if rest := f.holdFor - time.Since(heldAt); rest > 0 {
		time.Sleep(rest)
	}
	cpu1, err := bench.ReadCPU(pids)
	if err != nil {
		return nil, nil, err
	}
	h.ServerCPUHeldS = cpu1.Sub(cpu0).Total()
	if f.admin.addr != "" {
		ms1, err := fetchMemStats(f.admin, false)
		if err != nil {
			return nil, nil, err
		}
		h.GCsWhileHeld = ms1.NumGC - msHeld.NumGC
		h.GCPauseHeldMs = float64(ms1.PauseTotalNs-msHeld.PauseTotalNs) / 1e6
		h.GCCPUFraction = ms1.GCCPUFraction
		live, err := fetchMemStats(f.admin, true)
		if err != nil {
			return nil, nil, err
		}
		h.HeapHeld, h.StackHeld, h.Goroutines = live.HeapInuse, live.StackInuse, live.Goroutines
		h.HeapPerConn = float64(int64(h.HeapHeld)-int64(h.HeapBefore)) / float64(h.Held)
	}
	h.HoldSeconds = time.Since(heldAt).Seconds()
	if h.Held > 0 {
		h.RSSPerConn = float64(h.RSSHeld-h.RSSBefore) / float64(h.Held)
		h.SlabPerPair = float64(h.KernelHeld.SlabBytes-h.KernelBefore.SlabBytes) / float64(h.Held)
		h.SocketMemPair = float64(h.KernelHeld.TCPMemBytes-h.KernelBefore.TCPMemBytes) / float64(h.Held)
	}
	fmt.Fprintf(os.Stderr, "releasing\n")
	close(release)
	o = <-out
	fmt.Fprintln(os.Stderr)
	return o.p, h, o.err
}
