package server

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"seckill/internal/testkit/httpget"
)

const liveChangeConfig = `
[server]
listen = "LISTEN"
admin_listen = "ADMIN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "hmac"
secret = "` + testSecret + `"
[[activity]]
id = "live"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "s1"
  stock = 20
  quota_percent = 50
  [[activity.item]]
  sku = "s2"
  stock = 1000
[[activity]]
id = "early"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "e1"
  stock = 1000
`

// timedReply is one buyer's final answer, when the request that got it was
// sent and when the answer came.
type timedReply struct {
	uid            uint64
	sentAt, doneAt time.Time
	reply          buyReply
}

// burstBuy runs buyers uids on sku, at most 50 at a time, each retrying
// busy (buyUntilFinal), and calls progress after each final answer with the
// number so far. It returns the answers in the order they came.
func burstBuy(t *testing.T, addr, sku string, uids []uint64, progress func(n int)) []timedReply {
	t.Helper()
	var (
		mu   sync.Mutex
		out  []timedReply
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, 50)
	for _, uid := range uids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r, _, sent, err := buyUntilFinalAt(addr, sku, uid)
			mu.Lock()
			if err != nil {
				errs = append(errs, err)
			} else {
				out = append(out, timedReply{uid, sent, time.Now(), r})
			}
			n := len(out)
			mu.Unlock()
			if progress != nil && err == nil {
				progress(n)
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d buyers of %s failed, first: %v", len(errs), sku, errs[0])
	}
	return out
}

// onceAt returns a progress function that runs f (once, on its own
// goroutine, so the burst goes on meanwhile) when n answers have come, and
// a wait for f to have finished.
func onceAt(at int, f func()) (func(n int), func()) {
	var once sync.Once
	done := make(chan struct{})
	return func(n int) {
			if n >= at {
				once.Do(func() { go func() { defer close(done); f() }() })
			}
		}, func() {
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				panic("onceAt: the change never ran")
			}
		}
}

