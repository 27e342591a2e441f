package push

import (
	"sync/atomic"
	"testing"
	"time"

	"seckill/engine"
	"seckill/wal"
)

// closingLog is the real log, wrapped to make a read nested in another
// read's callback deadlock as it would in production: the first nested
// read starts a Close (a writer) and waits until it is queued behind the
// outer read lock before taking its own.
type closingLog struct {
	*wal.Log
	t       *testing.T
	scans   atomic.Int32
	nested  atomic.Int32
	closing chan error
}

func (c *closingLog) ScanMeta(prefix string, fn func(string, []byte) error) error {
	c.scans.Add(1)
	defer c.scans.Add(-1)
	return c.Log.ScanMeta(prefix, fn)
}

func (c *closingLog) ScanWinsAfter(head func(*engine.Win) (uint64, error), fn func(*engine.Win) error) error {
	c.scans.Add(1)
	defer c.scans.Add(-1)
	return c.Log.ScanWinsAfter(head, fn)
}

func (c *closingLog) GetWin(act, sku string, seq uint64, w *engine.Win) (bool, error) {
	if c.scans.Load() > 0 && c.nested.Add(1) == 1 {
		go func() { c.closing <- c.Log.Close() }()
		time.Sleep(50 * time.Millisecond) // Close is now blocked on the write lock
	}
	return c.Log.GetWin(act, sku, seq, w)
}

// TestNoReadInsideAScan reads a batch of queued records while the store is
// closed: before the fix, nextQueued called GetWin inside ScanMeta's
// callback, a recursive read lock that deadlocked with the waiting Close.
func TestNoReadInsideAScan(t *testing.T) {
	l, err := wal.Open(t.TempDir(), wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, l, "a", 30, "s1", "s2")
	_, srv := newMall(t, 0, 0, 0)
	opts := testOptions(srv.URL)
	opts.MaxAttempts = 1
	p := newPusher(t, l, opts)
	if n, err := p.Requeue(ScopeAll); err != nil || n != 60 {
		t.Fatalf("requeue: %d, %v", n, err)
	}
	// Park everything as failed, then queue it, so next() reads queued keys.
	srv.Close()
	if rep, err := p.Drain(drainCtx(t)); err != nil || rep.GaveUp != 60 {
		t.Fatalf("drain against a closed mall: %+v, %v", rep, err)
	}
	if n, err := p.Requeue(ScopeFailed); err != nil || n != 60 {
		t.Fatalf("requeue failed: %d, %v", n, err)
	}
	cl := &closingLog{Log: l, t: t, closing: make(chan error, 1)}
	p.log = cl
	done := make(chan error, 1)
	go func() {
		_, err := p.next()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("next() with the store open: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("next() deadlocked: a read nested in a scan waits behind the waiting Close")
	}
	if n := cl.nested.Load(); n != 0 {
		t.Errorf("%d reads nested in a scan's callback", n)
	}
	if cl.nested.Load() == 0 {
		l.Close()
	} else if err := <-cl.closing; err != nil {
		t.Fatal(err)
	}
}
