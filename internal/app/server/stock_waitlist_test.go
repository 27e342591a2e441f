package server

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestStockRaiseServesWaitlistOverSockets: with stock 2 and two users on
// the waitlist, POST /admin/stock raising the stock to 3 gives seq 3 to
// waitlist position 1 (its /result answers won, its buy already_won),
// position 2 keeps waiting; raising it to 5 serves position 2 with seq 4
// and opens seq 5 to a new buyer. After a restart the same holds, and
// replay passes.
func TestStockRaiseServesWaitlistOverSockets(t *testing.T) {
	dir := t.TempDir()
	sale := startEconSale(t, strings.Replace(qualificationConfig, "waitlist = 1", "waitlist = 2", 1), dir)
	cfg, addr, stop, admin, buy := sale.cfg, sale.addr, sale.stop, sale.admin, sale.buy
	for _, uid := range []uint64{1, 2} {
		if r := buy(uid); r.Result != "won" {
			t.Fatalf("uid %d: %+v", uid, r)
		}
	}
	for _, uid := range []uint64{3, 4} {
		if r := buy(uid); r.Result != "waitlisted" || r.Position != uid-2 {
			t.Fatalf("uid %d: %+v", uid, r)
		}
	}
	if status, body := admin("POST", "/admin/stock?activity=econ&sku=redmi&stock=3", ""); status != 200 {
		t.Fatalf("raise to 3: %d %s", status, body)
	}
	if status, r := get(t, addr, "/result?sku=redmi&token="+tokenFor(3)); status != 200 || r.Result != "won" || r.Seq != 3 {
		t.Fatalf("waitlist position 1 after the raise: %d %+v", status, r)
	}
	if r := buy(3); r.Result != "already_won" || r.Seq != 3 {
		t.Fatalf("its buy: %+v", r)
	}
	if r := buy(4); r.Result != "waitlisted" || r.Position != 2 {
		t.Fatalf("position 2 after the raise to 3: %+v", r)
	}
	if r := buy(5); r.Result != "sold_out" {
		t.Fatalf("a new buyer while position 2 waits and the waitlist is full: %+v", r)
	}
	if status, body := admin("POST", "/admin/stock?activity=econ&sku=redmi&stock=5", ""); status != 200 {
		t.Fatalf("raise to 5: %d %s", status, body)
	}
	if status, r := get(t, addr, "/result?sku=redmi&token="+tokenFor(4)); status != 200 || r.Result != "won" || r.Seq != 4 {
		t.Fatalf("waitlist position 2 after the raise to 5: %d %+v", status, r)
	}
	if r := buy(6); r.Result != "won" || r.Seq != 5 {
		t.Fatalf("a new buyer after the waitlist was served: %+v", r)
	}
	stop()

	addr, stop = startServer(t, cfg, dir)
	for uid, seq := range map[uint64]uint64{1: 1, 2: 2, 3: 3, 4: 4, 6: 5} {
		if _, r := get(t, addr, "/result?sku=redmi&token="+tokenFor(uid)); r.Result != "won" || r.Seq != seq {
			t.Errorf("after restart, uid %d's /result: %+v; want won seq %d", uid, r, seq)
		}
	}
	stop()
	rep := auditDir(t, filepath.Join(dir, "data"))
	if !rep.OK {
		for _, c := range rep.Checks {
			t.Logf("%s pass=%v %+v", c.Name, c.Pass, c)
		}
		t.Fatal("replay of a sale whose stock was raised while users waited fails")
	}
}
