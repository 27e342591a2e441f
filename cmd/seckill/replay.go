package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"seckill/internal/cluster"
	"seckill/replay"
	"seckill/wal"
)

// runReplay is `seckill replay -data DIR [-data DIR]... [-json] [-digest
// ACTIVITY=HEX]...`: it audits a store, or the stores of a cluster's nodes
// as one sale (several -data, or -cluster FILE), and returns the exit
// status: 0 when every check passes, 1 when one fails, a tail is truncated
// or the audit cannot run, 2 for a usage error.
func runReplay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dirs dirList
	fs.Var(&dirs, "data", "a store to audit: the engine's data_dir; repeat it (or give a comma-separated list) to audit the stores of a cluster's nodes as one sale")
	clusterPath := fs.String("cluster", "", "audit the data_dir of every node of this cluster `file` as one sale")
	asJSON := fs.Bool("json", false, "print the report as one JSON document")
	published := digestFlag{}
	fs.Var(published, "digest", "`ACTIVITY=HEX`: the digest published for an activity, to compare with the log's (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *clusterPath != "" {
		c, err := cluster.Load(*clusterPath, time.Now())
		if err != nil {
			fmt.Fprintf(stderr, "seckill replay: %v\n", err)
			return 1
		}
		dirs = append(dirs, c.DataDirs()...)
	}
	if len(dirs) == 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "seckill replay: usage: seckill replay {-data DIR [-data DIR]... | -cluster FILE} [-json] [-digest ACTIVITY=HEX]...")
		return 2
	}
	var (
		reports      []*replay.Report
		opened, took time.Duration
	)
	for _, dir := range dirs {
		opts := replay.Options{Published: published}
		if len(dirs) > 1 {
			opts.Published = nil // Combine compares them across the stores
		}
		rep, o, t, err := auditStore(dir, opts)
		if err != nil {
			fmt.Fprintf(stderr, "seckill replay: %v\n", err)
			return 1
		}
		reports, opened, took = append(reports, rep), opened+o, took+t
	}
	rep := reports[0]
	if len(reports) > 1 {
		rep = replay.Combine(reports, published, 0)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "seckill replay: %v\n", err)
			return 1
		}
	} else {
		printReport(stdout, rep)
		stores := "the store"
		if len(dirs) > 1 {
			stores = fmt.Sprintf("the %d stores", len(dirs))
		}
		fmt.Fprintf(stdout, "audited %d records in %s (%.0f records/s) after opening %s in %s\n",
			rep.Records, took.Round(time.Microsecond), float64(rep.Records)/took.Seconds(), stores, opened.Round(time.Microsecond))
	}
	if !rep.OK {
		return 1
	}
	return 0
}

// auditStore opens the store in dir read-only and audits it, returning how
// long the opening and the audit took.
func auditStore(dir string, opts replay.Options) (rep *replay.Report, opened, took time.Duration, err error) {
	opening := time.Now()
	log, err := wal.Open(dir, wal.Options{ReadOnly: true})
	if errors.Is(err, wal.ErrLocked) {
		return nil, 0, 0, fmt.Errorf("the engine is running on %s; stop it or audit a copy", dir)
	}
	if err != nil {
		return nil, 0, 0, err
	}
	defer log.Close()
	opened = time.Since(opening)
	start := time.Now()
	rep, err = replay.Audit(log, opts)
	return rep, opened, time.Since(start), err
}

// dirList collects -data: repeated, or comma-separated.
type dirList []string

func (d *dirList) String() string { return strings.Join(*d, ",") }

func (d *dirList) Set(v string) error {
	for dir := range strings.SplitSeq(v, ",") {
		if dir = strings.TrimSpace(dir); dir == "" {
			return fmt.Errorf("%q names an empty directory", v)
		}
		*d = append(*d, dir)
	}
	return nil
}

