package sim

import (
	"flag"
	"os"
	"testing"
	"time"
)

var (
	seedFlag  = flag.Int64("seed", -1, "run only this seed (reproduces a failure)")
	seedsFlag = flag.Int("seeds", 0, "how many seeds to run (default: what CI runs)")
	firstFlag = flag.Int("first", 1, "the first seed of a -seeds run")
	stepsFlag = flag.Int("steps", 0, "actions per seed (default DefaultSteps)")
	traceFlag = flag.Bool("simlog", false, "print every event of the run (use with -seed)")
)

// ciSeeds is how many seeds CI runs: about 4 s of CPU each under -race
// (20 s of user time for five, measured with go test -race -v), so that the
// package stays near a minute on a shared 2-core machine.
const ciSeeds = 3

// maxFailures stops a search that keeps failing.
const maxFailures = 10

// deterministicSteps keeps the run-twice test short: determinism shows in
// any run that crashes, faults and restarts a few times.
const deterministicSteps = 1000

// TestSimulation runs seeds 1..ciSeeds (or -seeds K, or the one -seed N) and
// fails with the seed and the broken invariant.
func TestSimulation(t *testing.T) {
	seeds := []uint64{}
	switch {
	case *seedFlag >= 0:
		seeds = append(seeds, uint64(*seedFlag))
	default:
		n := ciSeeds
		if *seedsFlag > 0 {
			n = *seedsFlag
		}
		for s := range n {
			seeds = append(seeds, uint64(*firstFlag+s))
		}
	}
	var total Stats
	failed := 0
	start := time.Now()
	for _, seed := range seeds {
		opts := Options{Steps: *stepsFlag}
		if *traceFlag {
			opts.Log = os.Stdout
		}
		res, err := Run(seed, opts)
		if err != nil {
			// Go on with the other seeds: a search reports every failing
			// seed it meets, up to a few.
			t.Errorf("%v\nreproduce: go test ./internal/testkit/sim -run TestSimulation -seed %d", err, seed)
			if failed++; failed == maxFailures {
				t.Fatalf("stopping after %d failing seeds", failed)
			}
			continue
		}
		total.add(res.Stats)
	}
	t.Logf("%d seeds in %s: %+v", len(seeds), time.Since(start).Round(time.Millisecond), total)
}

// TestSimulationIsDeterministic runs one seed twice: the same seed must give
// the same answers and the same recovered states, or a failing seed would
// not reproduce.
func TestSimulationIsDeterministic(t *testing.T) {
	seed := uint64(7)
	if *seedFlag >= 0 {
		seed = uint64(*seedFlag)
	}
	opts := Options{Steps: deterministicSteps}
	if *stepsFlag > 0 {
		opts.Steps = *stepsFlag
	}
	a, err := Run(seed, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(seed, opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Stats.Crashes+a.Stats.Restarts < 3 || a.Stats.Faults == 0 {
		t.Fatalf("seed %d did not crash, restart and fault enough to show anything: %+v", seed, a.Stats)
	}
	if a.Digest != b.Digest || a.Stats != b.Stats {
		t.Fatalf("seed %d ran twice: digests %x and %x, stats %+v and %+v", seed, a.Digest, b.Digest, a.Stats, b.Stats)
	}
}
