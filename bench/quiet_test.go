package bench

import (
	"runtime/debug"
	"testing"
)

// TestQuietGC checks that the generator turns the proportional collector
// off and sets its soft limit, unless the environment chose for it.
func TestQuietGC(t *testing.T) {
	for _, tc := range []struct {
		name, gogc, memlimit string
		wantPercent          int
		wantLimit            int64
	}{
		{"defaults", "", "", -1, generatorMemoryLimit},
		{"GOGC set", "50", "", 50, generatorMemoryLimit},
		{"GOMEMLIMIT set", "", "1GiB", -1, 1 << 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Start from what the environment would have set, as the
			// runtime does at start.
			defer debug.SetGCPercent(debug.SetGCPercent(50))
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 30))
			t.Setenv("GOGC", tc.gogc)
			t.Setenv("GOMEMLIMIT", tc.memlimit)
			QuietGC()
			if got := debug.SetGCPercent(100); got != tc.wantPercent {
				t.Errorf("GC percent = %d, want %d", got, tc.wantPercent)
			}
			if got := debug.SetMemoryLimit(-1); got != tc.wantLimit {
				t.Errorf("memory limit = %d, want %d", got, tc.wantLimit)
			}
		})
	}
}
