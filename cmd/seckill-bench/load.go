package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"seckill/bench"
)

// errUsage reports flags that do not describe a run.
var errUsage = errors.New("seckill-bench: usage")

// connsPerProc keeps each worker process well under the 20,000 descriptors
// it may hold, with room for the runtime's own.
const connsPerProc = 15_000

// loadFlags are the flags every load mode shares.
type loadFlags struct {
	spec       bench.Spec
	sources    string
	skus       string
	procs      int
	startIn    time.Duration
	warmup     int64
	quota      int64
	pids       string
	admin      adminAPI
	label      string
	jsonOut    string
	appendOut  string
	csvOut     string
	svgOut     string
	title      string
	holdFor    time.Duration
	settle     time.Duration
	secretFile string
}

func (f *loadFlags) register(fs *flag.FlagSet, mode bench.Mode) {
	s := &f.spec
	fs.StringVar(&s.Addr, "addr", "127.0.0.1:8080", "server `host:port`")
	fs.StringVar(&f.sources, "sources", "127.0.0.2-127.0.0.250", "source `addresses` to spread connections over (a-b ranges, commas); empty = the kernel's choice")
	fs.StringVar(&s.Secret, "secret", "", "HMAC `secret` to mint tokens with; empty sends uid= (auth none)")
	fs.StringVar(&f.secretFile, "secret-file", "", "read the HMAC secret from `file`")
	fs.StringVar(&s.Path, "path", "/buy", "request `path`")
	fs.StringVar(&f.skus, "skus", "phone-1", "SKUs, comma separated; `p{0..63}` expands to p0…p63")
	fs.Uint64Var(&s.UIDBase, "uid-base", 1, "first `uid`")
	fs.IntVar(&s.Users, "users", 1000, "distinct users (burst: each buys once; other modes: uids cycle over them)")
	fs.IntVar(&s.Conns, "conns", 256, "connections open at once, at most (hold: connections to hold)")
	fs.IntVar(&f.procs, "procs", 0, "worker processes; 0 = enough to keep each under 15,000 connections")
	fs.DurationVar(&s.Timeout, "timeout", 10*time.Second, "per attempt")
	fs.StringVar(&f.pids, "pid", "", "server `pids` (comma separated) to measure CPU and RSS of")
	fs.StringVar(&f.admin.addr, "admin", "", "server admin `host:port`, for Go heap and GC figures (/admin/memstats)")
	fs.StringVar(&f.admin.tokenFile, "admin-token-file", "", "the admin API's bearer token `file` (the server's [admin] token_file, or DATA_DIR/admin.token)")
	fs.StringVar(&f.label, "label", string(mode), "row label in the JSON record")
	fs.StringVar(&f.jsonOut, "json", "", "write the JSON record to `file`")
	fs.StringVar(&f.appendOut, "append", "", "append the JSON record as one line to `file`")
	switch mode {
	case bench.Burst:
		fs.DurationVar(&s.Duration, "duration", 60*time.Second, "deadline for every user to get a final answer")
		fs.DurationVar(&f.startIn, "start-in", 2*time.Second, "fire this long after start, so every worker is ready")
		fs.IntVar(&s.MaxAttempts, "max-attempts", 1000, "per user")
		fs.Float64Var(&s.RetryScale, "retry-scale", 1, "multiply the server's retry_ms by this before retrying busy")
		fs.BoolVar(&s.Verify, "verify", true, "look every win up with /result afterwards")
		fs.Int64Var(&f.quota, "quota", 0, "winners each SKU must end with (stock × quota_percent); 0 = do not check counts")
	case bench.Sustained:
		fs.Float64Var(&s.Rate, "rate", 1000, "attempts per second")
		fs.DurationVar(&s.Duration, "duration", 10*time.Second, "how long")
		fs.DurationVar(&f.startIn, "start-in", time.Second, "begin this long after start, so every worker is ready")
	case bench.Fixed:
		fs.Int64Var(&s.Count, "count", 100_000, "attempts")
		fs.Int64Var(&f.warmup, "warmup", 2000, "attempts before measuring")
	case bench.Hold:
		fs.DurationVar(&f.holdFor, "hold", 10*time.Second, "how long to hold once every connection is open")
		fs.DurationVar(&f.settle, "settle", 2*time.Second, "wait this long after the last connection opened before sampling memory")
		fs.BoolVar(&s.Complete, "complete", true, "on release, finish every request at once and read the answers")
	}
	if mode != bench.Fixed {
		fs.StringVar(&f.csvOut, "csv", "", "write the per-window time series to `file`")
		fs.StringVar(&f.svgOut, "svg", "", "plot the time series to `file`")
		fs.StringVar(&f.title, "title", "", "plot title")
	}
}

