// Command seckill runs the flash-sale engine and its tools.
//
//	seckill serve [-config FILE] [-front-end netpoll|nethttp|floor] [-log-format text|json] [-log-level L]
//	                                      run the engine (embedded demo config without -config)
//	seckill serve -cluster FILE -node NAME
//	                                      run one node of a cluster
//	seckill gateway -cluster FILE [-out FILE] [-standalone]
//	                                      write the cluster's nginx gateway configuration
//	seckill token -uid N [-config FILE | -secret S] [-ttl D]
//	                                      print a signed token for uid N
//	seckill replay -data DIR [-json]      audit the store: per-SKU table and checks
//	seckill replay -data A -data B | -cluster FILE
//	                                      audit the stores of a cluster's nodes as one sale
//	seckill export -data DIR -out FILE    winners as JSON Lines or CSV (.zst: zstd), incremental
//	seckill export -data DIR -push URL    re-push failed (or -all) records to the mall
//	seckill version                       module version and VCS revision of this binary
//
// Run a subcommand with -h for its flags.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "gateway":
		err = gatewayCmd(os.Args[2:], os.Stdout, os.Stderr)
	case "token":
		err = mintToken(os.Args[2:])
	case "replay":
		os.Exit(runReplay(os.Args[2:], os.Stdout, os.Stderr))
	case "export":
		err = exportCmd(os.Args[2:], os.Stdout, os.Stderr)
	case "version", "-version", "--version":
		printVersion(os.Stdout)
		return
	case "-h", "-help", "--help", "help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "seckill: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "seckill:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  seckill serve [-config FILE] [-front-end netpoll|nethttp|floor] [-log-format text|json] [-log-level L]
  seckill serve -cluster FILE -node NAME [-front-end ...] [-log-format ...] [-log-level ...]
  seckill gateway -cluster FILE [-out FILE] [-standalone]
  seckill token -uid N [-config FILE | -secret S] [-ttl D]
  seckill replay {-data DIR[,DIR]... | -cluster FILE} [-json] [-digest ACTIVITY=HEX]...
  seckill export [-config FILE] [-data DIR] [-dir DIR] -out NAME [-format jsonl|csv] [-all | -cursor NAME]
  seckill export [-config FILE] [-data DIR] -push URL [-all]
  seckill export {-data DIR -data DIR... | -cluster FILE} [-dir DIR] -out NAME -all
  seckill version
`)
}
