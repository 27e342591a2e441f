package gate

import (
	"sync"
	"testing"
)

func TestPerSecond(t *testing.T) {
	var c perSecond
	steps := []struct {
		second int64
		want   bool
	}{
		{100, true}, {100, true}, {100, true}, {100, false}, {100, false},
		{101, true}, {101, true}, {101, true}, {101, false},
		{99, true}, // a different second starts afresh, even an earlier one
	}
	for i, s := range steps {
		if got := c.allow(s.second, 3); got != s.want {
			t.Fatalf("step %d (second %d): allow = %v, want %v", i, s.second, got, s.want)
		}
	}
}

// TestPerSecondConcurrent: many goroutines in one second admit exactly the
// limit, never more.
func TestPerSecondConcurrent(t *testing.T) {
	var c perSecond
	var mu sync.Mutex
	admitted := 0
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for i := 0; i < 1000; i++ {
				if c.allow(7, 250) {
					n++
				}
			}
			mu.Lock()
			admitted += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if admitted != 250 {
		t.Fatalf("admitted %d, limit 250", admitted)
	}
}

func TestAddrRateSeparatesAddresses(t *testing.T) {
	r := &addrRate{}
	a, b := [16]byte{15: 1}, [16]byte{15: 2}
	if !r.allow(a, 5, 1) || r.allow(a, 5, 1) {
		t.Fatal("address a: want one admitted, then refused")
	}
	if !r.allow(b, 5, 1) {
		t.Fatal("address b refused because of a")
	}
}

func TestInflight(t *testing.T) {
	f := newInflight()
	if !f.acquire(42) || f.acquire(42) {
		t.Fatal("second acquire of the same uid must fail")
	}
	if !f.acquire(43) {
		t.Fatal("another uid must not be affected")
	}
	f.release(42)
	if !f.acquire(42) {
		t.Fatal("acquire after release must succeed")
	}
}