// prepare completes the spec from the flags.
func (f *loadFlags) prepare(mode bench.Mode) error {
	s := &f.spec
	s.Mode = mode
	var err error
	if s.Sources, err = bench.ParseSources(f.sources); err != nil {
		return err
	}
	if s.SKUs, err = expandSKUs(f.skus); err != nil {
		return err
	}
	if f.secretFile != "" {
		b, err := os.ReadFile(f.secretFile)
		if err != nil {
			return fmt.Errorf("%w: -secret-file: %v", errUsage, err)
		}
		s.Secret = strings.TrimSpace(string(b))
	}
	if mode == bench.Hold && s.Users < s.Conns {
		s.Users = s.Conns // one uid per held connection
	}
	if f.procs == 0 {
		f.procs = (s.Conns + connsPerProc - 1) / connsPerProc
	}
	if f.startIn > 0 {
		s.StartUnixNano = time.Now().Add(f.startIn).UnixNano()
	}
	s.Defaults()
	return s.Validate()
}

// record is one measured row, as a JSON line.
type record struct {
	Label   string `json:"label"`
	Time    string `json:"time"`
	LoadAvg string `json:"loadavg"`
	Procs   int    `json:"procs"`
	bench.Summary
	Server *serverFigures `json:"server,omitempty"`
	Hold   *holdFigures   `json:"hold,omitempty"`
}

func load(ctx context.Context, mode bench.Mode, args []string) error {
	fs := flag.NewFlagSet(string(mode), flag.ExitOnError)
	var f loadFlags
	f.register(fs, mode)
	fs.Parse(args)
	if err := f.prepare(mode); err != nil {
		return err
	}
	pids, err := parsePIDs(f.pids)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("seckill-bench: own executable: %w", err)
	}
	fmt.Fprintf(os.Stderr, "%s: %s, %d users, %d conns, %d skus, %d sources, %d worker process(es)\n",
		mode, f.spec.Addr, f.spec.Users, f.spec.Conns, len(f.spec.SKUs), len(f.spec.Sources), f.procs)
	if mode == bench.Fixed && f.warmup > 0 {
		w := f.spec
		w.Count, w.UIDBase = f.warmup, f.spec.UIDBase+uint64(f.spec.Users)
		if _, err := bench.RunProcs(ctx, w, 1, exe, []string{"worker"}, bench.Events{}); err != nil {
			return fmt.Errorf("seckill-bench: warm-up: %w", err)
		}
	}
	rec := &record{Label: f.label, Time: time.Now().UTC().Format(time.RFC3339), LoadAvg: loadAvg(), Procs: f.procs}
	var p *bench.Partial
	if mode == bench.Hold {
		p, rec.Hold, err = runHold(ctx, &f, pids, exe)
	} else {
		var smp *sampler
		if len(pids) > 0 {
			if smp, err = startSampler(pids, f.admin); err != nil {
				return err
			}
		}
		started := time.Now()
		p, err = bench.RunProcs(ctx, f.spec, f.procs, exe, []string{"worker"}, bench.Events{Progress: progressPrinter(started)})
		fmt.Fprintln(os.Stderr)
		if smp != nil {
			if rec.Server, err = smp.stop(err, p); err != nil {
				return err
			}
		}
	}
	if err != nil {
		return err
	}
	var checks []bench.Check
	if mode == bench.Burst {
		checks = bench.CheckSale(p, f.spec.SKUs, f.quota, bench.UsersPerSKU(f.spec.SKUs, f.spec.UIDBase, f.spec.Users), f.spec.Verify)
	}
	rec.Summary = bench.Summarize(p, checks)
	rec.Summary.WriteText(os.Stdout)
	if rec.Server != nil {
		rec.Server.writeText(os.Stdout)
	}
	if rec.Hold != nil {
		rec.Hold.writeText(os.Stdout)
	}
	if err := writeOutputs(&f, rec, p); err != nil {
		return err
	}
	if !rec.ChecksPass {
		return fmt.Errorf("%w: a correctness check failed", errUsage)
	}
	return nil
}

