package gate

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/live/token"
)

// chanReplier hands the shard's decision for one request to the test,
// labelled with the request's uid.
type chanReplier struct {
	uid uint64
	c   chan taggedDecision
}

type taggedDecision struct {
	tag uint64
	d   engine.Decision
}

func (r chanReplier) Reply(d *engine.Decision) { r.c <- taggedDecision{r.uid, *d} }

// TestOneAttemptInFlightPerUID: while a uid's attempt waits in its shard's
// inbox, the same uid's next attempt (buy or lookup) gets busy although the
// inbox has room, so the busy is the in-flight rule's and not tier 2's; the
// uid may try again once the first is answered, and a refusal by a full inbox
// does not leave its uid marked in flight.
func TestOneAttemptInFlightPerUID(t *testing.T) {
	g, loop := newGateQueue(t, 2)
	client := netip.MustParseAddr("127.0.0.1")
	now := time.Now().UnixNano()
	exp := time.Now().Add(time.Hour).Unix()
	replies := make(chan taggedDecision, 4)
	pending := map[uint64]*Pending{}
	serve := func(path string, uid uint64) (string, bool) {
		t.Helper()
		p := new(Pending)
		tok := token.Mint([]byte(secret), uid, exp)
		resp, queued := g.Serve(parse(t, path+"?sku=s1&token="+tok), client, now, chanReplier{uid, replies}, p, nil)
		if queued {
			pending[uid] = p
		}
		return string(resp), queued
	}
	wantBusy := func(what, resp string, queued bool) {
		t.Helper()
		if queued || !strings.Contains(resp, `"result":"busy"`) || !strings.HasPrefix(resp, "HTTP/1.1 429 ") {
			t.Fatalf("%s: queued=%v, %q; want busy", what, queued, resp)
		}
	}

	if _, queued := serve("/buy", 7); !queued {
		t.Fatal("uid 7's first attempt not queued")
	}
	// The inbox has one free slot: only the in-flight rule refuses these.
	resp, queued := serve("/buy", 7)
	wantBusy("uid 7's second buy while the first is queued", resp, queued)
	resp, queued = serve("/result", 7)
	wantBusy("uid 7's lookup while its buy is queued", resp, queued)

	if _, queued := serve("/buy", 8); !queued {
		t.Fatal("uid 8 not queued into the inbox's second slot")
	}
	resp, queued = serve("/buy", 9)
	wantBusy("uid 9 with the inbox full", resp, queued)

	// Let the shard answer both; the front end then calls Answer.
	go loop.Run()
	t.Cleanup(func() { loop.Close(); <-loop.Done() })
	for range 2 {
		r := <-replies
		out := string(g.Answer(pending[r.tag], &r.d, nil))
		if !strings.Contains(out, `"result":"won"`) {
			t.Fatalf("uid %d: %s", r.tag, out)
		}
	}
	for _, uid := range []uint64{7, 9} {
		resp, queued := serve("/buy", uid)
		if !queued {
			t.Fatalf("uid %d after its attempt was answered (or refused): %q, want queued", uid, resp)
		}
		r := <-replies
		out := string(g.Answer(pending[r.tag], &r.d, nil))
		want := map[uint64]string{7: "already_won", 9: "won"}[uid]
		if !strings.Contains(out, `"result":"`+want+`"`) {
			t.Fatalf("uid %d: %s, want %s", uid, out, want)
		}
	}
}
