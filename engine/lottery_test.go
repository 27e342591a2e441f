package engine

import (
	"runtime"
	"slices"
	"testing"
)

// lotterySpec is a SKU whose activity starts at 10 s with a 500 ms window.
func lotterySpec(quota uint64) Spec {
	s := testSpec()
	s.Quota = quota
	return s
}

const testWindow = 500e6

func commitLottery(t *testing.T, s *Shard, seed [32]byte, promise string) Control {
	t.Helper()
	c := Control{Kind: ControlLotteryCommit, Source: SourceConfig, TimeUnixNano: 9e9, Num: testWindow, Digest: LotteryCommitment(seed), Data: []byte(promise)}
	if v := s.Control(&c); v != ControlApplied {
		t.Fatalf("commit: %v", v)
	}
	return c
}

// TestLotteryLifecycle drives one SKU through its window: entrants are
// answered Entered and recorded by FlushEntrants, the beacon is recorded
// before the close and refused after, the draw is refused before the close,
// made once after it, its wins are the first quota of DrawOrder, and a
// shard rebuilt from the records and wins (recovery, replay) ends in the
// same place.
func TestLotteryLifecycle(t *testing.T) {
	seed := [32]byte{42}
	s := NewShard(lotterySpec(3), NewTicketSigner([]byte("k")), nil, nil)
	s.ArmLottery(seed, 0)
	records := []Control{commitLottery(t, s, seed, "drand round 7")}
	if d := s.Step(&Attempt{UID: 1, NowUnixNano: 9e9}); d.Result != NotStarted {
		t.Fatalf("before start: %v", d.Result)
	}
	var entrants []uint64
	now := int64(10e9)
	for uid := uint64(100); uid < 400; uid++ {
		if d := s.Step(&Attempt{UID: uid, NowUnixNano: now}); d.Result != Entered {
			t.Fatalf("uid %d in the window: %v", uid, d.Result)
		}
		entrants = append(entrants, uid)
		if uid%50 == 0 {
			records = s.FlushEntrants(records, now)
			now += 1e6
		}
	}
	if d := s.Step(&Attempt{UID: 100, NowUnixNano: now}); d.Result != Entered {
		t.Fatalf("an entrant's retry: %v", d.Result)
	}
	records = s.FlushEntrants(records, now)
	if n := len(records); n < 2+300/EntrantsPerRecord {
		t.Fatalf("%d records for 300 entrants in 7 flushes", n)
	}
	beacon := Control{Kind: ControlLotteryBeacon, Source: SourceOperator, TimeUnixNano: now, Data: []byte{0xbe, 0xac}}
	if v := s.Control(&beacon); v != ControlApplied {
		t.Fatalf("beacon: %v", v)
	}
	records = append(records, beacon)
	if s.Draw(10e9 + testWindow - 1) {
		t.Fatal("drew before the close")
	}
	if v := s.Control(&Control{Kind: ControlLotteryDraw, Source: SourceOperator, TimeUnixNano: 11e9}); v != ControlRefused {
		t.Fatalf("a draw asked for from outside: %v", v)
	}
	if !s.LotteryDue(10e9+testWindow) || s.LotteryDue(10e9+testWindow-1) {
		t.Fatal("LotteryDue is not the close")
	}
	if d := s.Step(&Attempt{UID: 999, NowUnixNano: 10e9 + testWindow}); d.Result != Busy {
		t.Fatalf("an attempt after the close, before the draw: %v", d.Result)
	}
	late := Control{Kind: ControlLotteryBeacon, Source: SourceOperator, TimeUnixNano: 10e9 + testWindow, Data: []byte{1}}
	if v := s.Control(&late); v != ControlRefused {
		t.Fatalf("beacon after the close: %v", v)
	}
	if !s.Draw(10e9 + testWindow + 5) {
		t.Fatal("no draw after the close")
	}
	drawn := s.TakeRecords(nil)
	if len(drawn) != 1 {
		t.Fatalf("%d records from the draw, want 1 (no waitlist)", len(drawn))
	}
	draw := drawn[0]
	records = append(records, draw)
	if draw.Digest != seed || string(draw.Data) != "\xbe\xac" || draw.Num != 300 || draw.AfterWins != 0 {
		t.Fatalf("draw record: seed %x beacon %x num %d after %d", draw.Digest, draw.Data, draw.Num, draw.AfterWins)
	}
	want := DrawOrder(entrants, seed, []byte{0xbe, 0xac})[:3]
	winners, first := s.DrawWinners()
	if !slices.Equal(winners, want) || first != 1 || s.Sold() != 3 {
		t.Fatalf("winners %v from seq %d (sold %d), want %v from 1", winners, first, s.Sold(), want)
	}
	for i, uid := range want {
		var w Win
		s.WinAt(uint64(i+1), &w)
		if w.UID != uid || w.TimeUnixNano != draw.TimeUnixNano {
			t.Fatalf("win %d: uid %d at %d", i+1, w.UID, w.TimeUnixNano)
		}
		if d := s.Step(&Attempt{Kind: Lookup, UID: uid}); d.Result != Won {
			t.Fatalf("winner %d looks up %v", uid, d.Result)
		}
	}
	if s.Draw(11e9) {
		t.Fatal("a second draw")
	}
	if d := s.Step(&Attempt{UID: 999, NowUnixNano: 11e9}); d.Result != SoldOut {
		t.Fatalf("first come after the draw: %v", d.Result)
	}
	st := s.Lottery()
	if !st.Drawn || st.Seed != seed || st.Entrants != 300 || st.Winners != 3 || st.Promise != "drand round 7" {
		t.Fatalf("state %+v", st)
	}

	// Recovery: records and wins applied in log order rebuild the shard.
	r := NewShard(lotterySpec(3), NewTicketSigner([]byte("k")), nil, nil)
	for i := range records {
		if err := r.ApplyControl(&records[i]); err != nil {
			t.Fatalf("apply control %d: %v", records[i].Seq, err)
		}
	}
	for seq := uint64(1); seq <= 3; seq++ {
		var w Win
		s.WinAt(seq, &w)
		if err := r.Apply(&w); err != nil {
			t.Fatal(err)
		}
	}
	if r.ChainHead() != s.ChainHead() {
		t.Fatal("rebuilt chain head differs")
	}
	rw, _ := r.DrawWinners()
	if !slices.Equal(rw, winners) || r.Lottery().Seed != seed {
		t.Fatal("rebuilt draw differs")
	}
}