func writeOutputs(f *loadFlags, rec *record, p *bench.Partial) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("seckill-bench: encode record: %w", err)
	}
	if f.jsonOut != "" {
		if err := os.WriteFile(f.jsonOut, append(line, '\n'), 0o644); err != nil {
			return fmt.Errorf("seckill-bench: %w", err)
		}
	}
	if f.appendOut != "" {
		if err := appendJSON(f.appendOut, rec); err != nil {
			return err
		}
	}
	if f.csvOut == "" && f.svgOut == "" {
		return nil
	}
	rows := bench.Series(p, f.spec.Window)
	if f.csvOut != "" {
		fh, err := os.Create(f.csvOut)
		if err != nil {
			return fmt.Errorf("seckill-bench: %w", err)
		}
		err = bench.WriteSeriesCSV(fh, rows)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if f.svgOut != "" {
		fh, err := os.Create(f.svgOut)
		if err != nil {
			return fmt.Errorf("seckill-bench: %w", err)
		}
		err = bench.WriteSVG(fh, rows, f.title)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return nil
}

// progressPrinter shows the summed totals on one refreshed stderr line.
func progressPrinter(started time.Time) func(bench.Progress) {
	var last bench.Progress
	lastAt := started
	return func(p bench.Progress) {
		now := time.Now()
		rate := float64(p.Attempts-last.Attempts) / now.Sub(lastAt).Seconds()
		last, lastAt = p, now
		fmt.Fprintf(os.Stderr, "\r%6.1fs  attempts %d (%.0f/s)  won %d  busy %d  sold_out %d  no-answer %d  open %d  finished users %d   ",
			now.Sub(started).Seconds(), p.Attempts, rate, p.Results["won"], p.Results["busy"], p.Results["sold_out"], p.Errors, p.Open, p.Finals)
	}
}

// expandSKUs reads "a,b" and "p{0..63}" lists.
func expandSKUs(s string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		open := strings.Index(part, "{")
		if open < 0 {
			out = append(out, part)
			continue
		}
		var lo, hi int
		closeAt := strings.Index(part, "}")
		if closeAt < open {
			return nil, fmt.Errorf("%w: sku pattern %q", errUsage, part)
		}
		if _, err := fmt.Sscanf(part[open:closeAt+1], "{%d..%d}", &lo, &hi); err != nil || hi < lo || hi-lo > 1<<20 {
			return nil, fmt.Errorf("%w: sku pattern %q", errUsage, part)
		}
		for i := lo; i <= hi; i++ {
			out = append(out, fmt.Sprintf("%s%d%s", part[:open], i, part[closeAt+1:]))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no sku", errUsage)
	}
	return out, nil
}

func parsePIDs(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var pid int
		if _, err := fmt.Sscanf(part, "%d", &pid); err != nil || pid <= 0 {
			return nil, fmt.Errorf("%w: pid %q", errUsage, part)
		}
		out = append(out, pid)
	}
	return out, nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
