package gate

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/live/shardloop"
	"seckill/wal"
)

// newTestRoute is a route of (activity, sku) over a loop that is not
// running.
func newTestRoute(t testing.TB, store *wal.Log, activity, sku string, start, end time.Time) *Route {
	rs := RouteSpec{Activity: activity, SKU: sku, Quota: 5, StartUnixNano: start.UnixNano(), EndUnixNano: end.UnixNano(),
		Settings: Settings{FailText: "gone"}}
	spec := engine.Spec{Activity: activity, SKU: sku, Quota: 5, StartUnixNano: rs.StartUnixNano, EndUnixNano: rs.EndUnixNano}
	loop := shardloop.New(engine.NewShard(spec, engine.NewTicketSigner([]byte("k")), nil, nil), store, 1, 16, func() int64 { return time.Now().UnixNano() })
	loop.Recovered()
	return NewRoute(rs, loop)
}

// TestAddRoutesWhileServing adds rounds while other goroutines (the event
// loops) answer /stock: under the race detector this proves the table swap
// safe without a lock on the hot path. Every added route is found once
// added; a SKU's later round takes over when the earlier one ends; the
// first table's readers keep theirs.
func TestAddRoutesWhileServing(t *testing.T) {
	g, _ := newGate(t)
	store, err := wal.Open(t.TempDir(), wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now()
	before := g.Routes()

	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]byte, 0, 1024)
			var p Pending
			for i := 0; !stop.Load(); i++ {
				target := fmt.Sprintf("/stock?sku=n%d", i%20)
				g.Serve(parse(t, target), netip.Addr{}, now.UnixNano(), nopReplier{}, &p, out[:0])
			}
		}()
	}
	for i := range 20 {
		g.AddRoutes([]*Route{newTestRoute(t, store, fmt.Sprintf("r%d", i), fmt.Sprintf("n%d", i), now.Add(-time.Minute), now.Add(time.Hour))})
	}
	stop.Store(true)
	wg.Wait()

	if len(before) != 1 || len(g.Routes()) != 21 {
		t.Fatalf("routes before %d, after %d", len(before), len(g.Routes()))
	}
	var p Pending
	for i := range 20 {
		resp, _ := g.Serve(parse(t, fmt.Sprintf("/stock?sku=n%d", i)), netip.Addr{}, now.UnixNano(), nopReplier{}, &p, nil)
		if !strings.Contains(string(resp), fmt.Sprintf(`"activity":"r%d"`, i)) {
			t.Fatalf("n%d after it was added: %s", i, resp)
		}
	}

	// A second round of s1, after the first ends (an hour from its start).
	first := g.Routes()[0]
	g.AddRoutes([]*Route{newTestRoute(t, store, "later", "s1", time.Unix(0, first.EndUnixNano), time.Unix(0, first.EndUnixNano).Add(time.Hour))})
	for _, tc := range []struct {
		at   int64
		want string
	}{
		{now.UnixNano(), `"activity":"act"`},
		{first.EndUnixNano, `"activity":"later"`},
	} {
		resp, _ := g.Serve(parse(t, "/stock?sku=s1"), netip.Addr{}, tc.at, nopReplier{}, &p, nil)
		if !strings.Contains(string(resp), tc.want) {
			t.Fatalf("s1 at %d: %s, want %s", tc.at, resp, tc.want)
		}
	}
}

// TestSetSettingsWhileServing: a route's texts and tier 1 rate change for
// the answers given after SetSettings.
func TestSetSettingsWhileServing(t *testing.T) {
	g, _ := newGate(t)
	r := g.Routes()[0]
	d := engine.Decision{Result: engine.SoldOut}
	p := Pending{route: r, uid: 9, kind: engine.Buy}
	if resp := g.Answer(&p, &d, nil); strings.Contains(string(resp), "next time") {
		t.Fatalf("before: %s", resp)
	}
	r.SetSettings(Settings{FailText: "next time", DeliveryHint: "tomorrow", AdmitPerSec: 3})
	if resp := g.Answer(&p, &d, nil); !strings.Contains(string(resp), `"message":"next time"`) {
		t.Fatalf("after: %s", resp)
	}
	d = engine.Decision{Result: engine.Won, Seq: 1}
	if resp := g.Answer(&p, &d, nil); !strings.Contains(string(resp), `"hint":"tomorrow"`) {
		t.Fatalf("won after: %s", resp)
	}
	if r.Settings().AdmitPerSec != 3 {
		t.Fatalf("admit_per_sec %d", r.Settings().AdmitPerSec)
	}
}
