// Command seckill-bench is seckill's load generator and benchmark tooling.
//
//	seckill-bench burst     -addr A -users N -skus S… [-verify -quota Q]   N users fire at once, retry until final
//	seckill-bench sustained -addr A -rate R -duration D                    a fixed rate, open loop
//	seckill-bench fixed     -addr A -count N -conns C -pid P               N attempts; server CPU per attempt
//	seckill-bench hold      -addr A -conns N -pid P [-memstats URL]        hold N half-sent requests; memory per connection
//	seckill-bench wrk       -pid P -label L -- WRK-ARGS…                   run wrk and measure the server's CPU per request
//	seckill-bench plot      -csv F -out F.svg                              render a burst's time series
//	seckill-bench table     -in results.jsonl                              medians and ratios of measured rows
//	seckill-bench gobench   < go-test-bench-output                         medians of go test -bench results
//	seckill-bench uids      gen -n N -out F | load -file F                 reservation-set load time and memory
//	seckill-bench fsync     -dir D -n N                                    the disk's fsync latency
//
// The load modes spread connections over -sources (127.0.0.x) and run as
// several worker processes (-procs, or automatically when one process would
// pass its descriptor limit). bench/run.sh runs every row of
// docs/BENCHMARKS.md. Run a subcommand with -h for its flags.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"seckill/bench"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "burst", "sustained", "fixed", "hold":
		bench.QuietGC()
		err = load(ctx, bench.Mode(os.Args[1]), args)
	case "worker":
		bench.QuietGC()
		err = bench.ServeWorker(ctx, os.Stdin, os.Stdout)
	case "wrk":
		err = runWrk(ctx, args)
	case "plot":
		err = plot(args)
	case "table":
		err = table(args)
	case "gobench":
		err = gobench(args)
	case "uids":
		err = uids(args)
	case "fsync":
		err = fsyncProbe(args)
	case "-h", "-help", "--help", "help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "seckill-bench: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "seckill-bench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  seckill-bench burst|sustained|fixed|hold [flags]   load modes (-h for flags)
  seckill-bench wrk -pid P -label L -- WRK-ARGS...
  seckill-bench plot -csv F -out F.svg [-title T]
  seckill-bench table -in results.jsonl [-base LABEL]
  seckill-bench gobench < go-test-output
  seckill-bench uids gen -n N -out FILE | uids load -file FILE
  seckill-bench fsync -dir DIR -n N
`)
}
