package replay

import (
	"encoding/hex"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/store/auditlog"
	"seckill/internal/testkit/loggen"
	"seckill/internal/testkit/waltest"
	"seckill/wal"
)

// kindsStart is the start of kindsSale's round; it ends an hour later.
var kindsStart = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC).UnixNano()

// kindsSale writes a sale of one SKU (quota 5) driven by the real core into
// a real store: five wins, the stock raised to 10, two wins, uid 50 and
// 10.9.9.9 blocked, one win, then the last change, which the caller names:
// the stock lowered to the wins (8), the round ended, its end moved, a
// release rate or a waitlist set. It returns the
// store's directory and the shard as the live sale left it.
func kindsSale(t *testing.T, last engine.Control) (string, *engine.Shard) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	const seed = 3
	log, err := wal.Open(dir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	if err := log.SetTicketKey(loggen.TicketKey(seed)); err != nil {
		t.Fatal(err)
	}
	rec, err := auditlog.NewRecorder(log)
	if err != nil {
		t.Fatal(err)
	}
	start := kindsStart
	cfg := auditlog.Config{Version: auditlog.Version, Activity: act, Reason: auditlog.ReasonStart, TimeUnixNano: start - 1e9,
		Reservation: "open", Limit: "sku", Queue: 16, StartUnixNano: start, EndUnixNano: start + 3600e9,
		Items: []auditlog.Item{{SKU: "k", Stock: 5, QuotaPercent: 100, Quota: 5}}}
	if _, err := rec.Record(&cfg); err != nil {
		t.Fatal(err)
	}
	spec := engine.Spec{Activity: act, SKU: "k", Quota: 5, StartUnixNano: start, EndUnixNano: start + 3600e9}
	shard := engine.NewShard(spec, engine.NewTicketSigner(loggen.TicketKey(seed)), nil, nil)
	now := start
	uid := uint64(0)
	buy := func(n int) {
		t.Helper()
		var wins []engine.Win
		for range n {
			uid++
			now += 1e6
			d := shard.Step(&engine.Attempt{Kind: engine.Buy, UID: uid, NowUnixNano: now, Client: netip.AddrFrom4([4]byte{10, 0, 0, byte(uid)})})
			if d.Result != engine.Won {
				t.Fatalf("uid %d: %v", uid, d.Result)
			}
			wins = append(wins, engine.Win{})
			shard.WinAt(d.Seq, &wins[len(wins)-1])
		}
		if err := log.Append(wins, nil); err != nil {
			t.Fatal(err)
		}
		shard.MarkDurable(shard.Sold())
	}
	control := func(c engine.Control) {
		t.Helper()
		now += 1e6
		c.TimeUnixNano = now
		if c.Kind == engine.ControlBlocklist {
			if err := auditlog.StoreBlocklist(log, c.Blocklist); err != nil {
				t.Fatal(err)
			}
		}
		if v := shard.Control(&c); v != engine.ControlApplied {
			t.Fatalf("%v: %v", c.Kind, v)
		}
		if err := log.Append(nil, []engine.Control{c}); err != nil {
			t.Fatal(err)
		}
	}
	buy(5)
	control(engine.SetStock(10, 10))
	buy(2)
	control(engine.SetBlocklist(engine.NewBlocklist([]uint64{50}, []netip.Addr{netip.MustParseAddr("10.9.9.9")})))
	buy(1)
	control(last)
	return dir, shard
}

