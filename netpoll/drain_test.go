package netpoll

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestDrainAnswersEveryQueuedAttempt queues many attempts on a held shard,
// starts the drain, then lets the shard decide: Drain returns only once
// every answer is written, so the Stop that follows loses none (it would
// otherwise close connections whose replies still wait in their loop's
// reply queue). A request during the drain gets unavailable.
func TestDrainAnswersEveryQueuedAttempt(t *testing.T) {
	const clients = 100
	r := newRig(t, rigOptions{held: true, queue: clients})
	conns := make([]net.Conn, clients)
	for i := range conns {
		conns[i] = r.dial(t)
		if _, err := conns[i].Write([]byte(buyHead(1000 + i))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every attempt queued", func() bool { return r.srv.queued.Load() == clients })

	drained := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		drained <- r.srv.Drain(ctx)
	}()
	waitFor(t, "the drain to begin", r.srv.draining.Load)
	late := r.dial(t)
	if _, err := late.Write([]byte(buyHead(5))); err != nil {
		t.Fatal(err)
	}
	if got := result(readAll(t, late)); got != "unavailable" {
		t.Fatalf("request during the drain: %s, want unavailable", got)
	}
	select {
	case err := <-drained:
		t.Fatalf("drain returned with %d attempts queued: %v", r.srv.queued.Load(), err)
	case <-time.After(50 * time.Millisecond):
	}
	r.run()
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
	// Stop at once, as the server's shutdown does; then read.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for i, c := range conns {
		if got := result(readAll(t, c)); got != "won" {
			t.Fatalf("client %d: %q, want won", i, got)
		}
	}
}
