package shardloop

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"seckill/engine"
	"seckill/replay"
	"seckill/wal"
)

// gatedStore is the real wal.Log behind a gate the test opens: Append waits
// until released, so the test can see what is answered before the commit.
type gatedStore struct {
	log     *wal.Log
	release chan struct{}
	mu      sync.Mutex
	done    int // Appends that returned
}

func (s *gatedStore) Append(wins []engine.Win, controls []engine.Control) error {
	<-s.release
	err := s.log.Append(wins, controls)
	s.mu.Lock()
	s.done++
	s.mu.Unlock()
	return err
}

type chanReplier chan engine.Decision

func (r chanReplier) Reply(d *engine.Decision) { r <- *d }

// TestControlInInboxOrder: a control change queued between attempts is
// decided between them, answered only once its record is durable, shown in
// Public only then, and found in place by recovery.
func TestControlInInboxOrder(t *testing.T) {
	dir := t.TempDir()
	log, err := wal.Open(dir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := log.TicketKey()
	spec := engine.Spec{Activity: "act", SKU: "sku", Quota: 10, StartUnixNano: 0, EndUnixNano: 1 << 62}
	store := &gatedStore{log: log, release: make(chan struct{})}
	l := New(engine.NewShard(spec, engine.NewTicketSigner(key), nil, nil), store, 64, 16, func() int64 { return 5e9 })
	replies := make(chanReplier, 10)
	offer := func(uid uint64) {
		if !l.Offer(Task{Attempt: engine.Attempt{Kind: engine.Buy, UID: uid}, To: replies}) {
			t.Fatal("offer refused")
		}
	}
	offer(1)
	offer(2)
	pause, err := l.OfferControl(engine.Control{Kind: engine.ControlPause})
	if err != nil || pause == nil {
		t.Fatalf("OfferControl: %v %v", pause, err)
	}
	offer(3)
	go l.Run()
	defer func() { l.Close(); <-l.Done() }()

	select {
	case res := <-pause.Done():
		t.Fatalf("control answered %v before its commit", res.Verdict)
	case <-time.After(50 * time.Millisecond):
	}
	if l.Public().Paused() {
		t.Fatal("Public shows the pause before its record is durable")
	}
	close(store.release)
	res := <-pause.Done()
	if res.Verdict != engine.ControlApplied || res.Record.AfterWins != 2 || res.Record.Seq != 1 {
		t.Fatalf("pause: %v %+v", res.Verdict, res.Record)
	}
	got := map[uint64]engine.Result{}
	for range 3 {
		d := <-replies
		got[d.Seq] = d.Result
	}
	if got[1] != engine.Won || got[2] != engine.Won || got[0] != engine.Unavailable {
		t.Fatalf("decisions around the pause: %v", got)
	}
	if !l.Public().Paused() {
		t.Fatal("Public does not show the durable pause")
	}
	// Through the blocking call: resume.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if res, err := l.Control(ctx, engine.Control{Kind: engine.ControlResume}); err != nil || res.Verdict != engine.ControlApplied {
		t.Fatalf("resume: %v %v", res.Verdict, err)
	}
	if res, err := l.Control(ctx, engine.Control{Kind: engine.ControlResume}); err != nil || res.Verdict != engine.ControlUnchanged {
		t.Fatalf("resume again: %v %v", res.Verdict, err)
	}
	offer(4)
	if d := <-replies; d.Result != engine.Won || d.Seq != 3 {
		t.Fatalf("buy after resume: %+v", d)
	}
	l.Close()
	<-l.Done()
	if _, err := l.Control(ctx, engine.Control{Kind: engine.ControlPause}); !errors.Is(err, ErrControlClosed) {
		t.Fatalf("control on a closed loop: %v", err)
	}

	// Recovery applies them in place: a pause after win 2, a resume
	// after it; a fresh shard rebuilt from the store ends resumed with
	// the same heads.
	fresh := engine.NewShard(spec, engine.NewTicketSigner(key), nil, nil)
	sum, err := replay.Rebuild(log, func(string, string) *engine.Shard { return fresh })
	if err != nil || sum.Wins != 3 || sum.Controls != 2 {
		t.Fatalf("rebuild: %+v %v", sum, err)
	}
	if fresh.Paused() || fresh.ChainHead() != l.shard.ChainHead() {
		t.Fatalf("rebuilt %+v paused %v, live %+v", fresh.ChainHead(), fresh.Paused(), l.shard.ChainHead())
	}
	log.Close()
}

// TestControlFailedCommit: a control change whose commit fails is answered
// unavailable, never applied.
func TestControlFailedCommit(t *testing.T) {
	dir := t.TempDir()
	faults := &walFaults{}
	l, _ := newLoop(t, dir, errorfs.Wrap(vfs.Default, faults), 10)
	faults.on.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := l.Control(ctx, engine.Control{Kind: engine.ControlPause})
	if err != nil || res.Verdict != engine.ControlUnavailable {
		t.Fatalf("pause on a failing store: %v %v", res.Verdict, err)
	}
	if !l.Public().Failed() || l.Public().Paused() {
		t.Fatalf("after a failed control commit: failed %v paused %v", l.Public().Failed(), l.Public().Paused())
	}
}

// TestControlWaitsForRoom: a full inbox makes Control retry until its
// deadline, and the change is not made.
func TestControlWaitsForRoom(t *testing.T) {
	log, err := wal.Open(t.TempDir(), wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	spec := engine.Spec{Activity: "act", SKU: "sku", Quota: 10, EndUnixNano: 1 << 62}
	l := New(engine.NewShard(spec, engine.NewTicketSigner([]byte("k")), nil, nil), log, 1, 16, func() int64 { return 1 })
	if !l.Offer(Task{Attempt: engine.Attempt{UID: 1}, To: make(chanReplier, 1)}) {
		t.Fatal("offer")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := l.Control(ctx, engine.Control{Kind: engine.ControlPause}); !errors.Is(err, ErrControlTimeout) {
		t.Fatalf("control into a full inbox: %v", err)
	}
}