// TestLotteryCrashBeforeDraw: a shard rebuilt from the entrant records alone
// (the draw was lost in a crash) draws the same winners as the one that
// crashed would have, once.
func TestLotteryCrashBeforeDraw(t *testing.T) {
	seed := [32]byte{7}
	live := NewShard(lotterySpec(5), NewTicketSigner([]byte("k")), nil, nil)
	live.ArmLottery(seed, 0)
	records := []Control{commitLottery(t, live, seed, "")}
	for uid := uint64(1); uid <= 40; uid++ {
		live.Step(&Attempt{UID: uid, NowUnixNano: 10e9 + int64(uid)})
	}
	records = live.FlushEntrants(records, 10e9+100)
	for uid := uint64(41); uid <= 50; uid++ { // entered, never flushed: lost in the crash
		live.Step(&Attempt{UID: uid, NowUnixNano: 10e9 + 200})
	}
	rebuilt := NewShard(lotterySpec(5), NewTicketSigner([]byte("k")), nil, nil)
	rebuilt.ArmLottery(seed, 0)
	for i := range records {
		if err := rebuilt.ApplyControl(&records[i]); err != nil {
			t.Fatal(err)
		}
	}
	if n := rebuilt.Lottery().Entrants; n != 40 {
		t.Fatalf("rebuilt with %d entrants, want the 40 durable ones", n)
	}
	if !rebuilt.Draw(11e9) {
		t.Fatal("no draw after the rebuild")
	}
	durable := make([]uint64, 40)
	for i := range durable {
		durable[i] = uint64(i + 1)
	}
	got, _ := rebuilt.DrawWinners()
	if want := DrawOrder(durable, seed, nil)[:5]; !slices.Equal(got, want) {
		t.Fatalf("winners %v, want %v", got, want)
	}
}

