package bench

import (
	"os"
	"runtime/debug"
)

// generatorMemoryLimit is the heap at which the generator's garbage
// collector runs when QuietGC turned the proportional trigger off: far
// above what a run keeps live (about 12 MiB for 2,000 connections, in the
// generator's GC trace), above what the longest overload run allocates
// (90 s at 5,000 attempts/s, about 12 MiB/s: 1.1 GiB), and far below the
// machine's memory.
const generatorMemoryLimit = 2 << 30

// QuietGC keeps the generator's collector out of the measured window. On
// one core, a collection of the generator's heap and its thousands of
// goroutine stacks stops the open-loop sender for tens of milliseconds;
// attempts due meanwhile go out late, and their wait, which counts from
// when they were due, is the generator's and not the server's. So the
// generator collects only near generatorMemoryLimit, normally never during
// a run. GOGC or GOMEMLIMIT in the environment wins over this.
func QuietGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(-1)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(generatorMemoryLimit)
	}
}

// warmStackBytes is the stack a connection goroutine grows to before the
// run starts: more than the dialer's call chain and a read need, so that
// the first attempt of each of thousands of goroutines does not copy its
// stack (newstack) while the clock runs: before this, copying stacks was
// 18% of the generator's CPU in the first 0.6 s of a 20x overload run
// (docs/BENCHMARKS.md §9 says how that profile was taken).
const warmStackBytes = 16 << 10

// warmStack grows the calling goroutine's stack past warmStackBytes. With
// the collector quiet (QuietGC), the stack is not shrunk back before the
// run.
//
//go:noinline
func warmStack() byte {
	var pad [warmStackBytes]byte
	pad[len(pad)-1] = 1
	return sink(pad[:])
}

//go:noinline
func sink(b []byte) byte { return b[len(b)-1] }
