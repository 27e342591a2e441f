package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/internal/live/token"
	"seckill/internal/testkit/tools"
)

// redisProc is a real redis-server with the benchmark's durability
// settings, in a test's temporary directory.
type redisProc struct {
	bin, dir, addr string
	cmd            *exec.Cmd
}

func startRedis(t *testing.T, bin, dir, addr string) *redisProc {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", port, "--dir", dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	p := &redisProc{bin: bin, dir: dir, addr: addr, cmd: cmd}
	t.Cleanup(func() { p.kill() })
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if rdb.Ping(context.Background()).Err() == nil {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer in 10 s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill is kill -9: Redis gets no chance to flush anything it has not
// already fsync'd.
func (p *redisProc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

var (
	resultRe = regexp.MustCompile(`"result":"([a-z_]+)"`)
	seqRe    = regexp.MustCompile(`"seq":(\d+)`)
	ticketRe = regexp.MustCompile(`"ticket":"([0-9a-f]+)"`)
)

type reply struct {
	status         int
	result, ticket string
	seq            int64
}

func get(t *testing.T, base, path, sku, tok string) reply {
	resp, err := http.Get(base + path + "?sku=" + sku + "&token=" + tok)
	if err != nil {
		t.Errorf("GET %s: %v", path, err)
		return reply{}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode}
	if m := resultRe.FindSubmatch(body); m != nil {
		r.result = string(m[1])
	}
	if m := seqRe.FindSubmatch(body); m != nil {
		r.seq, _ = strconv.ParseInt(string(m[1]), 10, 64)
	}
	if m := ticketRe.FindSubmatch(body); m != nil {
		r.ticket = string(m[1])
	}
	return r
}

type win struct {
	sku    string
	uid    uint64
	seq    int64
	ticket string
}

// TestPeerSale runs a small sale through the peer's real HTTP server and a
// real redis-server with appendfsync always: 400 users (300 reserved) try
// twice each, concurrently, for 3 SKUs of 20 units. No SKU may sell more
// than its stock, no uid may win twice, a retry must get its original win
// back, an unreserved user never wins; then Redis is killed with -9,
// restarted from its AOF, and every won answer must still be there.
func TestPeerSale(t *testing.T) {
	bin := tools.Need(t, "redis-server", "redis-server")
	dir := t.TempDir()
	addr := freeAddr(t)
	rp := startRedis(t, bin, dir, addr)
	ctx := context.Background()
	const (
		stock    = 20
		reserved = 300
		users    = 400
	)
	skus := []string{"a", "b", "c"}
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 64})
	defer rdb.Close()
	if err := loadSale(ctx, rdb, skus, stock, reserved); err != nil {
		t.Fatal(err)
	}
	secret := []byte("peer-test-secret-0123456789abcdef")
	hs := httptest.NewServer(newServer(rdb, secret, skus))
	defer hs.Close()

	exp := time.Now().Add(time.Hour).Unix()
	var mu sync.Mutex
	wins := map[uint64]win{}
	var problems []string
	var wg sync.WaitGroup
	next := make(chan uint64)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for uid := range next {
				sku := skus[uid%uint64(len(skus))]
				tok := token.Mint(secret, uid, exp)
				first := get(t, hs.URL, "/buy", sku, tok)
				again := get(t, hs.URL, "/buy", sku, tok)
				mu.Lock()
				switch {
				case uid > reserved && (first.result != "not_reserved" || again.result != "not_reserved"):
					problems = append(problems, fmt.Sprintf("unreserved uid %d heard %s, %s", uid, first.result, again.result))
				case first.result == "won":
					wins[uid] = win{sku, uid, first.seq, first.ticket}
					if again.result != "already_won" || again.seq != first.seq || again.ticket != first.ticket {
						problems = append(problems, fmt.Sprintf("uid %d won seq %d, retry heard %s seq %d", uid, first.seq, again.result, again.seq))
					}
				case uid <= reserved && (first.result != "sold_out" || again.result != "sold_out"):
					problems = append(problems, fmt.Sprintf("uid %d heard %s then %s", uid, first.result, again.result))
				}
				mu.Unlock()
			}
		}()
	}
	for uid := uint64(1); uid <= users; uid++ {
		next <- uid
	}
	close(next)
	wg.Wait()
	for _, p := range problems {
		t.Error(p)
	}
	perSKU := map[string]map[int64]uint64{}
	for _, w := range wins {
		if perSKU[w.sku] == nil {
			perSKU[w.sku] = map[int64]uint64{}
		}
		if other, dup := perSKU[w.sku][w.seq]; dup {
			t.Errorf("%s seq %d told to uids %d and %d", w.sku, w.seq, other, w.uid)
		}
		perSKU[w.sku][w.seq] = w.uid
	}
	for _, sku := range skus {
		if n := len(perSKU[sku]); n != stock {
			t.Errorf("%s: %d winners; want exactly %d (demand covers the stock)", sku, n, stock)
		}
	}

	// kill -9 and restart from the AOF: every won answer must be durable.
	rdb.Close()
	rp.kill()
	startRedis(t, bin, dir, addr)
	rdb2 := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb2.Close()
	for _, w := range wins {
		seq, err := lookup(ctx, rdb2, w.sku, w.uid)
		if err != nil || seq != w.seq {
			t.Errorf("after kill -9: uid %d on %s has seq %d (%v); it was told seq %d", w.uid, w.sku, seq, err, w.seq)
		}
	}
	report, err := checkSale(ctx, rdb2, skus, stock, reserved, int64(len(wins)))
	if err != nil {
		t.Errorf("check after restart: %v\n%v", err, report)
	}

	// The check itself must catch an oversold SKU and a stray winner.
	rdb2.HSet(ctx, winnersKey("a"), strconv.Itoa(reserved+1), stock+1)
	if _, err := checkSale(ctx, rdb2, skus, stock, reserved, int64(len(wins))); err == nil {
		t.Error("checkSale passed a SKU with one winner more than its stock, unreserved, and more winners than won answers")
	}
}

// TestPeerScriptChecks pins the Lua script's order of checks on one
// attempt at a time: already_won before not_reserved before sold_out.
func TestPeerScriptChecks(t *testing.T) {
	bin := tools.Need(t, "redis-server", "redis-server")
	addr := freeAddr(t)
	startRedis(t, bin, t.TempDir(), addr)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	if err := loadSale(ctx, rdb, []string{"x"}, 1, 2); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		uid       uint64
		code, seq int64
	}{
		{3, codeNotReserved, 0},
		{1, codeWon, 1},
		{1, codeAlreadyWon, 1},
		{2, codeSoldOut, 0},
	}
	for i, s := range steps {
		code, seq, err := decide(ctx, rdb, "x", s.uid)
		if err != nil || code != s.code || seq != s.seq {
			t.Errorf("step %d uid %d: code %d seq %d (%v); want code %d seq %d", i, s.uid, code, seq, err, s.code, s.seq)
		}
	}
	// Taking uid 1's unit away from the reservation set after it won must
	// not change its answer: already_won comes first.
	rdb.SRem(ctx, reservedKey(), "1")
	if code, _, _ := decide(ctx, rdb, "x", 1); code != codeAlreadyWon {
		t.Errorf("winner removed from the reservations heard code %d; want already_won (%d)", code, codeAlreadyWon)
	}
}
