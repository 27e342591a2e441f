package engine

import (
	"errors"
	"testing"
)

// TestStockRaiseServesWaitlistFirst: a set_stock that raises the quota
// while users wait gives the new qualifications to them first, in
// waitlist order, as wins decided with the record; only the rest opens to
// new buyers; and a shard rebuilt from the log agrees.
func TestStockRaiseServesWaitlistFirst(t *testing.T) {
	spec := testSpec()
	spec.Quota, spec.Waitlist = 2, 3
	l := newEconLog(t, spec)
	const now = 11e9
	for uid, want := range map[uint64]Result{1: Won, 2: Won} {
		if d := l.buy(uid, now); d.Result != want {
			t.Fatalf("uid %d: %s", uid, d.Result)
		}
	}
	for uid := uint64(3); uid <= 5; uid++ {
		if d := l.buy(uid, now); d.Result != Waitlisted || d.Position != uid-2 {
			t.Fatalf("uid %d: %s at %d", uid, d.Result, d.Position)
		}
	}
	lookup := func(uid uint64) Decision { return l.s.Step(&Attempt{Kind: Lookup, UID: uid, NowUnixNano: now}) }
	if v := l.raise(4); v != ControlApplied {
		t.Fatalf("raise to 4: %s", v)
	}
	for uid, seq := range map[uint64]uint64{3: 3, 4: 4} {
		if d := lookup(uid); d.Result != Won || d.Seq != seq {
			t.Errorf("after the raise to 4, uid %d: %s seq %d; want won seq %d", uid, d.Result, d.Seq, seq)
		}
	}
	if d := lookup(5); d.Result != Waitlisted || d.Position != 3 {
		t.Errorf("uid 5 after the raise to 4: %s at %d; want still waitlisted at 3", d.Result, d.Position)
	}
	if d := l.buy(6, now); d.Result != SoldOut {
		t.Errorf("a new buyer while the waitlist is full: %s", d.Result)
	}
	if v := l.raise(6); v != ControlApplied {
		t.Fatalf("raise to 6: %s", v)
	}
	if d := lookup(5); d.Result != Won || d.Seq != 5 {
		t.Errorf("after the raise to 6, uid 5: %s seq %d; want won seq 5", d.Result, d.Seq)
	}
	if d := l.buy(6, now); d.Result != Won || d.Seq != 6 {
		t.Errorf("a new buyer after the waitlist is served: %s seq %d; want won seq 6", d.Result, d.Seq)
	}
	r, err := l.recover(spec)
	if err != nil {
		t.Fatal(err)
	}
	if r.ChainHead() != l.s.ChainHead() || r.Remaining() != l.s.Remaining() {
		t.Fatal("recovered shard differs")
	}
	sameBuys(t, r, l.s, now, 7)
}

// TestStockRaiseWinOutOfOrder: a stored win that gives a raise's seq to
// anyone but the first waiting user — here the second, with a ticket and
// hash that verify — is refused by recovery, and Check names it for the audit.
func TestStockRaiseWinOutOfOrder(t *testing.T) {
	spec := testSpec()
	spec.Quota, spec.Waitlist = 1, 2
	l := newEconLog(t, spec)
	const now = 11e9
	l.buy(1, now)
	l.buy(2, now)
	l.buy(3, now)
	if v := l.raise(2); v != ControlApplied || l.wins[1].UID != 2 {
		t.Fatalf("raise: %s, seq 2 to uid %d", v, l.wins[1].UID)
	}
	w := &l.wins[1]
	w.UID = 3
	w.Ticket = NewTicketSigner([]byte("k")).Sign(w.Activity, w.SKU, w.Seq, w.UID)
	w.Hash = ComputeHash(w)
	r, err := l.recover(spec)
	if !errors.Is(err, ErrWaitlistOrder) {
		t.Fatalf("recover: %v; want %v", err, ErrWaitlistOrder)
	}
	// The audit asks Check for every fault: this one alone, which replay
	// reports under its economics check.
	if f := r.Check(w); f != FaultWaitlistOrder {
		t.Fatalf("Check: %v; want %v", f, FaultWaitlistOrder)
	}
}

// TestStockRaiseWinsAreNotReleases: the wins a raise gives the waiting
// users do not spend the second's release_per_sec, live or in a shard
// recovered from the log; only buyers' wins do.
func TestStockRaiseWinsAreNotReleases(t *testing.T) {
	spec := testSpec()
	spec.Quota, spec.Waitlist, spec.ReleasePerSec = 1, 2, 2
	l := newEconLog(t, spec)
	const now = 11e9
	if d := l.buy(1, now); d.Result != Won {
		t.Fatalf("uid 1: %s", d.Result)
	}
	for uid := uint64(2); uid <= 3; uid++ {
		if d := l.buy(uid, now); d.Result != Waitlisted {
			t.Fatalf("uid %d: %s", uid, d.Result)
		}
	}
	if v := l.raise(3); v != ControlApplied || l.s.Sold() != 3 {
		t.Fatalf("raise to 3: %s, sold %d", v, l.s.Sold())
	}
	if v := l.raise(5); v != ControlApplied {
		t.Fatalf("raise to 5: %s", v)
	}
	// One release of the second's two is spent (uid 1): one more buyer
	// wins in it, live and recovered alike.
	r, err := l.recover(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name  string
		shard *Shard
	}{{"live", l.s}, {"recovered", r}} {
		if d := s.shard.Step(&Attempt{Kind: Buy, UID: 4, NowUnixNano: now}); d.Result != Won {
			t.Errorf("%s: uid 4 in the raise's second: %s; want won (the raise's wins are not releases)", s.name, d.Result)
		}
		if d := s.shard.Step(&Attempt{Kind: Buy, UID: 5, NowUnixNano: now}); d.Result != Busy {
			t.Errorf("%s: uid 5 in the same second: %s; want busy (release_per_sec 2 spent)", s.name, d.Result)
		}
	}
}
