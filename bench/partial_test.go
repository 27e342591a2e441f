package bench

import (
	"encoding/json"
	"testing"
)

func TestSplitSharesEverything(t *testing.T) {
	s := Spec{Users: 10, Conns: 7, Rate: 90, Count: 11, UIDBase: 100, Sources: []string{"a", "b", "c", "d", "e"}}
	parts := Split(s, 3)
	var users, conns, count int
	var rate float64
	next := uint64(100)
	seen := map[string]bool{}
	for _, p := range parts {
		if p.UIDBase != next {
			t.Fatalf("uid ranges not contiguous: base %d, want %d", p.UIDBase, next)
		}
		next += uint64(p.Users)
		users += p.Users
		conns += p.Conns
		count += int(p.Count)
		rate += p.Rate
		for _, src := range p.Sources {
			if seen[src] {
				t.Fatalf("source %s given to two workers", src)
			}
			seen[src] = true
		}
	}
	if users != 10 || conns != 7 || count != 11 || rate != 90 || len(seen) != 5 {
		t.Fatalf("users %d conns %d count %d rate %v sources %d", users, conns, count, rate, len(seen))
	}
}

// TestPartialTravelsAndMerges sends two partials through JSON, as worker
// processes do, and checks that counts add and histograms and windows merge.
func TestPartialTravelsAndMerges(t *testing.T) {
	mk := func(lat []int64, window int64) *Partial {
		r := newRecorder(&Spec{Mode: Burst, Window: 100e6, StartUnixNano: 1})
		for _, us := range lat {
			end := 1 + window*100e6 + 1
			r.record(end-us*1e3, end, &answer{status: 200, result: "won", seq: 1}, "")
		}
		r.record(5, 6, nil, errReset)
		r.final("p0", uint64(len(lat)), &answer{result: "won", seq: uint64(len(lat)), ticket: "t"})
		return r.partial()
	}
	a, b := mk([]int64{100, 200, 300}, 0), mk([]int64{10_000}, 3)
	var got Partial
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	a.Merge(&got)
	if a.Attempts != 6 || a.Results["won"] != 4 || a.Errors[errReset] != 2 || len(a.Wins) != 2 || a.Finals["won"] != 2 {
		t.Fatalf("merged counts: %+v", a)
	}
	if n := a.Latency.TotalCount(); n != 4 {
		t.Fatalf("merged histogram holds %d values, want 4", n)
	}
	if m := a.Latency.Max(); m < 9_990 || m > 10_010 {
		t.Fatalf("merged max %d µs, want 10000", m)
	}
	rows := Series(a, 100e6)
	if len(rows) != 4 || rows[0].PerSecond != 50 || rows[0].WonPerSec != 30 || rows[3].PerSecond != 10 || rows[1].PerSecond != 0 {
		t.Fatalf("series %+v", rows)
	}
}
