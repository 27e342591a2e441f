package gate

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/live/shardloop"
	"seckill/internal/live/uidset"
	"seckill/wal"
)

type decisionChan chan engine.Decision

func (r decisionChan) Reply(d *engine.Decision) { r <- *d }

// TestReservationPreFilterKeepsWinners: after a new reservation list leaves
// out a winner, the gate's pre-filters still answer each buy as SPEC's
// order of checks does (already_won, then not_reserved, then sold_out),
// whether the gate answers itself or hands the attempt to the shard, before
// and after the SKU sells out.
func TestReservationPreFilterKeepsWinners(t *testing.T) {
	log, err := wal.Open(t.TempDir(), wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	start := time.Now().Add(-time.Second)
	rs := RouteSpec{Activity: "act", SKU: "s1", Quota: 3, StartUnixNano: start.UnixNano(), EndUnixNano: start.Add(time.Hour).UnixNano()}
	spec := engine.Spec{Activity: rs.Activity, SKU: rs.SKU, Quota: 3, StartUnixNano: rs.StartUnixNano, EndUnixNano: rs.EndUnixNano, ReservationRequired: true}
	first := uidset.FromSlice([]uint64{1, 2, 3})
	loop := shardloop.New(engine.NewShard(spec, engine.NewTicketSigner([]byte("k")), nil, first), log, 16, 16, func() int64 { return time.Now().UnixNano() })
	loop.Recovered()
	go loop.Run()
	t.Cleanup(func() { loop.Close(); <-loop.Done() })
	opts := testOptions()
	opts.AuthNone = true
	g := New(opts, []*Route{NewRoute(rs, loop)})

	buy := func(uid uint64) string {
		t.Helper()
		replies := make(decisionChan, 1)
		var p Pending
		out, queued := g.Serve(parse(t, "/buy?sku=s1&uid="+strconv.FormatUint(uid, 10)), netip.MustParseAddr("127.0.0.1"), time.Now().UnixNano(), replies, &p, nil)
		if queued {
			d := <-replies
			out = g.Answer(&p, &d, nil)
		}
		return string(out)
	}
	for _, uid := range []uint64{1, 2} {
		if resp := buy(uid); !strings.Contains(resp, `"result":"won"`) {
			t.Fatalf("uid %d under the first list: %s", uid, resp)
		}
	}
	second := uidset.FromSlice([]uint64{2, 4, 6})
	res, err := loop.Control(context.Background(), engine.Control{Kind: engine.ControlReservations, Digest: second.Digest(), Num: uint64(second.Len()), Set: second})
	if err != nil || res.Verdict != engine.ControlApplied {
		t.Fatalf("swap: %v %v", res.Verdict, err)
	}
	cases := []struct {
		uid  uint64
		why  string
		want engine.Result
	}{
		{1, "winner the new list leaves out", engine.AlreadyWon},
		{2, "winner still listed", engine.AlreadyWon},
		{3, "listed only before the swap", engine.NotReserved},
		{4, "listed only after the swap: the last unit", engine.Won},
		{5, "never listed", engine.NotReserved},
		// Sold out from here: the gate answers from the frozen winners.
		{1, "sold out, winner the new list leaves out", engine.AlreadyWon},
		{4, "sold out, winner listed", engine.AlreadyWon},
		{3, "sold out, listed only before the swap", engine.NotReserved},
		{5, "sold out, never listed", engine.NotReserved},
		{6, "sold out, listed", engine.SoldOut},
	}
	for _, c := range cases {
		if resp := buy(c.uid); !strings.Contains(resp, `"result":"`+c.want.String()+`"`) {
			t.Errorf("uid %d (%s): want %s, got %s", c.uid, c.why, c.want, resp)
		}
	}
	if !loop.Public().SoldOut() {
		t.Fatal("the cases after the last unit did not meet a sold-out shard")
	}
}
