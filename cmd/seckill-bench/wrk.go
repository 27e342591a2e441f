package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"time"

	"seckill/bench"
)

// wrkRecord is one wrk run against a server, with the server's CPU.
type wrkRecord struct {
	Label        string  `json:"label"`
	Time         string  `json:"time"`
	LoadAvg      string  `json:"loadavg"`
	Requests     int64   `json:"attempts"`
	Seconds      float64 `json:"seconds"`
	PerSecond    float64 `json:"attempts_per_s"`
	Non2xx       int64   `json:"non_2xx"`
	SocketErrors int64   `json:"socket_errors"`
	P99Micros    int64   `json:"p99_us"`
	P50Micros    int64   `json:"p50_us"`
	Server       struct {
		UserSec         float64 `json:"cpu_user_s"`
		SysSec          float64 `json:"cpu_sys_s"`
		CPUPerAttemptUS float64 `json:"cpu_us_per_attempt"`
	} `json:"server"`
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in ([\d.]+)(us|ms|s|m)`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkPct      = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$`)
)

// runWrk runs wrk with the arguments after --, and divides the server's CPU
// time over the run by the requests wrk completed.
func runWrk(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("wrk", flag.ExitOnError)
	pidsFlag := fs.String("pid", "", "server `pids` (comma separated)")
	label := fs.String("label", "wrk", "row label")
	appendOut := fs.String("append", "", "append the JSON record to `file`")
	fs.Parse(args)
	pids, err := parsePIDs(*pidsFlag)
	if err != nil || len(pids) == 0 {
		return fmt.Errorf("%w: wrk needs -pid", errUsage)
	}
	cpu0, err := bench.ReadCPU(pids)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "wrk", fs.Args()...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("seckill-bench: wrk: %w", err)
	}
	cpu1, err := bench.ReadCPU(pids)
	if err != nil {
		return err
	}
	os.Stdout.Write(out.Bytes())
	text := out.String()
	m := wrkRequests.FindStringSubmatch(text)
	if m == nil {
		return fmt.Errorf("%w: no request count in wrk's output", errUsage)
	}
	rec := wrkRecord{Label: *label, Time: time.Now().UTC().Format(time.RFC3339), LoadAvg: loadAvg()}
	rec.Requests, _ = strconv.ParseInt(m[1], 10, 64)
	rec.Seconds = durationSeconds(m[2], m[3])
	if rec.Seconds > 0 {
		rec.PerSecond = float64(rec.Requests) / rec.Seconds
	}
	if m := wrkNon2xx.FindStringSubmatch(text); m != nil {
		rec.Non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := wrkSocket.FindStringSubmatch(text); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.ParseInt(s, 10, 64)
			rec.SocketErrors += n
		}
	}
	for _, m := range wrkPct.FindAllStringSubmatch(text, -1) {
		us := int64(durationSeconds(m[2], m[3]) * 1e6)
		if m[1] == "50" {
			rec.P50Micros = us
		} else {
			rec.P99Micros = us
		}
	}
	d := cpu1.Sub(cpu0)
	rec.Server.UserSec, rec.Server.SysSec = d.UserSec, d.SysSec
	if rec.Requests > 0 {
		rec.Server.CPUPerAttemptUS = d.Total() / float64(rec.Requests) * 1e6
	}
	fmt.Printf("server cpu %.3fs user + %.3fs sys over %d requests = %.2f µs per request\n", d.UserSec, d.SysSec, rec.Requests, rec.Server.CPUPerAttemptUS)
	if *appendOut != "" {
		return appendJSON(*appendOut, rec)
	}
	return nil
}

func durationSeconds(v, unit string) float64 {
	f, _ := strconv.ParseFloat(v, 64)
	switch unit {
	case "us":
		return f / 1e6
	case "ms":
		return f / 1e3
	case "m":
		return f * 60
	}
	return f
}
