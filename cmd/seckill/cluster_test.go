package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"seckill/internal/handoff/export"
	"seckill/internal/live/token"
	"seckill/internal/testkit/httpget"
	"seckill/replay"
)

const clusterSecret = "cluster-test-secret-0123456789abcdef"

// clusterSKU is one SKU of the cluster test: its node, and its quota
// (stock × quota_percent / 100).
type clusterSKU struct {
	sku, node, activity string
	stock, quotaPercent int
	quota               int
	late                bool // held back from the burst, sold after the kill
}

// testCluster is three nodes, each selling one activity (limit =
// "activity") of two burst SKUs and one held back for later.
func testCluster() []clusterSKU {
	var skus []clusterSKU
	for _, n := range []string{"a", "b", "c"} {
		act := "sale-" + n
		skus = append(skus,
			clusterSKU{sku: n + "-1", node: n, activity: act, stock: 20, quotaPercent: 75, quota: 15},
			clusterSKU{sku: n + "-2", node: n, activity: act, stock: 10, quotaPercent: 100, quota: 10},
			clusterSKU{sku: n + "-late", node: n, activity: act, stock: 5, quotaPercent: 100, quota: 5, late: true},
		)
	}
	return skus
}

// writeClusterFile writes the cluster file and returns its path and each
// node's public address.
func writeClusterFile(t *testing.T, dir, gateway string, skus []clusterSKU) (string, map[string]string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `
[server]
drain_delay = "0s"
trusted_proxies = ["127.0.0.1"]
cors_origins = ["https://www.example-mall.com"]
[auth]
secret = %q

[gateway]
listen = %q
connect_timeout = "500ms"
read_timeout = "5s"
worker_connections = 1024
`, clusterSecret, gateway)
	addrs := map[string]string{}
	for _, n := range []string{"a", "b", "c"} {
		addrs[n] = freeAddr(t)
		fmt.Fprintf(&b, "\n[[node]]\nname = %q\nlisten = %q\ndata_dir = %q\nactivities = [\"sale-%s\"]\n", n, addrs[n], filepath.Join(dir, "data-"+n), n)
	}
	last := ""
	for _, s := range skus {
		if s.activity != last {
			fmt.Fprintf(&b, "\n[[activity]]\nid = %q\nstart = \"now\"\nend = \"+1h\"\nlimit = \"activity\"\n", s.activity)
			last = s.activity
		}
		fmt.Fprintf(&b, "  [[activity.item]]\n  sku = %q\n  stock = %d\n  quota_percent = %d\n", s.sku, s.stock, s.quotaPercent)
	}
	path := filepath.Join(dir, "cluster.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, addrs
}

