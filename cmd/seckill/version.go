package main

import (
	"fmt"
	"io"

	"seckill/internal/app/observe"
)

// printVersion writes the module version, the VCS revision and commit time
// the binary was built from, and the Go version — what an operator quotes in
// a bug report and checks after a deploy.
func printVersion(w io.Writer) {
	b := observe.ReadBuild()
	fmt.Fprintf(w, "seckill %s\nrevision %s\n", b.Version, b.Revision)
	if b.Time != "" {
		fmt.Fprintf(w, "committed %s\n", b.Time)
	}
	fmt.Fprintf(w, "built with %s\n", b.GoVersion)
}
