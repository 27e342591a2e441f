package gate

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"seckill/engine"
	"seckill/httpmin"
	"seckill/internal/live/shardloop"
	"seckill/internal/live/token"
	"seckill/wal"
)

const secret = "gate-test-secret-0123456789"

type nopReplier struct{}

func (nopReplier) Reply(*engine.Decision) {}

// newGate returns a gate over one SKU with the given stock; its loop is not
// running, so queued attempts stay in the inbox (queue = 1).
func newGate(t testing.TB) (*Gate, *shardloop.Loop) {
	t.Helper()
	return newGateQueue(t, 1)
}

// newGateQueue is newGate with an inbox of queue attempts.
func newGateQueue(t testing.TB, queue int) (*Gate, *shardloop.Loop) {
	t.Helper()
	return newGateWith(t, queue, nil)
}

// newGateWith is newGateQueue with options changed by set.
func newGateWith(t testing.TB, queue int, set func(*Options)) (*Gate, *shardloop.Loop) {
	t.Helper()
	log, err := wal.Open(t.TempDir(), wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	start := time.Now().Add(-time.Second)
	rs := RouteSpec{Activity: "act", SKU: "s1", Quota: 5, StartUnixNano: start.UnixNano(), EndUnixNano: start.Add(time.Hour).UnixNano()}
	spec := engine.Spec{Activity: rs.Activity, SKU: rs.SKU, Quota: 5, StartUnixNano: rs.StartUnixNano, EndUnixNano: rs.EndUnixNano}
	loop := shardloop.New(engine.NewShard(spec, engine.NewTicketSigner([]byte("k")), nil, nil), log, queue, 16, func() int64 { return time.Now().UnixNano() })
	opts := testOptions()
	if set != nil {
		set(&opts)
	}
	return New(opts, []*Route{NewRoute(rs, loop)}), loop
}

// testOptions are a gate's options with token auth on secret.
func testOptions() Options {
	return Options{Secret: []byte(secret), TokenMaxTTL: 24 * time.Hour, RetryAfter: time.Second, MaxNameBytes: 64}
}

func parse(t testing.TB, target string) *httpmin.Request {
	t.Helper()
	var req httpmin.Request
	if o := req.Parse([]byte("GET "+target+" HTTP/1.1\r\n\r\n"), 1024); o != httpmin.Complete {
		t.Fatalf("parse %s: %v", target, o)
	}
	return &req
}

// TestHotPathsDoNotAllocate: the answers the event loop gives itself, and
// the encoding of a shard's decision, allocate nothing.
func TestHotPathsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	g, _ := newGate(t)
	now := time.Now().UnixNano()
	good := token.Mint([]byte(secret), 7, time.Now().Add(time.Hour).Unix())
	client := netip.MustParseAddr("127.0.0.1")
	out := make([]byte, 0, 2048)
	var p Pending
	// Fill the inbox (queue = 1) so that the next attempt meets tier 2.
	if _, queued := g.Serve(parse(t, "/buy?sku=s1&token="+good), client, now, nopReplier{}, &p, out[:0]); !queued {
		t.Fatal("first attempt not queued")
	}
	other := token.Mint([]byte(secret), 8, time.Now().Add(time.Hour).Unix())
	cases := []struct{ name, target, want string }{
		{"unauthorized", "/buy?sku=s1&token=8.1.00", "unauthorized"},
		{"unknown sku", "/buy?sku=zz&token=" + good, "unknown_sku"},
		{"stock", "/stock?sku=s1", `"state":"on_sale"`},
		{"uid in flight", "/buy?sku=s1&token=" + good, "busy"},
		{"inbox full", "/buy?sku=s1&token=" + other, "busy"},
	}
	for _, c := range cases {
		req := parse(t, c.target)
		var resp []byte
		allocs := testing.AllocsPerRun(200, func() {
			resp, _ = g.Serve(req, client, now, nopReplier{}, &p, out[:0])
		})
		if !strings.Contains(string(resp), c.want) {
			t.Fatalf("%s: %s", c.name, resp)
		}
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per Serve", c.name, allocs)
		}
	}
	d := engine.Decision{Result: engine.Won, Seq: 3, TimeUnixNano: now}
	pend := Pending{route: g.Routes()[0], uid: 9, kind: engine.Buy}
	var resp []byte
	if a := testing.AllocsPerRun(200, func() { resp = g.Answer(&pend, &d, out[:0]) }); a != 0 {
		t.Errorf("Answer(won): %.1f allocations", a)
	}
	if !strings.Contains(string(resp), `"result":"won"`) || !strings.HasPrefix(string(resp), "HTTP/1.1 200 OK\r\n") {
		t.Fatalf("won: %s", resp)
	}
}

func BenchmarkServeUnauthorized(b *testing.B) {
	g, _ := newGate(b)
	req := parse(b, "/buy?sku=s1&token=8.1.0123456789abcdef0123456789abcdef")
	out := make([]byte, 0, 2048)
	var p Pending
	now := time.Now().UnixNano()
	b.ReportAllocs()
	for b.Loop() {
		g.Serve(req, netip.Addr{}, now, nopReplier{}, &p, out[:0])
	}
}

func BenchmarkAnswerWon(b *testing.B) {
	g, _ := newGate(b)
	out := make([]byte, 0, 2048)
	d := engine.Decision{Result: engine.Won, Seq: 3}
	p := Pending{route: g.Routes()[0], uid: 9}
	b.ReportAllocs()
	for b.Loop() {
		g.Answer(&p, &d, out[:0])
	}
}