// TestLiveChangesDuringBursts changes a running sale through the admin API
// while buyers hammer it over real sockets — the stock raised after a sell
// out, a pause and a resume, an early end, a blocklist — and checks each
// from the buyers' answers; then restarts the engine on the same store,
// checks every change survived, and audits the store (the replay package,
// as seckill replay runs it): every check passes and the report lists each
// change.
func TestLiveChangesDuringBursts(t *testing.T) {
	dir := t.TempDir()
	adminAddr := freeAddr(t)
	cfg := strings.Replace(liveChangeConfig, "ADMIN", adminAddr, 1)
	admin := adminAPI(t, adminAddr, dir)
	post := func(target string) {
		t.Helper()
		if st, body := admin("POST", target, ""); st != 200 {
			t.Errorf("POST %s: %d %s", target, st, body)
		}
	}
	addr, stop := startServer(t, cfg, dir)

	// The stock of s1 (quota 20 × 50 % = 10) raised to 40 (quota 20) the
	// moment it sells out, while the first wave is still buying; a second
	// wave after it. Exactly 20 distinct buyers win, seqs 1..20.
	progress, raised := onceAt(1, func() {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if liveStockOf(t, addr, "s1").State == "sold_out" {
				break
			}
			time.Sleep(time.Millisecond)
		}
		post("/admin/stock?activity=live&sku=s1&stock=40")
	})
	answers := burstBuy(t, addr, "s1", uidRange(1, 300), progress)
	raised()
	answers = append(answers, burstBuy(t, addr, "s1", uidRange(301, 100), nil)...)
	winners, seqs := map[uint64]bool{}, map[uint64]bool{}
	for _, a := range answers {
		switch a.reply.Result {
		case "won":
			if winners[a.uid] || seqs[a.reply.Seq] || a.reply.Seq < 1 || a.reply.Seq > 20 {
				t.Fatalf("uid %d won seq %d: a uid or seq twice, or beyond the new quota", a.uid, a.reply.Seq)
			}
			winners[a.uid], seqs[a.reply.Seq] = true, true
		case "sold_out":
		default:
			t.Fatalf("uid %d on s1: %q", a.uid, a.reply.Result)
		}
	}
	if len(winners) != 20 {
		t.Fatalf("%d distinct winners after the stock was raised to quota 20, want exactly 20", len(winners))
	}
	if st := liveStockOf(t, addr, "s1"); st.State != "sold_out" || st.Remaining != 0 {
		t.Fatalf("/stock of s1 after the second sell-out: %+v", st)
	}

	// s2 paused mid-burst, then resumed: every buy sent after the pause's
	// answer and answered before the resume's request is refused
	// unavailable; buys go on winning after the resume.
	var pausedAt, resumeAt time.Time
	progress, resumed := onceAt(40, func() {
		post("/admin/pause?activity=live&sku=s2")
		pausedAt = time.Now()
		// One buy of our own while paused, so the window is never empty
		// however slow the machine; the burst's go on meanwhile.
		if r, _, err := buyUntilFinal(addr, "s2", 2999); err != nil || r.Result != "unavailable" {
			t.Errorf("a buy while paused: %q %v", r.Result, err)
		}
		time.Sleep(50 * time.Millisecond)
		resumeAt = time.Now()
		post("/admin/resume?activity=live&sku=s2")
	})
	answers = burstBuy(t, addr, "s2", uidRange(2001, 400), progress)
	resumed()
	if r, _, err := buyUntilFinal(addr, "s2", 2500); err != nil || r.Result != "won" {
		t.Fatalf("a buy after the resume: %v %v", r.Result, err)
	}
	inPause := 0
	for _, a := range answers {
		if a.sentAt.After(pausedAt) && a.doneAt.Before(resumeAt) {
			inPause++
			if a.reply.Result != "unavailable" {
				t.Fatalf("uid %d sent during the pause: %q", a.uid, a.reply.Result)
			}
		}
	}
	t.Logf("%d burst buys sent and answered during the pause", inPause)

	// The early round ended mid-burst: every buy sent after the end's
	// answer hears ended, and /stock says so.
	var endedAt time.Time
	progress, ended := onceAt(40, func() {
		post("/admin/end?activity=early")
		endedAt = time.Now()
	})
	answers = burstBuy(t, addr, "e1", uidRange(3001, 400), progress)
	ended()
	answers = append(answers, burstBuy(t, addr, "e1", uidRange(3401, 20), nil)...)
	wonBefore := 0
	for _, a := range answers {
		switch {
		case a.sentAt.After(endedAt) && a.reply.Result != "ended":
			t.Fatalf("uid %d sent after the end: %q", a.uid, a.reply.Result)
		case a.reply.Result == "won":
			wonBefore++
		}
	}
	if wonBefore == 0 {
		t.Fatal("nobody won e1 before the end: the end was not mid-burst")
	}
	if st := liveStockOf(t, addr, "e1"); st.State != "ended" {
		t.Fatalf("/stock of e1 after the end: %+v", st)
	}

	// A blocklist set while serving.
	if st, body := admin("PUT", "/admin/blocklist", `{"uids":[5000]}`); st != 200 {
		t.Fatalf("PUT /admin/blocklist: %d %s", st, body)
	}
	if r, _, _ := buyUntilFinal(addr, "s2", 5000); r.Result != "blocked" {
		t.Fatalf("blocked uid: %q", r.Result)
	}
	stop()
	checkChangesAudited(t, dir)

	// Every change survives a restart on the same store and file.
	addr, stop = startServer(t, cfg, dir)
	if st := liveStockOf(t, addr, "s1"); st.State != "sold_out" || st.Remaining != 0 {
		t.Fatalf("/stock of s1 after the restart: %+v", st)
	}
	if r, _, _ := buyUntilFinal(addr, "s1", 9001); r.Result != "sold_out" {
		t.Fatalf("s1 after the restart: %q", r.Result)
	}
	if st, body := admin("GET", "/admin/stats", ""); st != 200 || !strings.Contains(body, `"sku":"s1","state":"sold_out","quota":20,"remaining":0`) {
		t.Fatalf("stats after the restart: %d %s", st, body)
	}
	if r, _, _ := buyUntilFinal(addr, "e1", 9002); r.Result != "ended" {
		t.Fatalf("e1 after the restart: %q", r.Result)
	}
	if r, _, _ := buyUntilFinal(addr, "s2", 9003); r.Result != "won" {
		t.Fatalf("s2 after the restart: %q", r.Result)
	}
	if r, _, _ := buyUntilFinal(addr, "s2", 5000); r.Result != "blocked" {
		t.Fatalf("blocked uid after the restart: %q", r.Result)
	}
	if st, body := admin("GET", "/admin/blocklist", ""); st != 200 || strings.TrimSpace(body) != `{"uids":[5000],"addrs":[]}` {
		t.Fatalf("blocklist after the restart: %d %s", st, body)
	}
	stop()
	checkChangesAudited(t, dir)
}

type liveStockReply struct {
	State     string `json:"state"`
	Remaining int64  `json:"remaining"`
}

func liveStockOf(t *testing.T, addr, sku string) liveStockReply {
	t.Helper()
	resp, err := httpget.Get(addr, "/stock?sku="+sku, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var r liveStockReply
	if err := json.Unmarshal(resp.Body, &r); err != nil {
		t.Fatalf("/stock body %q: %v", resp.Body, err)
	}
	return r
}

// checkChangesAudited audits the stopped engine's store: every check
// passes, and the report lists the changes the test made, each on its
// SKUs.
func checkChangesAudited(t *testing.T, dir string) {
	t.Helper()
	rep := auditDir(t, filepath.Join(dir, "data"))
	if !rep.OK {
		t.Fatalf("audit after the live changes failed: %+v", rep.Checks)
	}
	got := map[string][]string{}
	for _, c := range rep.Changes {
		got[c.SKU] = append(got[c.SKU], c.Kind+"/"+c.Source)
	}
	want := map[string][]string{
		"s1": {"set_stock/operator", "blocklist/operator"},
		"s2": {"pause/operator", "resume/operator", "blocklist/operator"},
		"e1": {"end_now/operator", "blocklist/operator"},
	}
	for sku, kinds := range want {
		if !slices.Equal(got[sku], kinds) {
			t.Errorf("changes of %s in the audit: %v, want %v", sku, got[sku], kinds)
		}
	}
	for _, r := range rep.SKUs {
		if r.SKU == "s1" && (r.Stock != 40 || r.Quota != 20 || r.Winners != 20) {
			t.Errorf("audit row of s1: %+v", r)
		}
	}
	if t.Failed() {
		t.Log(fmt.Sprintf("%+v", rep.Changes))
	}
}
