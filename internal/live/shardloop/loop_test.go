package shardloop

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"seckill/engine"
	"seckill/wal"
)

// watchedStore is the real wal.Log with a record of what has been committed,
// so a replier can check it never hears of a win before the store does.
type watchedStore struct {
	log       *wal.Log
	mu        sync.Mutex
	committed map[uint64]bool // seqs whose AppendWins returned nil
}

func (s *watchedStore) Append(wins []engine.Win, controls []engine.Control) error {
	err := s.log.Append(wins, controls)
	if err == nil {
		s.mu.Lock()
		for _, w := range wins {
			s.committed[w.Seq] = true
		}
		s.mu.Unlock()
	}
	return err
}

func (s *watchedStore) isCommitted(seq uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.committed[seq]
}

// checkingReplier fails the test if a decision naming a win arrives before
// that win's commit returned.
type checkingReplier struct {
	t       *testing.T
	store   *watchedStore
	replies chan engine.Decision
}

func (r *checkingReplier) Reply(d *engine.Decision) {
	if d.Result.RevealsWin() && !r.store.isCommitted(d.Seq) {
		r.t.Errorf("reply %v seq %d before its commit returned", d.Result, d.Seq)
	}
	r.replies <- *d
}

// walFaults fails writes and syncs of Pebble's WAL files while on.
type walFaults struct{ on atomic.Bool }

func (f *walFaults) String() string { return "walFaults" }
func (f *walFaults) MaybeError(op errorfs.Op) error {
	if !f.on.Load() || !strings.HasSuffix(op.Path, ".log") {
		return nil
	}
	switch op.Kind {
	case errorfs.OpFileWrite, errorfs.OpFileWriteAt, errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
		return errorfs.ErrInjected
	}
	return nil
}

func newLoop(t *testing.T, dir string, fs vfs.FS, quota uint64) (*Loop, *watchedStore) {
	t.Helper()
	log, err := wal.Open(dir, wal.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	key, err := log.TicketKey()
	if err != nil {
		t.Fatal(err)
	}
	store := &watchedStore{log: log, committed: map[uint64]bool{}}
	spec := engine.Spec{Activity: "act", SKU: "sku", Quota: quota, StartUnixNano: 0, EndUnixNano: 1 << 62}
	l := New(engine.NewShard(spec, engine.NewTicketSigner(key), nil, nil), store, 64, 16, func() int64 { return time.Now().UnixNano() })
	go l.Run()
	t.Cleanup(func() { l.Close(); <-l.Done() })
	return l, store
}

// offerAll offers attempts for uids concurrently-ish and collects replies.
func offerAll(t *testing.T, l *Loop, r *checkingReplier, uids []uint64) []engine.Decision {
	t.Helper()
	for _, uid := range uids {
		for !l.Offer(Task{Attempt: engine.Attempt{Kind: engine.Buy, UID: uid}, To: r}) {
			time.Sleep(time.Millisecond) // inbox full: the test, unlike a client, waits
		}
	}
	out := make([]engine.Decision, 0, len(uids))
	for range uids {
		select {
		case d := <-r.replies:
			out = append(out, d)
		case <-time.After(10 * time.Second):
			t.Fatal("no reply")
		}
	}
	return out
}

func TestRepliesWaitForDurability(t *testing.T) {
	l, store := newLoop(t, t.TempDir(), nil, 300)
	r := &checkingReplier{t: t, store: store, replies: make(chan engine.Decision, 1000)}
	uids := make([]uint64, 500)
	for i := range uids {
		uids[i] = uint64(i + 1)
	}
	won := 0
	for _, d := range offerAll(t, l, r, uids) {
		if d.Result == engine.Won {
			won++
		}
	}
	if won != 300 || !l.Public().SoldOut() || l.Public().Remaining() != 0 {
		t.Fatalf("won %d, sold out %v, remaining %d", won, l.Public().SoldOut(), l.Public().Remaining())
	}
	if d, ok := l.FrozenWinner(7); !ok || d.Seq == 0 {
		t.Fatalf("frozen lookup of a winner: %+v %v", d, ok)
	}
}

// TestWriteFailureFailsClosed injects a write error into the real store: the
// SKU turns unavailable, no won follows, and every win told before the
// failure is in the store after a clean reopen.
func TestWriteFailureFailsClosed(t *testing.T) {
	dir := t.TempDir()
	faults := &walFaults{}
	l, store := newLoop(t, dir, errorfs.Wrap(vfs.Default, faults), 1000)
	r := &checkingReplier{t: t, store: store, replies: make(chan engine.Decision, 1000)}

	told := map[uint64]uint64{}
	for i, d := range offerAll(t, l, r, []uint64{1, 2, 3, 4, 5}) {
		if d.Result != engine.Won {
			t.Fatalf("before the fault, attempt %d: %v", i, d.Result)
		}
		told[d.Seq] = uint64(i + 1)
	}
	faults.on.Store(true)
	after := offerAll(t, l, r, []uint64{10, 11, 12, 13, 14, 15})
	for _, d := range after {
		if d.Result != engine.Unavailable {
			t.Fatalf("after the fault: %v (seq %d)", d.Result, d.Seq)
		}
	}
	if !l.Public().Failed() {
		t.Fatal("Public().Failed() is false after a write failure")
	}
	faults.on.Store(false)
	// Still unavailable: a failed store is not trusted again without a restart.
	if d := offerAll(t, l, r, []uint64{20})[0]; d.Result != engine.Unavailable {
		t.Fatalf("after the fault cleared: %v", d.Result)
	}
	// An already_won for a durable win is also refused: fail closed.
	if d := offerAll(t, l, r, []uint64{1})[0]; d.Result != engine.Unavailable {
		t.Fatalf("retry of a durable winner on a failed shard: %v", d.Result)
	}
	l.Close()
	<-l.Done()
	store.log.Close()

	log, err := wal.Open(dir, wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	stored := map[uint64]uint64{}
	if err := log.ScanWins(func(w *engine.Win) error { stored[w.Seq] = w.UID; return nil }); err != nil {
		t.Fatal(err)
	}
	for seq, uid := range told {
		if stored[seq] != uid {
			t.Fatalf("told seq %d to uid %d, store has uid %d", seq, uid, stored[seq])
		}
	}
	for seq, uid := range stored {
		if uid >= 10 {
			// Allowed only if the failed batch reached disk; it was never
			// told won, so recovery may replay it safely.
			t.Logf("failed batch persisted seq %d uid %d (told unavailable)", seq, uid)
		}
	}
}
