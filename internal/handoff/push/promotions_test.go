package push

import (
	"context"
	"encoding/hex"
	"testing"

	"seckill/engine"
	"seckill/internal/testkit/salegen"
	"seckill/wal"
)

// promotedSale writes salegen.FillPromotion's sale of a/s1 and returns
// the ticket its promotion carries.
func promotedSale(t *testing.T, l *wal.Log) [engine.TicketBytes]byte {
	t.Helper()
	c, err := salegen.FillPromotion(l, "a", "s1")
	if err != nil {
		t.Fatal(err)
	}
	ticket, _, _ := c.Promotion()
	return ticket
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
