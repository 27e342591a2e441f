package server

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"seckill/internal/testkit/httpget"
)

// economicsConfig is the seed's admin screen in small: stock 10 at a cart
// percentage of 300, so 30 qualifications; WAITLIST is replaced per test.
const economicsConfig = `
[server]
listen = "LISTEN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "hmac"
secret = "` + testSecret + `"
[[activity]]
id = "econ"
start = "now"
end = "+1h"
fail_text = "gone"
  [[activity.item]]
  sku = "redmi"
  stock = 10
  quota_percent = 300
  waitlist = WAITLIST
`

// burst has uids first..first+n-1 each buy sku once over its own socket,
// all at once, retrying busy, and returns their final replies by uid.
func burst(t *testing.T, addr, sku string, first, n uint64) map[uint64]buyReply {
	t.Helper()
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		replies = map[uint64]buyReply{}
	)
	sem := make(chan struct{}, 200)
	for uid := first; uid < first+n; uid++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r, _, err := buyUntilFinal(addr, sku, uid)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			replies[uid] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return replies
}

// TestOverbookingOverSockets: stock 10 at 300 % issues exactly 30
// qualifications, to 30 distinct users, with seqs 1..30, under a burst of
// 200 concurrent buyers.
func TestOverbookingOverSockets(t *testing.T) {
	addr, stop := startServer(t, withWaitlist(economicsConfig, 0), t.TempDir())
	defer stop()
	replies := burst(t, addr, "redmi", 1, 200)
	seqs := map[uint64]uint64{}
	for uid, r := range replies {
		switch r.Result {
		case "won":
			if prev, dup := seqs[r.Seq]; dup {
				t.Errorf("seq %d won by uid %d and %d", r.Seq, prev, uid)
			}
			seqs[r.Seq] = uid
		case "sold_out":
		default:
			t.Errorf("uid %d: %+v", uid, r)
		}
	}
	if len(seqs) != 30 {
		t.Fatalf("%d winners; want 30 (stock 10 × 300 %%)", len(seqs))
	}
	for seq := uint64(1); seq <= 30; seq++ {
		if _, ok := seqs[seq]; !ok {
			t.Errorf("seq %d missing", seq)
		}
	}
}

func withWaitlist(cfg string, n int) string {
	return strings.ReplaceAll(cfg, "WAITLIST", strconv.Itoa(n))
}

// TestWaitlistOverSockets: with a waitlist of 3, a burst of 100 gets 30
// wins, positions 1..3 and sold_out for the rest; then, one by one, more
// buyers hear sold_out and the waitlisted users' retries keep their places
// (202 with the same position).
func TestWaitlistOverSockets(t *testing.T) {
	addr, stop := startServer(t, withWaitlist(economicsConfig, 3), t.TempDir())
	defer stop()
	replies := burst(t, addr, "redmi", 1, 100)
	won, positions := 0, map[uint64]uint64{}
	for uid, r := range replies {
		switch r.Result {
		case "won":
			won++
		case "waitlisted":
			if prev, dup := positions[r.Position]; dup || r.Position < 1 || r.Position > 3 {
				t.Errorf("uid %d waitlisted at %d (uid %d has it too)", uid, r.Position, prev)
			}
			positions[r.Position] = uid
		case "sold_out":
		default:
			t.Errorf("uid %d: %+v", uid, r)
		}
	}
	if won != 30 || len(positions) != 3 {
		t.Fatalf("%d won, %d waitlisted; want 30 and 3", won, len(positions))
	}
	for pos, uid := range positions {
		resp, err := httpget.Get(addr, "/buy?sku=redmi&token="+tokenFor(uid), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var r buyReply
		if err := json.Unmarshal(resp.Body, &r); err != nil || resp.Status != 202 || r.Result != "waitlisted" || r.Position != pos {
			t.Errorf("retry of waitlisted uid %d: %d %s", uid, resp.Status, resp.Body)
		}
	}
	if r, status, err := buyUntilFinal(addr, "redmi", 1000); err != nil || r.Result != "sold_out" || status != 410 {
		t.Errorf("buyer past the waitlist: %+v %d %v", r, status, err)
	}
}

// TestWaitlistPositionsInAnswerOrder: buyers arriving one after another
// past the quota get positions 1, 2, 3 in the order they were answered.
func TestWaitlistPositionsInAnswerOrder(t *testing.T) {
	addr, stop := startServer(t, withWaitlist(economicsConfig, 3), t.TempDir())
	defer stop()
	burst(t, addr, "redmi", 1, 30)
	for i, want := range []string{"waitlisted", "waitlisted", "waitlisted", "sold_out"} {
		r, _, err := buyUntilFinal(addr, "redmi", uint64(100+i))
		if err != nil || r.Result != want || (want == "waitlisted" && r.Position != uint64(i+1)) {
			t.Fatalf("buyer %d: %+v %v; want %s at %d", i, r, err, want, i+1)
		}
	}
}