// TestLotteryBounds: entrants over the bound get busy until the close; an
// activity-wide limit lets a uid enter one SKU only, and the draw gives
// the losers' claims back; a second commit is refused, the same one is
// unchanged; records only the engine makes are refused from outside.
func TestLotteryBounds(t *testing.T) {
	seed := [32]byte{1}
	claims := NewClaims()
	specA, specB := lotterySpec(1), lotterySpec(1)
	specA.LimitActivity, specB.LimitActivity = true, true
	specB.SKU, specB.Index = "sku-2", 1
	a := NewShard(specA, NewTicketSigner([]byte("k")), claims, nil)
	b := NewShard(specB, NewTicketSigner([]byte("k")), claims, nil)
	a.ArmLottery(seed, 3)
	b.ArmLottery(seed, 3)
	commitLottery(t, a, seed, "")
	commitLottery(t, b, seed, "")
	for uid := uint64(1); uid <= 3; uid++ {
		if d := a.Step(&Attempt{UID: uid, NowUnixNano: 10e9}); d.Result != Entered {
			t.Fatal(d.Result)
		}
	}
	if d := a.Step(&Attempt{UID: 4, NowUnixNano: 10e9 + 100e6}); d.Result != Busy || d.RetryMs != 400 {
		t.Fatalf("over the bound: %v retry %d ms, want busy 400", d.Result, d.RetryMs)
	}
	if d := b.Step(&Attempt{UID: 2, NowUnixNano: 10e9}); d.Result != LimitReached {
		t.Fatalf("an entrant of sku-1 entering sku-2: %v", d.Result)
	}
	recs := a.FlushEntrants(nil, 10e9)
	if len(recs) != 1 || recs[0].Num != 3 || !slices.Equal(EntrantsOf(&recs[0]), []uint64{1, 2, 3}) {
		t.Fatalf("entrant records %+v", recs)
	}
	if !a.Draw(11e9) {
		t.Fatal("no draw")
	}
	winners, _ := a.DrawWinners()
	for uid := uint64(1); uid <= 3; uid++ {
		holder, held := claims.Holder(uid)
		if won := uid == winners[0]; won != (held && holder == 0) {
			t.Fatalf("uid %d: won %v, claim held %v by %d", uid, won, held, holder)
		}
	}
	if v := a.Control(&Control{Kind: ControlLotteryCommit, Num: testWindow, Digest: LotteryCommitment([32]byte{2})}); v != ControlRefused {
		t.Fatalf("a second commitment: %v", v)
	}
	if v := b.Control(&Control{Kind: ControlLotteryCommit, Source: SourceConfig, Num: testWindow, Digest: LotteryCommitment(seed)}); v != ControlUnchanged {
		t.Fatalf("the same commitment again: %v", v)
	}
	if v := b.Control(&Control{Kind: ControlLotteryEntrants, Num: 1, Data: make([]byte, 8)}); v != ControlRefused {
		t.Fatalf("entrants from outside: %v", v)
	}
	unarmed := NewShard(lotterySpec(1), NewTicketSigner([]byte("k")), nil, nil)
	commitLottery(t, unarmed, seed, "")
	if d := unarmed.Step(&Attempt{UID: 1, NowUnixNano: 10e9}); d.Result != Unavailable {
		t.Fatalf("a lottery whose seed the shard lacks: %v", d.Result)
	}
}

// BenchmarkLotteryEntrantMemory measures what a shard holds per entrant
// while the window is open: a million entrants stepped in and flushed into
// records (the records are what the driver commits, then drops), the heap
// compared after a GC before and after (docs/BENCHMARKS.md, "Fair
// opening"). The draw's cost is BenchmarkDraw.
func BenchmarkLotteryEntrantMemory(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := NewShard(lotterySpec(1000), NewTicketSigner([]byte("k")), nil, nil)
		s.ArmLottery([32]byte{1}, n)
		c := Control{Kind: ControlLotteryCommit, Source: SourceConfig, Num: testWindow, Digest: LotteryCommitment([32]byte{1})}
		s.Control(&c)
		var recs []Control
		for uid := uint64(1); uid <= n; uid++ {
			if d := s.Step(&Attempt{UID: uid * 2654435761, NowUnixNano: 10e9}); d.Result != Entered {
				b.Fatal(d.Result)
			}
			if uid%4096 == 0 {
				recs = s.FlushEntrants(recs[:0], 10e9)
			}
		}
		recs = s.FlushEntrants(recs[:0], 10e9)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/entrant")
		runtime.KeepAlive(s)
		runtime.KeepAlive(recs)
	}
}

// TestLotteryWaitlist: with every unit drawn, the next `waitlist` entrants
// of the order are waitlisted, in order, by records that follow the draw's
// wins; the rest hold nothing.
func TestLotteryWaitlist(t *testing.T) {
	seed := [32]byte{5}
	spec := lotterySpec(2)
	spec.Waitlist = 2
	s := NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)
	s.ArmLottery(seed, 0)
	commitLottery(t, s, seed, "")
	entrants := []uint64{11, 12, 13, 14, 15, 16}
	for _, uid := range entrants {
		s.Step(&Attempt{UID: uid, NowUnixNano: 10e9})
	}
	s.FlushEntrants(nil, 10e9)
	if !s.Draw(11e9) {
		t.Fatal("no draw")
	}
	recs := s.TakeRecords(nil)
	order := DrawOrder(entrants, seed, nil)
	if len(recs) != 3 || recs[0].Kind != ControlLotteryDraw {
		t.Fatalf("records %+v, want the draw and two waitlist places", recs)
	}
	for i, r := range recs[1:] {
		if r.Kind != ControlWaitlisted || r.UID != order[2+i] || r.Num != uint64(i+1) || r.AfterWins != 2 {
			t.Fatalf("waitlist record %d: %v uid %d num %d after %d; want uid %d", i, r.Kind, r.UID, r.Num, r.AfterWins, order[2+i])
		}
	}
	for i, uid := range order {
		d := s.Step(&Attempt{Kind: Lookup, UID: uid})
		var want Result
		switch {
		case i < 2:
			want = Won
		case i < 4:
			want = Waitlisted
		default:
			want = None
		}
		if d.Result != want || (want == Waitlisted && d.Position != uint64(i-1)) {
			t.Fatalf("rank %d (uid %d): %v position %d, want %v", i+1, uid, d.Result, d.Position, want)
		}
	}
}
