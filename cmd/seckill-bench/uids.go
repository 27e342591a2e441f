package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"time"

	"seckill/bench"
	"seckill/internal/live/uidset"
)

// uids generates a reservation file, or loads one the way the server does
// and reports how long it took and what memory the process needed.
func uids(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: uids gen|load", errUsage)
	}
	switch args[0] {
	case "gen":
		return uidsGen(args[1:])
	case "load":
		return uidsLoad(args[1:])
	}
	return fmt.Errorf("%w: uids gen|load, not %q", errUsage, args[0])
}

func uidsGen(args []string) error {
	fs := flag.NewFlagSet("uids gen", flag.ExitOnError)
	n := fs.Int("n", 10_000_000, "uids")
	out := fs.String("out", "", "`file` to write")
	seed := fs.Uint64("seed", 42, "random seed")
	fs.Parse(args)
	fh, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("seckill-bench: %w", err)
	}
	w := bufio.NewWriterSize(fh, 1<<20)
	rng := rand.New(rand.NewPCG(*seed, *seed))
	line := make([]byte, 0, 24)
	for range *n {
		// Random 64-bit uids: the worst case for a sorted set's locality.
		line = strconv.AppendUint(line[:0], rng.Uint64(), 10)
		w.Write(append(line, '\n'))
	}
	err = w.Flush()
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("seckill-bench: %w", err)
	}
	return nil
}

// uidsRecord is the reservation row.
type uidsRecord struct {
	Label        string  `json:"label"`
	Time         string  `json:"time"`
	LoadAvg      string  `json:"loadavg"`
	UIDs         int     `json:"uids"`
	Seconds      float64 `json:"seconds"`
	PeakRSS      int64   `json:"peak_rss"`      // VmHWM of this process after the load
	RSSBefore    int64   `json:"rss_before"`    // before it
	HeapRetained uint64  `json:"heap_inuse"`    // live heap after a GC, set kept
	BytesPerUID  float64 `json:"bytes_per_uid"` // retained heap per uid
}

func uidsLoad(args []string) error {
	fs := flag.NewFlagSet("uids load", flag.ExitOnError)
	file := fs.String("file", "", "reservation `file`")
	label := fs.String("label", "uids-load", "row label")
	appendOut := fs.String("append", "", "append the JSON record to `file`")
	fs.Parse(args)
	self := []int{os.Getpid()}
	rec := uidsRecord{Label: *label, Time: time.Now().UTC().Format(time.RFC3339), LoadAvg: loadAvg()}
	var err error
	if rec.RSSBefore, err = bench.ReadRSS(self); err != nil {
		return err
	}
	start := time.Now()
	set, err := uidset.LoadFile(*file)
	if err != nil {
		return err
	}
	rec.Seconds = time.Since(start).Seconds()
	rec.UIDs = set.Len()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	rec.HeapRetained = m.HeapInuse
	rec.BytesPerUID = float64(m.HeapInuse) / float64(set.Len())
	hwm, err := bench.ReadPeakRSS(self)
	if err != nil {
		return err
	}
	rec.PeakRSS = hwm
	runtime.KeepAlive(set)
	fmt.Printf("loaded %d uids in %.2fs; peak RSS %s (before %s); live heap %s = %.1f bytes/uid\n",
		rec.UIDs, rec.Seconds, mib(rec.PeakRSS), mib(rec.RSSBefore), mib(int64(rec.HeapRetained)), rec.BytesPerUID)
	if *appendOut != "" {
		return appendJSON(*appendOut, rec)
	}
	return nil
}