// TestClusterBehindNginx runs three real nodes (`seckill serve -cluster F
// -node N`) behind the nginx that `seckill gateway` generates, on loopback:
// a burst across the SKUs of all nodes sells exactly each quota with no uid
// winning twice in an activity; /result answers through the gateway; a
// SKU no node sells is answered by nginx exactly as a node would; a node
// killed with kill -9 makes its SKUs answer 503 unavailable through nginx
// while the others sell on; restarted, it sells again; and the combined
// replay and export of the three stores report one sale; SIGHUP re-reads
// the cluster file.
func TestClusterBehindNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	nginx := needTool(t, "nginx", "nginx")
	testStart := time.Now()
	dir := t.TempDir()
	gw := freeAddr(t)
	skus := testCluster()
	clusterFile, addrs := writeClusterFile(t, dir, gw, skus)

	conf := filepath.Join(dir, "nginx.conf")
	if stdout, stderr, err := runCmd(t, nil, "gateway", "-cluster", clusterFile, "-standalone", "-out", conf); err != nil {
		t.Fatalf("seckill gateway: %v\n%s%s", err, stdout, stderr)
	}
	nodes := map[string]*child{}
	startNode := func(name string) {
		nodes[name] = waitHealthy(t, spawnServe(t, nil, "-cluster", clusterFile, "-node", name), addrs[name])
	}
	for _, n := range []string{"a", "b", "c"} {
		startNode(n)
	}
	defer func() {
		for _, c := range nodes {
			if !c.hasExited() {
				c.kill()
			}
		}
	}()
	lbOut := startNginx(t, nginx, gw, "-p", dir, "-c", conf, "-g", "daemon off; master_process off;")

	get := func(from, addr, target string) *httpget.Response {
		t.Helper()
		resp, err := getFrom(from, addr, target, "", 10*time.Second)
		if err != nil {
			errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("GET %s%s from %s: %v\nnginx: %s\n%s", addr, target, from, err, lbOut.String(), errLog)
		}
		return resp
	}
	tokenOf := func(uid uint64) string {
		return token.Mint([]byte(clusterSecret), uid, time.Now().Add(time.Hour).Unix())
	}

	// The gateway's own refusals are the engine's, byte for byte.
	long := strings.Repeat("s", 64)
	for _, target := range []string{"/buy?sku=nobody-sells-this&token=x", "/stock?sku=" + long, "/stock?sku=" + long + "s", "/buy?sku=a.1", "/result?token=x", "/elsewhere"} {
		headers := "Origin: https://www.example-mall.com\r\n"
		viaGateway, err := httpget.GetWithHeaders(gw, target, headers, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		direct, err := httpget.GetWithHeaders(addrs["a"], target, headers, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if viaGateway.Status != direct.Status || string(viaGateway.Body) != string(direct.Body) {
			t.Errorf("%s: gateway %d %s, node %d %s", target, viaGateway.Status, viaGateway.Body, direct.Status, direct.Body)
		}
		for _, h := range []string{"Content-Type", "Connection", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Vary"} {
			if viaGateway.Header.Get(h) != direct.Header.Get(h) {
				t.Errorf("%s: gateway's %s: %q, node's %q", target, h, viaGateway.Header.Get(h), direct.Header.Get(h))
			}
		}
	}

	if resp := get("127.0.0.1", gw, "/healthz"); resp.Status != 200 || string(resp.Body) != `{"status":"ok"}` {
		t.Errorf("the gateway's /healthz: %d %s", resp.Status, resp.Body)
	}

	// The burst: 200 buyers, each trying every burst SKU of every node in
	// a random order, 32 at a time, through the gateway.
	type win struct {
		Result, Activity, SKU, Ticket string
		UID, Seq                      uint64
	}
	var (
		mu      sync.Mutex
		wins    []win
		results = map[string]int{}
	)
	var burst []string
	for _, s := range skus {
		if !s.late {
			burst = append(burst, s.sku)
		}
	}
	uids := make(chan uint64)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for uid := range uids {
				order := append([]string(nil), burst...)
				rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
				for _, sku := range order {
					var w win
					for attempt := 0; ; attempt++ {
						resp, err := httpget.Get(gw, "/buy?sku="+sku+"&token="+tokenOf(uid), 10*time.Second)
						if err != nil {
							t.Errorf("uid %d %s: %v", uid, sku, err)
							return
						}
						if err := json.Unmarshal(resp.Body, &w); err != nil {
							t.Errorf("uid %d %s: %d %q", uid, sku, resp.Status, resp.Body)
							return
						}
						if w.Result != "busy" || attempt == 20 {
							break
						}
						time.Sleep(10 * time.Millisecond)
					}
					mu.Lock()
					results[w.Result]++
					if w.Result == "won" {
						wins = append(wins, w)
					}
					mu.Unlock()
				}
			}
		})
	}
	for uid := uint64(1); uid <= 200; uid++ {
		uids <- uid
	}
	close(uids)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	perSKU := map[string]int{}
	seqs := map[string]map[uint64]bool{}
	winnerOf := map[string]map[uint64]string{} // activity -> uid -> sku
	for _, w := range wins {
		perSKU[w.SKU]++
		if seqs[w.SKU] == nil {
			seqs[w.SKU] = map[uint64]bool{}
		}
		if seqs[w.SKU][w.Seq] {
			t.Errorf("%s seq %d won twice", w.SKU, w.Seq)
		}
		seqs[w.SKU][w.Seq] = true
		if winnerOf[w.Activity] == nil {
			winnerOf[w.Activity] = map[uint64]string{}
		}
		if other, twice := winnerOf[w.Activity][w.UID]; twice {
			t.Errorf("uid %d won %s and %s in activity %s (limit = activity)", w.UID, other, w.SKU, w.Activity)
		}
		winnerOf[w.Activity][w.UID] = w.SKU
	}
	for _, s := range skus {
		if !s.late && perSKU[s.sku] != s.quota {
			t.Errorf("%s (node %s): %d winners, quota %d", s.sku, s.node, perSKU[s.sku], s.quota)
		}
	}
	t.Logf("burst through the gateway: %v", results)

	// /result through the gateway names each winner's own win.
	for _, w := range wins {
		resp := get("127.0.0.1", gw, "/result?sku="+w.SKU+"&token="+tokenOf(w.UID))
		var r win
		json.Unmarshal(resp.Body, &r)
		if r.Result != "won" || r.Seq != w.Seq || r.Ticket != w.Ticket {
			t.Errorf("/result of uid %d %s: %s; it won seq %d ticket %s", w.UID, w.SKU, resp.Body, w.Seq, w.Ticket)
		}
	}

	// A buyer from 127.0.0.7 is seen as 127.0.0.7 by the node (in its
	// winner record, checked in the export below), not as the gateway.
	if resp := get("127.0.0.7", gw, "/buy?sku=a-late&token="+tokenOf(7001)); !strings.Contains(string(resp.Body), `"result":"won"`) || resp.Header.Get("Connection") != "close" {
		t.Fatalf("a-late from 127.0.0.7: %d %v %s", resp.Status, resp.Header, resp.Body)
	}

	// Node b dies. Its SKUs answer unavailable through the gateway, as
	// JSON, while a and c keep selling.
	nodes["b"].kill()
	for _, target := range []string{"/buy?sku=b-late&token=" + tokenOf(8001), "/stock?sku=b-1", "/result?sku=b-1&token=" + tokenOf(1)} {
		resp := get("127.0.0.1", gw, target)
		if resp.Status != 503 || string(resp.Body) != `{"result":"unavailable"}` || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Connection") != "close" {
			t.Errorf("%s with node b down: %d %v %s", target, resp.Status, resp.Header, resp.Body)
		}
	}
	for uid, sku := range map[uint64]string{8002: "a-late", 8003: "c-late"} {
		if resp := get("127.0.0.1", gw, "/buy?sku="+sku+"&token="+tokenOf(uid)); !strings.Contains(string(resp.Body), `"result":"won"`) {
			t.Errorf("%s with node b down: %d %s", sku, resp.Status, resp.Body)
		}
	}

	// Restarted, node b sells again, with its state: its burst SKUs are
	// sold out and its winners' /result still names their wins.
	startNode("b")
	if resp := get("127.0.0.1", gw, "/buy?sku=b-late&token="+tokenOf(8004)); !strings.Contains(string(resp.Body), `"result":"won"`) {
		t.Errorf("b-late after the restart: %d %s", resp.Status, resp.Body)
	}
	if resp := get("127.0.0.1", gw, "/buy?sku=b-1&token="+tokenOf(8005)); !strings.Contains(string(resp.Body), `"result":"sold_out"`) {
		t.Errorf("b-1 after the restart: %d %s", resp.Status, resp.Body)
	}
	for _, w := range wins {
		if w.SKU == "b-2" {
			resp := get("127.0.0.1", gw, "/result?sku=b-2&token="+tokenOf(w.UID))
			if !strings.Contains(string(resp.Body), w.Ticket) {
				t.Errorf("/result of uid %d b-2 after the restart: %s", w.UID, resp.Body)
			}
			break
		}
	}
	// SIGHUP re-reads the cluster file: a uid blocked there is refused.
	text, err := os.ReadFile(clusterFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(clusterFile, []byte(strings.Replace(string(text), "[gateway]", "[blocklist]\nuids = [9001]\n[gateway]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	nodes["a"].cmd.Process.Signal(syscall.SIGHUP)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(nodes["a"].logText(), "SIGHUP: applied"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("node a did not apply the edited cluster file:\n%s", nodes["a"].logText())
		}
	}
	if resp := get("127.0.0.1", gw, "/buy?sku=a-late&token="+tokenOf(9001)); !strings.Contains(string(resp.Body), `"result":"blocked"`) {
		t.Errorf("uid 9001 after it was blocked in the cluster file: %d %s", resp.Status, resp.Body)
	}

	for _, n := range []string{"a", "b", "c"} {
		nodes[n].stop(t)
	}

	// One sale across the three stores: the combined audit passes and
	// counts every win, with one digest per activity.
	totalWins := len(wins) + 4 // a-late twice, c-late and b-late
	code, out := replayChild(t, "-cluster", clusterFile, "-json")
	var rep replay.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("replay -cluster: %d %v\n%s", code, err, out)
	}
	if code != 0 || !rep.OK || rep.Records != uint64(totalWins) || len(rep.Digests) != 3 || len(rep.SKUs) != len(skus) {
		t.Errorf("replay -cluster: exit %d, ok %v, %d records (want %d), %d digests, %d SKU rows\n%s", code, rep.OK, rep.Records, totalWins, len(rep.Digests), len(rep.SKUs), out)
	}
	dataDirs := strings.Join([]string{filepath.Join(dir, "data-a"), filepath.Join(dir, "data-b"), filepath.Join(dir, "data-c")}, ",")
	if code, out := replayChild(t, "-data", dataDirs); code != 0 || !strings.Contains(out, "OK: every check passed") {
		t.Errorf("replay -data A,B,C: exit %d\n%s", code, out)
	}

	// One file and one manifest for the sale.
	exportDir := filepath.Join(dir, "exports")
	if stdout, stderr, err := runCmd(t, nil, "export", "-cluster", clusterFile, "-dir", exportDir, "-out", "sale.jsonl", "-all"); err != nil {
		t.Fatalf("export -cluster: %v\n%s%s", err, stdout, stderr)
	}
	m, err := export.ReadManifest(filepath.Join(exportDir, "sale.jsonl"+export.ManifestSuffix))
	if err != nil {
		t.Fatal(err)
	}
	if m.Count != uint64(totalWins) || len(m.Activities) != 3 {
		t.Errorf("manifest: %d records (want %d), %d activities (want 3)", m.Count, totalWins, len(m.Activities))
	}
	for _, a := range m.Activities {
		for _, d := range rep.Digests {
			if d.Activity == a.Activity && d.Digest != a.Digest {
				t.Errorf("activity %s: manifest digest %s, audit %s", a.Activity, a.Digest, d.Digest)
			}
		}
	}
	client := ""
	if err := export.ReadFile(filepath.Join(exportDir, "sale.jsonl"), "jsonl", func(r *export.Record) error {
		if r.UID == 7001 {
			client = r.Client
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if client != "127.0.0.7" {
		t.Errorf("uid 7001 bought from 127.0.0.7 through the gateway; its record says %q", client)
	}
	t.Logf("whole test took %v", time.Since(testStart).Round(time.Millisecond))
}

// getFrom is httpget.GetWithHeaders from a chosen loopback source address.
func getFrom(from, addr, target, headers string, timeout time.Duration) (*httpget.Response, error) {
	d := net.Dialer{Timeout: timeout, LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(from), 0))}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n", target, addr, headers); err != nil {
		return nil, err
	}
	return httpget.Read(c)
}
