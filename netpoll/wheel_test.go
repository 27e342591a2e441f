package netpoll

import (
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// TestIdleTimeoutIsTimely opens connections at different points of a second
// that send nothing, half a head, or a whole head on a held shard. The
// first two must be closed no earlier than idle_timeout and no later than
// idle_timeout + 10 %; the queued one must not be closed by the wheel.
func TestIdleTimeoutIsTimely(t *testing.T) {
	const idle = time.Second
	r := newRig(t, rigOptions{idle: idle, held: true})
	queued := r.dial(t)
	if _, err := queued.Write([]byte(buyHead(1))); err != nil {
		t.Fatal(err)
	}
	type result struct {
		n       int
		elapsed time.Duration
		err     error
	}
	const conns = 6
	results := make(chan result, conns)
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		time.Sleep(170 * time.Millisecond) // spread over the second
		begin := time.Now()
		c := r.dial(t)
		if i%2 == 1 {
			if _, err := c.Write([]byte("GET /buy?sku=s1")); err != nil {
				t.Fatal(err)
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := io.Copy(io.Discard, c)
			results <- result{int(n), time.Since(begin), err}
		}()
	}
	wg.Wait()
	close(results)
	for res := range results {
		if res.err != nil || res.n != 0 {
			t.Errorf("idle connection: read %d bytes, %v; want a bare close", res.n, res.err)
		}
		if res.elapsed < idle-10*time.Millisecond || res.elapsed > idle+idle/10 {
			t.Errorf("idle connection closed after %v; want within [%v, %v]", res.elapsed, idle, idle+idle/10)
		}
	}
	if r.srv.open.Load() != 1 || r.srv.queued.Load() != 1 {
		t.Fatalf("open %d queued %d: the wheel closed the queued connection", r.srv.open.Load(), r.srv.queued.Load())
	}
	r.run()
	if got := resultOf(t, queued); got != "won" {
		t.Fatalf("queued connection: %s, want won", got)
	}
}

func resultOf(t *testing.T, c io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return result(string(b))
}

// lockProbe is a real connection that, when the wheel closes it, records
// whether the wheel still held the bucket's lock: closing a whole bucket
// under the lock would stall every event loop that opens or closes a
// connection filed in that bucket meanwhile.
type lockProbe struct {
	gnet.Conn
	bucket *wheelBucket
	held   *atomic.Int32
	closes *atomic.Int32
}

func (p lockProbe) Close() error {
	if p.bucket.mu.TryLock() {
		p.bucket.mu.Unlock()
	} else {
		p.held.Add(1)
	}
	p.closes.Add(1)
	return p.Conn.Close()
}

// TestSweepClosesOutsideTheBucketLock wraps the wheel's entries for a few
// idle connections in lockProbes and lets the wheel close them.
func TestSweepClosesOutsideTheBucketLock(t *testing.T) {
	r := newRig(t, rigOptions{idle: 300 * time.Millisecond})
	const conns = 4
	for i := 0; i < conns; i++ {
		r.dial(t)
	}
	waitFor(t, "the connections to open", func() bool { return r.srv.open.Load() == conns })
	var held, closes atomic.Int32
	wrapped := 0
	w := r.srv.wheel
	for i := range w.buckets {
		b := &w.buckets[i]
		b.mu.Lock()
		for j := range b.entries {
			if b.entries[j].c != nil {
				b.entries[j].c = lockProbe{Conn: b.entries[j].c, bucket: b, held: &held, closes: &closes}
				wrapped++
			}
		}
		b.mu.Unlock()
	}
	if wrapped != conns {
		t.Fatalf("wrapped %d wheel entries, want %d", wrapped, conns)
	}
	waitFor(t, "the wheel to close them", func() bool { return closes.Load() == conns })
	if n := held.Load(); n != 0 {
		t.Fatalf("%d of %d connections were closed under the bucket's lock", n, conns)
	}
}
