package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/config"
	"seckill/internal/live/token"
	"seckill/internal/testkit/httpget"
	"seckill/internal/testkit/testnet"
	"seckill/wal"
)

const testSecret = "0123456789abcdef0123456789abcdef"

func freeAddr(t *testing.T) string { return testnet.FreeAddr(t) }

type buyReply struct {
	Result string `json:"result"`
	SKU    string `json:"sku"`
	UID    uint64 `json:"uid"`
	Seq    uint64 `json:"seq"`
	Ticket string `json:"ticket"`
	// Position is a waitlisted answer's place.
	Position uint64 `json:"position"`
}

// startServer runs a server for cfgText in the background and returns its
// address and a function that stops it and waits.
func startServer(t *testing.T, cfgText string, dir string) (string, func()) {
	t.Helper()
	_, addr, stop := startEngine(t, cfgText, dir)
	return addr, stop
}

// startEngine is startServer that also returns the server, for tests that
// look at its state.
func startEngine(t *testing.T, cfgText string, dir string) (*Server, string, func()) {
	t.Helper()
	r := launch(t, cfgText, dir, wal.Options{})
	return r.srv, r.addr, func() {
		r.cancel()
		if err := <-r.done; err != nil {
			t.Errorf("run: %v", err)
		}
	}
}

// running is a server started by launch: cancel begins its shutdown, done
// yields Run's error once it has stopped.
type running struct {
	addr   string
	srv    *Server
	cancel context.CancelFunc
	done   chan error
}

// launch runs a server for cfgText (LISTEN and DATADIR replaced) over a
// store opened with storeOpts, and waits until it serves.
func launch(t *testing.T, cfgText string, dir string, storeOpts wal.Options) *running {
	t.Helper()
	return launchLogged(t, cfgText, dir, storeOpts, io.Discard)
}

