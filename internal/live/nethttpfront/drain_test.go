package nethttpfront

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/live/gate"
	"seckill/internal/live/shardloop"
	"seckill/internal/testkit/testnet"
	"seckill/wal"
)

// TestDrainAnswersEveryQueuedAttempt: many attempts wait on a shard that
// is not running yet when the drain starts. Drain returns only once each
// answer is in its socket, so the Stop that follows (which closes every
// connection) loses none; a request during the drain hears unavailable.
func TestDrainAnswersEveryQueuedAttempt(t *testing.T) {
	const clients = 100
	log, err := wal.Open(t.TempDir(), wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	start := time.Now().Add(-time.Second)
	rs := gate.RouteSpec{Activity: "act", SKU: "s1", Quota: 1000, StartUnixNano: start.UnixNano(), EndUnixNano: start.Add(time.Hour).UnixNano()}
	spec := engine.Spec{Activity: rs.Activity, SKU: rs.SKU, Quota: 1000, StartUnixNano: rs.StartUnixNano, EndUnixNano: rs.EndUnixNano}
	loop := shardloop.New(engine.NewShard(spec, engine.NewTicketSigner([]byte("k")), nil, nil), log, clients, 16, func() int64 { return time.Now().UnixNano() })
	g := gate.New(gate.Options{AuthNone: true, RetryAfter: time.Second, MaxNameBytes: 64}, []*gate.Route{gate.NewRoute(rs, loop)})
	addr := testnet.FreeAddr(t)
	srv := New(Options{Addr: addr, Gate: g, MaxHeadBytes: 8192, IdleTimeout: 5 * time.Second, MaxConnections: 1000, Logger: slog.New(slog.DiscardHandler)})
	runErr := make(chan error, 1)
	go func() { runErr <- srv.Run() }()
	<-srv.Booted()
	loopStarted := false
	defer func() {
		if !loopStarted {
			go loop.Run()
		}
		loop.Close()
		<-loop.Done()
	}()

	buy := func(uid int) net.Conn {
		t.Helper()
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := fmt.Fprintf(c, "GET /buy?sku=s1&uid=%d HTTP/1.1\r\nHost: x\r\n\r\n", uid); err != nil {
			t.Fatal(err)
		}
		return c
	}
	result := func(c net.Conn) string {
		t.Helper()
		b, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("read: %v (got %q)", err, b)
		}
		_, after, ok := strings.Cut(string(b), `"result":"`)
		if !ok {
			return string(b)
		}
		name, _, _ := strings.Cut(after, `"`)
		return name
	}
	conns := make([]net.Conn, clients)
	for i := range conns {
		conns[i] = buy(1000 + i)
		defer conns[i].Close()
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitFor("every attempt queued", func() bool { return srv.queued.Load() == clients })

	drained := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		drained <- srv.Drain(ctx)
	}()
	waitFor("the drain to begin", srv.draining.Load)
	late := buy(5)
	defer late.Close()
	if got := result(late); got != "unavailable" {
		t.Fatalf("request during the drain: %s, want unavailable", got)
	}
	select {
	case err := <-drained:
		t.Fatalf("drain returned with %d attempts queued: %v", srv.queued.Load(), err)
	case <-time.After(50 * time.Millisecond):
	}
	loopStarted = true
	go loop.Run()
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
	// Stop at once, as the server's shutdown does; then read.
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-runErr; err != nil {
		t.Fatalf("run: %v", err)
	}
	for i, c := range conns {
		if got := result(c); got != "won" {
			t.Fatalf("client %d: %q, want won", i, got)
		}
	}
}
