package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// fsyncRecord is the disk's sync latency, measured next to the durable-wins
// row: a durable win cannot be answered faster than its fsync, so that row
// means little without this one.
type fsyncRecord struct {
	Label   string  `json:"label"`
	Time    string  `json:"time"`
	LoadAvg string  `json:"loadavg"`
	Syncs   int     `json:"syncs"`
	P50Ms   float64 `json:"p50_ms"`
	P99Ms   float64 `json:"p99_ms"`
	MaxMs   float64 `json:"max_ms"`
}

// fsyncProbe appends 4 KiB and fdatasyncs, n times, in a file under -dir
// (on the disk the store would use), and reports the latencies.
func fsyncProbe(args []string) error {
	fs := flag.NewFlagSet("fsync", flag.ExitOnError)
	dir := fs.String("dir", os.TempDir(), "`directory` on the disk to probe")
	n := fs.Int("n", 500, "syncs")
	label := fs.String("label", "fsync", "row label")
	appendOut := fs.String("append", "", "append the JSON record to `file`")
	fs.Parse(args)
	f, err := os.CreateTemp(*dir, "seckill-fsync-probe-")
	if err != nil {
		return fmt.Errorf("seckill-bench: fsync probe: %w", err)
	}
	defer os.Remove(filepath.Clean(f.Name()))
	defer f.Close()
	block := make([]byte, 4096)
	lat := make([]time.Duration, 0, *n)
	for range *n {
		if _, err := f.Write(block); err != nil {
			return fmt.Errorf("seckill-bench: fsync probe: %w", err)
		}
		t0 := time.Now()
		if err := f.Sync(); err != nil {
			return fmt.Errorf("seckill-bench: fsync probe: %w", err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	rec := fsyncRecord{Label: *label, Time: time.Now().UTC().Format(time.RFC3339), LoadAvg: loadAvg(), Syncs: *n,
		P50Ms: ms(lat[len(lat)/2]), P99Ms: ms(lat[(len(lat)*99+99)/100-1]), MaxMs: ms(lat[len(lat)-1])}
	fmt.Printf("%d syncs of 4 KiB appends in %s: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", rec.Syncs, *dir, rec.P50Ms, rec.P99Ms, rec.MaxMs)
	if *appendOut != "" {
		return appendJSON(*appendOut, rec)
	}
	return nil
}