// TestAuditNewControlKinds: a clean sale with a stock change, a blocklist
// and an end audits clean and lists every change; a win forged after each
// (chained, signed, under its head marker: only the policy checks can see
// it) is caught by the check of what that record put in force; recovery
// rebuilds the live shard's state.
func TestAuditNewControlKinds(t *testing.T) {
	lower := engine.SetStock(8, 8)
	tests := []struct {
		name   string
		last   engine.Control
		forge  func(w *engine.Win)
		want   []string // failing checks
		tamper func(t *testing.T, s *waltest.Store)
	}{
		{name: "clean, stock lowered to the wins", last: lower},
		{name: "clean, ended", last: engine.EndNow()},
		{name: "win beyond the lowered quota", last: lower, forge: func(*engine.Win) {}, want: []string{"quota"}},
		{name: "win after the end", last: engine.EndNow(), forge: func(*engine.Win) {}, want: []string{"window"}},
		{name: "blocked uid wins", last: engine.SetStock(20, 20), forge: func(w *engine.Win) { w.UID = 50 }, want: []string{"blocked"}},
		{name: "blocked address wins", last: engine.SetStock(20, 20), forge: func(w *engine.Win) { w.Client = netip.MustParseAddr("10.9.9.9") }, want: []string{"blocked"}},
		{name: "clean, end moved later", last: engine.SetEnd(kindsStart + 7200e9)},
		{name: "win after the configured end, before the moved one", last: engine.SetEnd(kindsStart + 7200e9),
			forge: func(w *engine.Win) { w.TimeUnixNano = kindsStart + 3600e9 + 5e9 }},
		{name: "win after the end moved earlier", last: engine.SetEnd(kindsStart + 60e9),
			forge: func(w *engine.Win) { w.TimeUnixNano = kindsStart + 120e9 }, want: []string{"window"}},
		{name: "clean, release rate set", last: engine.SetReleaseRate(3)},
		{name: "win over the release rate set", last: engine.SetReleaseRate(3), forge: func(*engine.Win) {}, want: []string{"release_rate"}},
		{name: "clean, waitlist set", last: engine.SetWaitlist(2)},
		{name: "blocklist missing from the store", last: engine.SetStock(20, 20), forge: func(*engine.Win) {}, want: []string{"blocked"},
			tamper: func(t *testing.T, s *waltest.Store) { s.DeleteMetaPrefix("audit.block/") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, live := kindsSale(t, tc.last)
			if tc.forge != nil || tc.tamper != nil {
				s := waltest.Open(t, dir)
				if tc.forge != nil {
					forge(t, s, 3, "k", tc.forge)
				}
				if tc.tamper != nil {
					tc.tamper(t, s)
				}
				s.Close()
			}
			rep := audit(t, dir, Options{})
			var failed []string
			for _, c := range rep.Checks {
				if !c.Pass {
					failed = append(failed, c.Name)
				}
			}
			if !slices.Equal(failed, tc.want) || rep.OK != (tc.want == nil) {
				t.Fatalf("failed checks %v (ok %v), want %v: %s", failed, rep.OK, tc.want, fmtFindings(findings(rep)))
			}
			var kinds []string
			for _, ch := range rep.Changes {
				kinds = append(kinds, ch.Kind+"/"+ch.Source)
			}
			wantKinds := []string{"set_stock/operator", "blocklist/operator", tc.last.Kind.String() + "/operator"}
			if !slices.Equal(kinds, wantKinds) || rep.ControlRecords != 3 {
				t.Fatalf("changes %v (%d control records), want %v", kinds, rep.ControlRecords, wantKinds)
			}
			if ch := rep.Changes[0]; ch.AfterWins != 5 || ch.Detail != "stock 10, quota 10" {
				t.Fatalf("set-stock change %+v", ch)
			}
			if row := rep.SKUs[0]; tc.last.Kind == engine.ControlSetStock && (row.Stock != int64(tc.last.Num) || row.Quota != int64(tc.last.StockQuota())) {
				t.Fatalf("row %+v: stock and quota not the set-stock's", row)
			}
			if tc.forge != nil || tc.tamper != nil {
				return
			}
			// Recovery rebuilds the live state from the same store.
			l, err := wal.Open(dir, wal.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			fresh := engine.NewShard(*live.Spec(), engine.NewTicketSigner(loggen.TicketKey(3)), nil, nil)
			if _, err := Rebuild(l, func(string, string) *engine.Shard { return fresh }); err != nil {
				t.Fatal(err)
			}
			liveList, _ := live.Blocklist()
			freshList, _ := fresh.Blocklist()
			if fresh.ChainHead() != live.ChainHead() || fresh.Quota() != live.Quota() || fresh.Ended() != live.Ended() ||
				fresh.End() != live.End() || fresh.ReleasePerSec() != live.ReleasePerSec() || fresh.Waitlist() != live.Waitlist() ||
				freshList.Digest() != liveList.Digest() || !freshList.Blocked(50, netip.Addr{}) {
				t.Fatalf("rebuilt quota %d ended %v, live quota %d ended %v", fresh.Quota(), fresh.Ended(), live.Quota(), live.Ended())
			}
		})
	}
}

// TestRebuildRefusesMissingBlocklist: recovery does not serve from a store
// whose blocklist record names a list it does not hold.
func TestRebuildRefusesMissingBlocklist(t *testing.T) {
	dir, live := kindsSale(t, engine.EndNow())
	s := waltest.Open(t, dir)
	list, digest := live.Blocklist()
	if list == nil {
		t.Fatal("no blocklist in force")
	}
	s.DeleteMetaPrefix("audit.block/" + hex.EncodeToString(digest[:]))
	s.Close()
	l, err := wal.Open(dir, wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fresh := engine.NewShard(*live.Spec(), engine.NewTicketSigner(loggen.TicketKey(3)), nil, nil)
	if _, err := Rebuild(l, func(string, string) *engine.Shard { return fresh }); err == nil {
		t.Fatal("rebuilt a store whose blocklist is gone")
	}
}
