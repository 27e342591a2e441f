package server

import (
	"strconv"
	"strings"
	"sync"
	"testing"
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
