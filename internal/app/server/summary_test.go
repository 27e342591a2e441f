package server

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"seckill/wal"
)

// lockedBuffer is a log destination the test reads while the engine writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) saleLines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, "msg=sale ") {
			out = append(out, line)
		}
	}
	return out
}

// TestSaleSummaryLines checks the per-second log line: present, with the
// attempts, wins and results, in the seconds buyers buy, and absent once
// they stop.
func TestSaleSummaryLines(t *testing.T) {
	var logs lockedBuffer
	r := launchLogged(t, strings.Replace(healthConfig, "DELAY", "0s", 1), t.TempDir(), wal.Options{}, &logs)
	defer func() { r.cancel(); <-r.done }()
	for uid := uint64(1); uid <= 20; uid++ {
		if got, _, err := buyUntilFinal(r.addr, "p1", uid); err != nil || got.Result != "won" {
			t.Fatalf("buy %d: %+v %v", uid, got, err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(logs.saleLines()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	lines := logs.saleLines()
	if len(lines) == 0 {
		t.Fatal("no sale line within 5 s of 20 wins")
	}
	for _, l := range lines {
		if !strings.Contains(l, "attempts=") || !strings.Contains(l, "p99_won_ms=") || !strings.Contains(l, "results.won=") {
			t.Errorf("sale line lacks a field: %s", l)
		}
	}
	// Idle now: at most the second in flight may still log, then silence.
	time.Sleep(1500 * time.Millisecond)
	settled := len(logs.saleLines())
	time.Sleep(2500 * time.Millisecond)
	if after := logs.saleLines(); len(after) != settled {
		t.Fatalf("%d sale lines while idle: %v", len(after)-settled, after[settled:])
	}
	lines = logs.saleLines()
	won := 0
	for _, l := range lines {
		for _, f := range strings.Fields(l) {
			if n, ok := strings.CutPrefix(f, "won="); ok {
				k, err := strconv.Atoi(n)
				if err != nil {
					t.Fatalf("won=%q in %s", n, l)
				}
				won += k
			}
		}
	}
	if won != 20 {
		t.Fatalf("the sale lines count %d wins, want 20:\n%s", won, strings.Join(lines, "\n"))
	}
}
