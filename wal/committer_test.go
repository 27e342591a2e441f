package wal

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"seckill/engine"
	"seckill/internal/testkit/syncfs"
)

// queueCommitter returns a committer over l that has not started, with one
// Append per batch queued from its own goroutine (as shard loops would
// call it); start() lets them go. The errors arrive on the returned channel.
func queueCommitter(t *testing.T, l *Log, batches [][]engine.Win) (*Committer, <-chan error) {
	t.Helper()
	c := l.newCommitter()
	errs := make(chan error, len(batches))
	for _, b := range batches {
		go func() { errs <- c.Append(b, nil) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		n := len(c.queue)
		c.mu.Unlock()
		if n == len(batches) {
			return c, errs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d batches queued", n, len(batches))
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCommitterSharesOneFsync: the batches of 64 shards that are ready
// together go to disk in one round with one fsync of the WAL, counted on
// the real file system, and every record and head marker is there after.
func TestCommitterSharesOneFsync(t *testing.T) {
	fs := syncfs.Wrap(vfs.Default)
	l := mustOpen(t, t.TempDir(), Options{FS: fs})
	defer l.Close()
	const shards = 64
	batches := make([][]engine.Win, shards)
	for i := range batches {
		batches[i] = chain("act", fmt.Sprintf("sku-%02d", i), 3, uint64(i)*10)
	}
	c, errs := queueCommitter(t, l, batches)
	before := fs.Syncs()
	c.start()
	for range shards {
		if err := <-errs; err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	if n := fs.Syncs() - before; n != 1 {
		t.Errorf("%d shards' wins took %d WAL fsyncs, want 1", shards, n)
	}
	if rounds, carried := c.Rounds(); rounds != 1 || carried != shards {
		t.Errorf("rounds %d carrying %d batches, want 1 carrying %d", rounds, carried, shards)
	}
	c.Close()
	got := scanAll(t, l)
	if len(got) != 3*shards {
		t.Fatalf("%d wins stored, want %d", len(got), 3*shards)
	}
	verifyChains(t, got)
	heads := 0
	if err := l.ScanHeads(func(h *Head) error {
		if h.Seq != 3 {
			t.Errorf("head of %s/%s at seq %d, want 3", h.Activity, h.SKU, h.Seq)
		}
		heads++
		return nil
	}, func(key string, err error) error { return err }); err != nil {
		t.Fatal(err)
	}
	if heads != shards {
		t.Errorf("%d head markers, want %d", heads, shards)
	}
}

// TestCommitterInvalidBatchFailsAlone: a batch the Log cannot store is
// refused on its own; the other shards' batches in its round are durable
// and the Log is not failed.
func TestCommitterInvalidBatchFailsAlone(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{})
	defer l.Close()
	bad := chain("act", "bad", 1, 1)
	bad[0].SKU = "has\x00nul"
	batches := [][]engine.Win{chain("act", "a", 2, 1), bad, chain("act", "b", 2, 1)}
	c, errs := queueCommitter(t, l, batches)
	c.start()
	var invalid, ok int
	for range batches {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, ErrInvalidWin):
			invalid++
		default:
			t.Errorf("Append: %v", err)
		}
	}
	c.Close()
	if ok != 2 || invalid != 1 || l.Failure() != nil {
		t.Fatalf("ok %d, invalid %d, failure %v; want 2, 1, nil", ok, invalid, l.Failure())
	}
	if n := len(scanAll(t, l)); n != 4 {
		t.Fatalf("%d wins stored, want 4", n)
	}
}

// TestCommitterSyncErrorAnswersNoneDurable: while the round's fsync runs no
// Append returns; when the fsync fails every Append of the round fails with
// ErrWrite, the Log is failed, and later Appends fail too.
func TestCommitterSyncErrorAnswersNoneDurable(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("fail=%v", fail), func(t *testing.T) {
			fs := syncfs.Wrap(vfs.Default)
			l := mustOpen(t, t.TempDir(), Options{FS: fs})
			defer l.Close()
			c := l.NewCommitter()
			defer c.Close()
			fs.Hold()
			const shards = 8
			errs := make(chan error, shards)
			for i := range shards {
				w := chain("act", fmt.Sprintf("sku-%d", i), 1, 1)
				go func() { errs <- c.Append(w, nil) }()
			}
			<-fs.Entered
			time.Sleep(20 * time.Millisecond) // time for a wrong early answer to show
			if len(errs) != 0 {
				t.Fatalf("%d Appends returned while their fsync was held", len(errs))
			}
			fs.Release(fail)
			for range shards {
				err := <-errs
				if fail != (err != nil) || fail && !errors.Is(err, ErrWrite) {
					t.Fatalf("Append after a sync that failed=%v: %v", fail, err)
				}
			}
			if fail != (l.Failure() != nil) {
				t.Fatalf("Log failure %v after a sync that failed=%v", l.Failure(), fail)
			}
			err := c.Append(chain("act", "later", 1, 1), nil)
			if fail != (err != nil) {
				t.Fatalf("a later Append: %v", err)
			}
		})
	}
}

// TestCommitterClosed: Append after Close is refused without writing.
func TestCommitterClosed(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{})
	defer l.Close()
	c := l.NewCommitter()
	if err := c.Append(chain("act", "a", 1, 1), nil); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := c.Append(chain("act", "b", 1, 1), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	if n := len(scanAll(t, l)); n != 1 {
		t.Fatalf("%d wins stored, want 1", n)
	}
}

// TestCommitterAppendAllocs: a shard's Append through the committer does not
// allocate per win in steady state.
func TestCommitterAppendAllocs(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{})
	defer l.Close()
	c := l.NewCommitter()
	defer c.Close()
	ws := chain("activity", "sku", 16, 1)
	seq := uint64(100)
	step := func() {
		for i := range ws {
			seq++
			ws[i].Seq = seq
		}
		if err := c.Append(ws, nil); err != nil {
			t.Fatal(err)
		}
	}
	step()
	allocs := testing.AllocsPerRun(50, step)
	t.Logf("allocs per Append of 16 wins through the committer: %.1f", allocs)
	if allocs >= 16 {
		t.Fatalf("Committer.Append allocates per win: %.1f allocs for 16 wins", allocs)
	}
}
