package push

import (
	"context"
	"encoding/hex"
	"testing"

	"seckill/engine"
	"seckill/wal"
)

// promotedSale writes a sale of SKU a/s1 to l as the live driver would: a
// quota of 2 (uids 1, 2 win seqs 1, 2), a waitlist of 1 (uid 3), then the
// mall's lapse of seq 1, which promotes uid 3. It returns the ticket the
// promotion carries, signed under the log's ticket key.
func promotedSale(t *testing.T, l *wal.Log) [engine.TicketBytes]byte {
	t.Helper()
	key, err := l.TicketKey()
	if err != nil {
		t.Fatal(err)
	}
	signer := engine.NewTicketSigner(key)
	s := engine.NewShard(engine.Spec{Activity: "a", SKU: "s1", Quota: 2, Waitlist: 1, EndUnixNano: 1 << 62}, signer, nil, nil)
	var wins []engine.Win
	for uid := uint64(1); uid <= 3; uid++ {
		d := s.Step(&engine.Attempt{Kind: engine.Buy, UID: uid, NowUnixNano: 1000 + int64(uid)})
		if d.Record == engine.RecordWin {
			var w engine.Win
			s.WinAt(d.Seq, &w)
			wins = append(wins, w)
			s.MarkDurable(d.Seq)
		}
	}
	controls := s.TakeRecords(nil)
	lapse := engine.Control{Kind: engine.ControlLapsed, Num: 1, UID: 1, TimeUnixNano: 2000}
	if v := s.Control(&lapse); v != engine.ControlApplied {
		t.Fatalf("lapse: %v %v", v, s.RefusalReason())
	}
	controls = append(controls, lapse)
	controls = s.TakeRecords(controls)
	if len(wins) != 2 || len(controls) != 3 || controls[2].Kind != engine.ControlPromoted {
		t.Fatalf("the sale wrote %d wins and %+v", len(wins), controls)
	}
	if err := l.Append(wins, controls); err != nil {
		t.Fatal(err)
	}
	return signer.Sign("a", "s1", 1, 3)
}

func TestPushDeliversPromotion(t *testing.T) {
	l, err := wal.Open(t.TempDir(), wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ticket := promotedSale(t, l)
	m, srv := newMall(t, 0, 0, 0)
	drain := func() DrainReport {
		t.Helper()
		rep, err := newPusher(t, l, testOptions(srv.URL)).Drain(context.Background()) // a fresh pusher: a restart
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	want := map[string]int{"a/s1/1": 1, "a/s1/2": 1, "a/s1/1/r1": 1}
	check := func(step string, received map[string]int) {
		t.Helper()
		c := m.snapshot()
		if len(c.bookings) != len(want) || len(c.received) != len(received) {
			t.Errorf("%s: the mall booked %v and received %v; want %v booked once each", step, c.bookings, c.received, want)
		}
		for key, n := range want {
			if c.bookings[key] != n || c.received[key] != received[key] {
				t.Errorf("%s: %s booked %d times, received %d times; want %d and %d", step, key, c.bookings[key], c.received[key], n, received[key])
			}
		}
		rec := c.records["a/s1/1/r1"]
		if rec.IdempotencyKey != "a/s1/1/r1" || rec.State != "promoted" || rec.UID != 3 || rec.PromotedFrom != 1 || rec.Round != 1 ||
			rec.Seq != 1 || rec.Ticket != hex.EncodeToString(ticket[:]) {
			t.Errorf("%s: the promotion arrived as %+v", step, rec)
		}
		m.mu.Lock()
		badKeys, badSigs := m.badKeys, m.badSigs
		m.mu.Unlock()
		if badKeys != 0 || badSigs != 0 {
			t.Errorf("%s: %d records with a wrong key, %d batches with a bad signature", step, badKeys, badSigs)
		}
	}
	if rep := drain(); rep.Delivered != 3 {
		t.Fatalf("first drain delivered %d records, want 3", rep.Delivered)
	}
	check("first drain", map[string]int{"a/s1/1": 1, "a/s1/2": 1, "a/s1/1/r1": 1})
	if rep := drain(); rep.Delivered != 0 {
		t.Fatalf("a restart after the watermark was saved delivered %d records again", rep.Delivered)
	}
	// A crash after the mall's 2xx but before the watermark was written:
	// the promotion goes again, under the same key, and nothing else does.
	if err := l.ApplyMeta([]wal.MetaOp{{Key: promotedKey(chainKey{"a", "s1"}), Delete: true}}); err != nil {
		t.Fatal(err)
	}
	if rep := drain(); rep.Delivered != 1 {
		t.Fatalf("the re-delivery sent %d records, want the one promotion", rep.Delivered)
	}
	check("re-delivery", map[string]int{"a/s1/1": 1, "a/s1/2": 1, "a/s1/1/r1": 2})
}

// TestPushPromotionSurvivesMallOutage: a promotion the mall refuses stays
// behind its watermark and is delivered once the mall is back.
func TestPushPromotionSurvivesMallOutage(t *testing.T) {
	l, err := wal.Open(t.TempDir(), wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	promotedSale(t, l)
	m, srv := newMall(t, 0, 0, 0)
	opts := testOptions(srv.URL)
	opts.MaxAttempts = 3
	p := newPusher(t, l, opts)
	m.setDown(true)
	if _, err := p.Drain(context.Background()); err == nil {
		t.Fatal("a drain against a mall that is down reported success for the promotion")
	}
	if n, err := p.Requeue(ScopeFailed); err != nil || n != 2 {
		t.Fatalf("requeue of the parked wins: %d, %v", n, err)
	}
	m.setDown(false)
	if _, err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := m.snapshot(); c.bookings["a/s1/1/r1"] != 1 || c.bookings["a/s1/1"] != 1 || c.bookings["a/s1/2"] != 1 {
		t.Fatalf("after the outage the mall booked %v", c.bookings)
	}
}