// printReport writes the human form: the per-SKU table, one line per check
// with its offending records indented, truncated tails, the config history,
// the changes made while serving (control records), digests, verdict.
func printReport(w io.Writer, rep *replay.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTIVITY\tSKU\tSTOCK\tQUOTA\tWINNERS\tFIRST WIN\tLAST WIN\tPEAK/S")
	for _, r := range rep.SKUs {
		first, last := "-", "-"
		if r.Winners > 0 {
			first, last = fmtUnixNano(r.FirstWinUnixNano), fmtUnixNano(r.LastWinUnixNano)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%d\n", r.Activity, r.SKU, r.Stock, r.Quota, r.Winners, first, last, r.PeakPerSec)
	}
	tw.Flush()
	fmt.Fprintln(w)
	failed := 0
	for _, c := range rep.Checks {
		if c.Pass {
			fmt.Fprintf(w, "PASS %s\n", c.Name)
			continue
		}
		failed++
		fmt.Fprintf(w, "FAIL %s: %d offending\n", c.Name, c.Offending)
		for _, o := range c.Records {
			fmt.Fprintf(w, "    %s\n", o)
		}
		if more := c.Offending - len(c.Records); more > 0 {
			fmt.Fprintf(w, "    ... and %d more\n", more)
		}
	}
	for _, t := range rep.TruncatedTails {
		what := fmt.Sprintf("the records after seq %d are missing; its head marker names seq %d", t.LastSeq, t.HeadSeq)
		if t.Partial {
			what = fmt.Sprintf("the record after seq %d is only partly written", t.LastSeq)
		}
		if t.Controls {
			what = fmt.Sprintf("the control records after control %d are missing; its control head marker names control %d", t.LastSeq, t.HeadSeq)
		}
		fmt.Fprintf(w, "TRUNCATED TAIL %s/%s: %s. The log ends mid-write (a crash, or a disk that lost synced data); this is not an edit.\n", t.Activity, t.SKU, what)
	}
	printLotteries(w, rep)
	fmt.Fprintln(w)
	for _, c := range rep.Configs {
		fmt.Fprintf(w, "config %s #%d %s at %s\n", c.Activity, c.Seq, c.Reason, fmtUnixNano(c.TimeUnixNano))
	}
	for _, c := range rep.Changes {
		line := fmt.Sprintf("change %s/%s #%d %s by %s after win %d at %s", c.Activity, c.SKU, c.Seq, c.Kind, c.Source, c.AfterWins, fmtUnixNano(c.TimeUnixNano))
		if c.Detail != "" {
			line += ": " + c.Detail
		}
		fmt.Fprintln(w, line)
	}
	for _, d := range rep.Digests {
		line := fmt.Sprintf("digest %s %s", d.Activity, d.Digest)
		if d.Committed != d.Digest {
			line += fmt.Sprintf(" (head markers commit to %s)", d.Committed)
		}
		switch {
		case d.Published == d.Digest:
			line += " = published"
		case d.Published != "":
			line += fmt.Sprintf(" != published %s", d.Published)
		}
		fmt.Fprintln(w, line)
	}
	verdict := "OK: every check passed"
	if !rep.OK {
		verdict = fmt.Sprintf("FAILED: %d of %d checks failed, %d truncated tails", failed, len(rep.Checks), len(rep.TruncatedTails))
	}
	fmt.Fprintln(w, verdict)
}

func fmtUnixNano(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

// digestFlag collects -digest ACTIVITY=HEX.
type digestFlag map[string]string

func (d digestFlag) String() string { return "" }

func (d digestFlag) Set(v string) error {
	act, hex, ok := strings.Cut(v, "=")
	if !ok || act == "" || len(hex) != 64 || strings.Trim(strings.ToLower(hex), "0123456789abcdef") != "" {
		return fmt.Errorf("%q is not ACTIVITY=HEX with 64 hex digits", v)
	}
	d[act] = strings.ToLower(hex)
	return nil
}