// launchLogged is launch with the engine's log written to logTo as text.
func launchLogged(t *testing.T, cfgText string, dir string, storeOpts wal.Options, logTo io.Writer) *running {
	t.Helper()
	addr := freeAddr(t)
	cfgText = strings.ReplaceAll(cfgText, "LISTEN", addr)
	cfgText = strings.ReplaceAll(cfgText, "DATADIR", filepath.Join(dir, "data"))
	cfg, err := config.Parse([]byte(cfgText), dir, time.Now())
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	log := slog.New(slog.NewTextHandler(logTo, nil))
	storeOpts.Logger = pebbleLogger{log}
	srv, err := openWith(cfg, log, storeOpts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	r := &running{addr: addr, srv: srv, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- srv.Run(ctx, func(string) { close(ready) }) }()
	select {
	case <-ready:
	case err := <-r.done:
		t.Fatalf("run: %v", err)
	}
	return r
}

const e2eConfig = `
[server]
listen = "LISTEN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "hmac"
secret = "` + testSecret + `"
[[activity]]
id = "open1"
start = "now"
end = "+1h"
limit = "sku"
fail_text = "gone"
delivery_hint = "soon"
  [[activity.item]]
  sku = "a"
  stock = 50
  [[activity.item]]
  sku = "b"
  stock = 30
  [[activity.item]]
  sku = "c"
  stock = 40
  quota_percent = 50
[[activity]]
id = "resv"
start = "now"
end = "+1h"
reservation = "required"
reservations_file = "reserved.txt"
limit = "activity"
  [[activity.item]]
  sku = "r1"
  stock = 25
  [[activity.item]]
  sku = "r2"
  stock = 25
`

func tokenFor(uid uint64) string {
	return token.Mint([]byte(testSecret), uid, time.Now().Add(time.Hour).Unix())
}

// buyUntilFinal retries busy answers like a real client until a final answer.
func buyUntilFinal(addr, sku string, uid uint64) (buyReply, int, error) {
	r, status, _, err := buyUntilFinalAt(addr, sku, uid)
	return r, status, err
}

// buyUntilFinalAt is buyUntilFinal that also says when the request that
// got the final answer was sent.
func buyUntilFinalAt(addr, sku string, uid uint64) (buyReply, int, time.Time, error) {
	for attempt := 0; attempt < 200; attempt++ {
		sent := time.Now()
		resp, err := httpget.Get(addr, "/buy?sku="+sku+"&token="+tokenFor(uid), 5*time.Second)
		if err != nil {
			return buyReply{}, 0, sent, err
		}
		var r buyReply
		if err := json.Unmarshal(resp.Body, &r); err != nil {
			return r, resp.Status, sent, fmt.Errorf("body %q: %w", resp.Body, err)
		}
		if r.Result != "busy" {
			return r, resp.Status, sent, nil
		}
		time.Sleep(time.Duration(5+attempt) * time.Millisecond)
	}
	return buyReply{}, 0, time.Time{}, fmt.Errorf("uid %d sku %s: busy 200 times", uid, sku)
}

// TestBuyOverSockets fires thousands of concurrent buyers at a few SKUs over
// real loopback sockets and checks the sale's invariants from the responses
// and from the store.
func TestBuyOverSockets(t *testing.T) {
	dir := t.TempDir()
	var resv strings.Builder
	for uid := 1; uid <= 1500; uid++ {
		fmt.Fprintln(&resv, uid)
	}
	if err := os.WriteFile(filepath.Join(dir, "reserved.txt"), []byte(resv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, stop := startServer(t, e2eConfig, dir)

	quota := map[string]int{"a": 50, "b": 30, "c": 20, "r1": 25, "r2": 25}
	type outcome struct {
		sku    string
		uid    uint64
		reply  buyReply
		status int
	}
	var (
		mu       sync.Mutex
		outcomes []outcome
		errs     []error
	)
	sem := make(chan struct{}, 400)
	var wg sync.WaitGroup
	buy := func(sku string, uid uint64) {
		defer wg.Done()
		sem <- struct{}{}
		defer func() { <-sem }()
		r, status, err := buyUntilFinal(addr, sku, uid)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			return
		}
		outcomes = append(outcomes, outcome{sku, uid, r, status})
	}
	// 3000 buyers: uids 1..1500 are reserved; every uid tries one open SKU,
	// and the reserved activity is attacked by uids 1000..2000, each trying
	// both of its SKUs at the same time.
	for uid := uint64(1); uid <= 3000; uid++ {
		wg.Add(1)
		go buy([]string{"a", "b", "c"}[uid%3], uid)
	}
	for uid := uint64(1000); uid <= 2000; uid++ {
		wg.Add(2)
		go buy("r1", uid)
		go buy("r2", uid)
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d buyers failed, first: %v", len(errs), errs[0])
	}

	wins := map[string]map[uint64]buyReply{}
	resvWinner := map[uint64]string{}
	for _, o := range outcomes {
		switch o.reply.Result {
		case "won":
			if o.status != 200 || o.reply.UID != o.uid || o.reply.SKU != o.sku || len(o.reply.Ticket) != 32 {
				t.Fatalf("bad won reply %+v status %d for uid %d", o.reply, o.status, o.uid)
			}
			if wins[o.sku] == nil {
				wins[o.sku] = map[uint64]buyReply{}
			}
			if _, twice := wins[o.sku][o.uid]; twice {
				t.Fatalf("uid %d won %s twice", o.uid, o.sku)
			}
			wins[o.sku][o.uid] = o.reply
			if o.sku == "r1" || o.sku == "r2" {
				if other, ok := resvWinner[o.uid]; ok {
					t.Fatalf("uid %d won both %s and %s under limit=activity", o.uid, other, o.sku)
				}
				resvWinner[o.uid] = o.sku
				if o.uid > 1500 {
					t.Fatalf("non-reserved uid %d won %s", o.uid, o.sku)
				}
			}
		case "sold_out":
			if o.status != 410 {
				t.Fatalf("sold_out with status %d", o.status)
			}
		case "not_reserved":
			if o.uid <= 1500 || o.status != 403 {
				t.Fatalf("uid %d got not_reserved (%d)", o.uid, o.status)
			}
		case "limit_reached":
			if o.status != 403 {
				t.Fatalf("limit_reached with status %d", o.status)
			}
		default:
			t.Fatalf("unexpected final reply %+v (%d) for uid %d sku %s", o.reply, o.status, o.uid, o.sku)
		}
	}
	for sku, q := range quota {
		if len(wins[sku]) != q {
			t.Errorf("sku %s: %d winners, quota %d", sku, len(wins[sku]), q)
		}
		seqs := map[uint64]bool{}
		for _, w := range wins[sku] {
			seqs[w.Seq] = true
		}
		for seq := uint64(1); seq <= uint64(q); seq++ {
			if !seqs[seq] {
				t.Errorf("sku %s: seq %d missing", sku, seq)
			}
		}
	}
	for uid := uint64(1501); uid <= 2000; uid++ {
		r, status, err := buyUntilFinal(addr, "r1", uid)
		if err != nil || (r.Result != "not_reserved" && r.Result != "sold_out") {
			t.Fatalf("non-reserved uid %d: %+v %d %v", uid, r, status, err)
		}
	}

	// Every win is visible in /result with the same seq and ticket, and a
	// retry is idempotent.
	for sku, ws := range wins {
		for uid, w := range ws {
			resp, err := httpget.Get(addr, "/result?sku="+sku+"&token="+tokenFor(uid), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			var r buyReply
			json.Unmarshal(resp.Body, &r)
			if resp.Status != 200 || r.Seq != w.Seq || r.Ticket != w.Ticket {
				t.Fatalf("/result for uid %d sku %s: %d %s, want seq %d", uid, sku, resp.Status, resp.Body, w.Seq)
			}
			again, _, err := buyUntilFinal(addr, sku, uid)
			if err != nil || again.Result != "already_won" || again.Ticket != w.Ticket {
				t.Fatalf("retry of uid %d sku %s: %+v %v", uid, sku, again, err)
			}
		}
	}
	resp, err := httpget.Get(addr, "/result?sku=a&token="+tokenFor(99999), 5*time.Second)
	if err != nil || resp.Status != 404 || !strings.Contains(string(resp.Body), `"none"`) {
		t.Fatalf("/result of a loser: %v %+v", err, resp)
	}

	// Forged, expired and missing tokens never reach a shard.
	good := tokenFor(7)
	forged := good[:len(good)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", good[len(good)-1])+1)%16])
	expired := token.Mint([]byte(testSecret), 7, time.Now().Add(-time.Minute).Unix())
	otherKey := token.Mint([]byte("another-secret-of-enough-length"), 7, time.Now().Add(time.Hour).Unix())
	for _, tok := range []string{forged, expired, otherKey, "", "7.1.zz"} {
		resp, err := httpget.Get(addr, "/buy?sku=a&token="+tok, 5*time.Second)
		if err != nil || resp.Status != 401 {
			t.Fatalf("token %q: %v %+v", tok, err, resp)
		}
	}
	// The token may come as the sk cookie too.
	resp, err = httpget.GetWithHeaders(addr, "/buy?sku=a", "Cookie: sk="+tokenFor(123456)+"\r\n", 5*time.Second)
	if err != nil || resp.Status != 410 {
		t.Fatalf("cookie token on a sold-out sku: %v %+v", err, resp)
	}
	resp, err = httpget.Get(addr, "/stock?sku=a", 5*time.Second)
	if err != nil || !strings.Contains(string(resp.Body), `"state":"sold_out"`) || !strings.Contains(string(resp.Body), `"remaining":0`) {
		t.Fatalf("/stock: %v %s", err, resp.Body)
	}
	stop()

	// The store holds exactly the wins the clients were told about.
	log, err := wal.Open(filepath.Join(dir, "data"), wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	stored := 0
	err = log.ScanWins(func(w *engine.Win) error {
		stored++
		got, ok := wins[w.SKU][w.UID]
		if !ok || got.Seq != w.Seq {
			return fmt.Errorf("stored win %s/%s seq %d uid %d was not reported", w.Activity, w.SKU, w.Seq, w.UID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, ws := range wins {
		total += len(ws)
	}
	if stored != total {
		t.Fatalf("store has %d wins, clients were told %d", stored, total)
	}
}
