package server

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seckill/internal/testkit/httpget"
)

const qualificationConfig = `
[server]
listen = "LISTEN"
admin_listen = "ADMIN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "hmac"
secret = "` + testSecret + `"
[[activity]]
id = "econ"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "redmi"
  stock = 2
  waitlist = 1
  [[activity.item]]
  sku = "other"
  stock = 1
`

// econSale is a started qualificationConfig (or a variant): the config
// as started (for a restart), its listeners, stop, the admin API, and a
// buy of redmi retried until a final answer.
type econSale struct {
	cfg, addr, adminAddr string
	stop                 func()
	admin                func(method, target, body string) (int, string)
	buy                  func(uid uint64) buyReply
}

// startEconSale starts cfg, its admin_listen still "ADMIN", on dir.
func startEconSale(t *testing.T, cfg, dir string) econSale {
	t.Helper()
	e := econSale{adminAddr: freeAddr(t)}
	e.cfg = strings.Replace(cfg, "ADMIN", e.adminAddr, 1)
	e.addr, e.stop = startServer(t, e.cfg, dir)
	e.admin = adminAPI(t, e.adminAddr, dir)
	e.buy = func(uid uint64) buyReply {
		t.Helper()
		r, _, err := buyUntilFinal(e.addr, "redmi", uid)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	return e
}

// get answers one GET on the public listener, decoded.
func get(t *testing.T, addr, target string) (int, buyReply) {
	t.Helper()
	resp, err := httpget.Get(addr, target, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var r buyReply
	if err := json.Unmarshal(resp.Body, &r); err != nil {
		t.Fatalf("%s: %s", target, resp.Body)
	}
	return resp.Status, r
}

// TestQualificationReportsOverSockets: the mall reports fates on the admin
// API; a lapse mid-sale promotes waitlist position 1 (visible on its
// /result, pushed as a new record), a lapse with nobody waiting lets one
// more user win, a paid one never lapses, bad reports change nothing; all
// of it survives a restart and replay passes.
func TestQualificationReportsOverSockets(t *testing.T) {
	dir := t.TempDir()
	sale := startEconSale(t, qualificationConfig, dir)
	cfg, addr, adminAddr, stop, admin, buy := sale.cfg, sale.addr, sale.adminAddr, sale.stop, sale.admin, sale.buy
	for uid, want := range map[uint64]string{1: "won", 2: "won"} {
		if r := buy(uid); r.Result != want {
			t.Fatalf("uid %d: %+v", uid, r)
		}
	}
	seqOf := map[uint64]uint64{}
	for _, uid := range []uint64{1, 2} {
		_, r := get(t, addr, "/result?sku=redmi&token="+tokenFor(uid))
		seqOf[uid] = r.Seq
	}
	if r := buy(3); r.Result != "waitlisted" || r.Position != 1 {
		t.Fatalf("uid 3: %+v", r)
	}
	if r := buy(4); r.Result != "sold_out" {
		t.Fatalf("uid 4: %+v", r)
	}
	report := func(query string) (int, string) {
		t.Helper()
		return admin("POST", "/admin/qualification?"+query, "")
	}
	q := func(seq uint64, state string) string {
		return "activity=econ&sku=redmi&seq=" + itoa(seq) + "&state=" + state
	}

	// Bad reports: a 4xx naming the problem, and nothing recorded.
	bad := []struct {
		query string
		want  int
		says  string
	}{
		{"activity=nope&sku=redmi&seq=1&state=paid", 404, `no activity`},
		{"activity=econ&sku=nope&seq=1&state=paid", 404, `has no sku`},
		{"activity=econ&sku=redmi&seq=9&state=paid", 404, "never issued"},
		{"activity=econ&sku=redmi&seq=0&state=paid", 400, "positive integer"},
		{"activity=econ&sku=redmi&seq=x&state=paid", 400, "positive integer"},
		{"activity=econ&sku=redmi&seq=1&state=refunded", 400, `must be`},
		{"activity=econ&sku=redmi&seq=1", 400, `is required`},
		{"activity=econ&sku=redmi&seq=1&state=paid&uid=77", 409, "does not hold"},
		{"activity=econ&sku=redmi&seq=1&state=paid&seq=2", 400, "2 times"},
	}
	for _, b := range bad {
		if status, body := report(b.query); status != b.want || !strings.Contains(body, b.says) || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s; want %d naming %q", b.query, status, body, b.want, b.says)
		}
	}
	for _, h := range []string{"", "Bearer " + strings.Repeat("0", 64)} {
		req, _ := http.NewRequest("POST", "http://"+adminAddr+"/admin/qualification?"+q(seqOf[1], "lapsed"), nil)
		if h != "" {
			req.Header.Set("Authorization", h)
		}
		resp, err := adminHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("report with token %q: %d; want 401", h, resp.StatusCode)
		}
	}
	if r := buy(1); r.Result != "already_won" {
		t.Fatalf("a refused report changed uid 1's win: %+v", r)
	}

	// Paid: recorded once, and it can never lapse.
	if status, body := report(q(seqOf[2], "paid")); status != 200 || !strings.Contains(body, `"unchanged":false`) {
		t.Fatalf("paid: %d %s", status, body)
	}
	if status, body := report(q(seqOf[2], "paid")); status != 200 || !strings.Contains(body, `"unchanged":true`) {
		t.Fatalf("paid again: %d %s", status, body)
	}
	if status, body := report(q(seqOf[2], "lapsed")); status != 409 || !strings.Contains(body, "paid qualification cannot lapse") {
		t.Fatalf("lapsed after paid: %d %s", status, body)
	}

	// A lapse mid-sale promotes waitlist position 1.
	status, body := report(q(seqOf[1], "lapsed"))
	if status != 200 || !strings.Contains(body, `"promoted":{"uid":3,"round":1`) {
		t.Fatalf("lapse: %d %s", status, body)
	}
	if status, r := get(t, addr, "/result?sku=redmi&token="+tokenFor(3)); status != 200 || r.Result != "won" || r.Seq != seqOf[1] || !strings.Contains(body, r.Ticket) {
		t.Fatalf("promoted user's /result: %d %+v (report %s)", status, r, body)
	}
	if r := buy(3); r.Result != "already_won" || r.Seq != seqOf[1] {
		t.Fatalf("promoted user's buy: %+v", r)
	}
	if status, r := get(t, addr, "/buy?sku=redmi&token="+tokenFor(1)); status != 403 || r.Result != "limit_reached" {
		t.Fatalf("lapsed user's buy: %d %+v", status, r)
	}
	if status, body := report(q(seqOf[1], "lapsed") + "&uid=1"); status != 200 || !strings.Contains(body, `"unchanged":true`) {
		t.Fatalf("the mall's retry of the first lapse: %d %s", status, body)
	}

	// The promoted user lapses too, with nobody waiting: back on sale.
	if status, body := report(q(seqOf[1], "lapsed")); status != 200 || !strings.Contains(body, `"returned_to_sale":true`) {
		t.Fatalf("second lapse: %d %s", status, body)
	}
	resp, err := httpget.Get(addr, "/stock?sku=redmi", 5*time.Second)
	if err != nil || !strings.Contains(string(resp.Body), `"remaining":1`) || !strings.Contains(string(resp.Body), `"on_sale"`) {
		t.Fatalf("stock after a return to sale: %v %s", err, resp.Body)
	}
	if r := buy(5); r.Result != "won" || r.Seq != seqOf[1] {
		t.Fatalf("a buyer after the return to sale: %+v", r)
	}
	if r := buy(6); r.Result != "sold_out" {
		t.Fatalf("after it sold again: %+v", r)
	}
	stop()

	addr, stop = startServer(t, cfg, dir)
	for uid, want := range map[uint64]string{1: "none", 2: "won", 3: "none", 5: "won", 6: "none"} {
		if _, r := get(t, addr, "/result?sku=redmi&token="+tokenFor(uid)); r.Result != want {
			t.Errorf("after restart, uid %d's /result: %+v; want %s", uid, r, want)
		}
	}
	stop()

	rep := auditDir(t, filepath.Join(dir, "data"))
	if !rep.OK {
		for _, c := range rep.Checks {
			t.Logf("%s pass=%v %+v", c.Name, c.Pass, c)
		}
		t.Fatal("replay of a sale with a waitlist, lapses and promotions fails")
	}
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
