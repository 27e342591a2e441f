package netpoll

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/live/gate"
	"seckill/internal/live/shardloop"
	"seckill/wal"
)

// rig is a real front end on loopback over one SKU ("s1", quota 1000,
// uid= trusted), with the real gate, shard loop and store behind it.
type rig struct {
	srv  *Server
	addr string
	loop *shardloop.Loop
	run  func() // starts the shard loop once; a held shard only queues
}

type rigOptions struct {
	idle     time.Duration
	maxConns int
	queue    int
	held     bool // do not start the shard loop yet
	batchMax int  // the shard's batch limit; 0 = 16
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	if o.idle == 0 {
		o.idle = 5 * time.Second
	}
	if o.maxConns == 0 {
		o.maxConns = 256
	}
	if o.queue == 0 {
		o.queue = 256
	}
	if o.batchMax == 0 {
		o.batchMax = 16
	}
	log, err := wal.Open(t.TempDir(), wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Second)
	rs := gate.RouteSpec{Activity: "act", SKU: "s1", Quota: 1000, StartUnixNano: start.UnixNano(), EndUnixNano: start.Add(time.Hour).UnixNano()}
	spec := engine.Spec{Activity: rs.Activity, SKU: rs.SKU, Quota: 1000, StartUnixNano: rs.StartUnixNano, EndUnixNano: rs.EndUnixNano}
	loop := shardloop.New(engine.NewShard(spec, engine.NewTicketSigner([]byte("k")), nil, nil), log, o.queue, o.batchMax, func() int64 { return time.Now().UnixNano() })
	started := make(chan struct{})
	r := &rig{loop: loop}
	r.run = func() {
		select {
		case <-started:
		default:
			close(started)
			go loop.Run()
		}
	}
	if !o.held {
		r.run()
	}
	g := gate.New(gate.Options{AuthNone: true, RetryAfter: time.Second, MaxNameBytes: 64}, []*gate.Route{gate.NewRoute(rs, loop)})
	r.addr = "127.0.0.1:" + strconv.Itoa(freePort(t))
	r.srv = New(Options{
		Addr:           "tcp://" + r.addr,
		Gate:           g,
		ReadBuffer:     1024,
		MaxHeadBytes:   8192,
		IdleTimeout:    o.idle,
		MaxConnections: o.maxConns,
		Logger:         slog.New(slog.DiscardHandler),
	})
	errc := make(chan error, 1)
	go func() { errc <- r.srv.Run() }()
	select {
	case <-r.srv.Booted():
	case err := <-errc:
		t.Fatalf("front end did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("front end did not boot")
	}
	t.Cleanup(func() {
		if !r.srv.stopping.Load() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := r.srv.Stop(ctx); err != nil {
				t.Errorf("stop: %v", err)
			}
		}
		if err := <-errc; err != nil {
			t.Errorf("run: %v", err)
		}
		r.run() // a held loop must run to see its Close
		loop.Close()
		<-loop.Done()
		log.Close()
	})
	return r
}

// freePort returns a loopback port nobody listens on; gnet opens one
// SO_REUSEPORT listener per event loop, so port 0 cannot be used.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (r *rig) dial(t *testing.T) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", r.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// readAll reads the answer up to the server's close.
func readAll(t *testing.T, c net.Conn) string {
	t.Helper()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, b)
	}
	return string(b)
}

func buyHead(uid int) string {
	return "GET /buy?sku=s1&uid=" + strconv.Itoa(uid) + " HTTP/1.1\r\nHost: x\r\n\r\n"
}

// result is the "result" value of an answer, or the whole answer when it
// has none.
func result(resp string) string {
	_, after, ok := strings.Cut(resp, `"result":"`)
	if !ok {
		return resp
	}
	name, _, _ := strings.Cut(after, `"`)
	return name
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
