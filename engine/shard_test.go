package engine

import (
	"errors"
	"net/netip"
	"testing"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func testSpec() Spec {
	return Spec{Activity: "act", SKU: "sku-1", Quota: 3, StartUnixNano: 10e9, EndUnixNano: 20e9}
}

func TestStepTable(t *testing.T) {
	type step struct {
		kind Kind
		uid  uint64
		now  int64
		want Result
		seq  uint64
	}
	tests := []struct {
		name  string
		spec  func(*Spec)
		resv  mapSet
		steps []step
	}{
		{"window", nil, nil, []step{
			{Buy, 1, 9e9, NotStarted, 0},
			{Buy, 1, 10e9, Won, 1},
			{Buy, 2, 20e9, Ended, 0},
		}},
		{"sold out and idempotent retry", nil, nil, []step{
			{Buy, 1, 11e9, Won, 1},
			{Buy, 2, 11e9, Won, 2},
			{Buy, 1, 11e9, AlreadyWon, 1},
			{Buy, 3, 11e9, Won, 3},
			{Buy, 4, 11e9, SoldOut, 0},
			{Buy, 2, 12e9, AlreadyWon, 2},
			{Lookup, 3, 12e9, Won, 3},
			{Lookup, 4, 12e9, None, 0},
		}},
		{"reservation", func(s *Spec) { s.ReservationRequired = true }, mapSet{7: true}, []step{
			{Buy, 1, 11e9, NotReserved, 0},
			{Buy, 7, 11e9, Won, 1},
		}},
		{"release per second", func(s *Spec) { s.ReleasePerSec = 1 }, nil, []step{
			{Buy, 1, 11e9, Won, 1},
			{Buy, 2, 11.5e9, Busy, 0},
			{Buy, 2, 12e9, Won, 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := testSpec()
			if tt.spec != nil {
				tt.spec(&spec)
			}
			s := NewShard(spec, NewTicketSigner([]byte("k")), nil, tt.resv)
			for i, st := range tt.steps {
				d := s.Step(&Attempt{Kind: st.kind, UID: st.uid, NowUnixNano: st.now})
				if d.Result != st.want || d.Seq != st.seq {
					t.Fatalf("step %d: got %v/%d, want %v/%d", i, d.Result, d.Seq, st.want, st.seq)
				}
			}
		})
	}
}

func TestBusyRetryMs(t *testing.T) {
	spec := testSpec()
	spec.ReleasePerSec = 1
	s := NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)
	s.Step(&Attempt{UID: 1, NowUnixNano: 11e9})
	d := s.Step(&Attempt{UID: 2, NowUnixNano: 11.25e9})
	if d.Result != Busy || d.RetryMs != 750 {
		t.Fatalf("got %v retry %d ms, want busy 750", d.Result, d.RetryMs)
	}
}

// TestRecoveryKeepsReleaseCount: wins Applied at recovery count toward the
// release rate of their second, so a restart within that second does not
// release release_per_sec more (found by the simulation, seed 1).
func TestRecoveryKeepsReleaseCount(t *testing.T) {
	spec := testSpec()
	spec.ReleasePerSec, spec.Quota = 2, 10
	signer := NewTicketSigner([]byte("k"))
	live := NewShard(spec, signer, nil, nil)
	live.Step(&Attempt{UID: 1, NowUnixNano: 10.9e9})
	live.Step(&Attempt{UID: 2, NowUnixNano: 11.1e9})
	recovered := NewShard(spec, signer, nil, nil)
	for seq := uint64(1); seq <= live.Sold(); seq++ {
		var w Win
		live.WinAt(seq, &w)
		if err := recovered.Apply(&w); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range []struct {
		uid  uint64
		now  int64
		want Result
	}{{3, 11.2e9, Won}, {4, 11.3e9, Busy}, {4, 12e9, Won}} {
		if d := recovered.Step(&Attempt{UID: st.uid, NowUnixNano: st.now}); d.Result != st.want {
			t.Fatalf("uid %d at %d: %v, want %v", st.uid, st.now, d.Result, st.want)
		}
	}
}

// TestActivityLimitAcrossShards: two shards of one activity share Claims, so
// one user wins at most one of them.
func TestActivityLimitAcrossShards(t *testing.T) {
	claims := NewClaims()
	a, b := testSpec(), testSpec()
	a.LimitActivity, b.LimitActivity = true, true
	b.SKU, b.Index = "sku-2", 1
	sa := NewShard(a, NewTicketSigner([]byte("k")), claims, nil)
	sb := NewShard(b, NewTicketSigner([]byte("k")), claims, nil)
	if d := sa.Step(&Attempt{UID: 5, NowUnixNano: 11e9}); d.Result != Won {
		t.Fatalf("first: %v", d.Result)
	}
	if d := sb.Step(&Attempt{UID: 5, NowUnixNano: 11e9}); d.Result != LimitReached {
		t.Fatalf("second: %v", d.Result)
	}
	if d := sa.Step(&Attempt{UID: 5, NowUnixNano: 11e9}); d.Result != AlreadyWon {
		t.Fatalf("retry: %v", d.Result)
	}
}

// TestFailReleasesClaims: a win lost to a store failure gives its activity
// claim back and the shard answers unavailable.
func TestFailReleasesClaims(t *testing.T) {
	claims := NewClaims()
	spec := testSpec()
	spec.LimitActivity = true
	s := NewShard(spec, NewTicketSigner([]byte("k")), claims, nil)
	s.Step(&Attempt{UID: 1, NowUnixNano: 11e9})
	s.MarkDurable(1)
	s.Step(&Attempt{UID: 2, NowUnixNano: 11e9})
	s.Fail()
	if _, held := claims.Holder(2); held {
		t.Fatal("claim of the lost win kept")
	}
	if _, held := claims.Holder(1); !held {
		t.Fatal("claim of the durable win dropped")
	}
	if d := s.Step(&Attempt{UID: 3, NowUnixNano: 11e9}); d.Result != Unavailable {
		t.Fatalf("after fail: %v", d.Result)
	}
}

func TestAppendOverQuotaPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("selling over quota must panic")
		}
	}()
	s := NewShard(testSpec(), NewTicketSigner([]byte("k")), nil, nil)
	s.appendWin(1, 11e9, netip.Addr{})
	s.appendWin(2, 11e9, netip.Addr{})
	s.appendWin(3, 11e9, netip.Addr{})
	s.appendWin(4, 11e9, netip.Addr{})
}

func TestStepDoesNotAllocate(t *testing.T) {
	spec := testSpec()
	spec.Quota = 1 << 20
	s := NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)
	uid := uint64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		uid++
		s.Step(&Attempt{Kind: Buy, UID: uid, NowUnixNano: 11e9})
		s.Step(&Attempt{Kind: Buy, UID: uid, NowUnixNano: 11e9}) // already_won
	})
	if allocs != 0 {
		t.Fatalf("Step allocates %.1f times per run", allocs)
	}
	full := NewShard(testSpec(), NewTicketSigner([]byte("k")), nil, nil)
	for uid := uint64(1); uid <= 3; uid++ {
		full.Step(&Attempt{UID: uid, NowUnixNano: 11e9})
	}
	if a := testing.AllocsPerRun(1000, func() { full.Step(&Attempt{UID: 99, NowUnixNano: 11e9}) }); a != 0 {
		t.Fatalf("sold-out Step allocates %.1f", a)
	}
}

func TestCanonicalRoundTrip(t *testing.T) {
	w := Win{Activity: "act", SKU: "sku", Seq: 7, UID: 42, TimeUnixNano: 123, Client: netip.MustParseAddr("10.1.2.3")}
	w.Ticket = NewTicketSigner([]byte("k")).Sign(w.Activity, w.SKU, w.Seq, w.UID)
	w.Hash = ComputeHash(&w)
	b := AppendCanonical(nil, &w)
	var got Win
	n, err := DecodeCanonical(b, &got)
	if err != nil || n != len(b) {
		t.Fatalf("decode: %v n=%d len=%d", err, n, len(b))
	}
	got.Hash = ComputeHash(&got)
	if got != w {
		t.Fatalf("round trip: %+v != %+v", got, w)
	}
}

func BenchmarkStepWin(b *testing.B) {
	spec := testSpec()
	spec.Quota = 1 << 40
	s := NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Step(&Attempt{UID: uint64(i), NowUnixNano: 11e9})
	}
}

func BenchmarkStepSoldOut(b *testing.B) {
	s := NewShard(testSpec(), NewTicketSigner([]byte("k")), nil, nil)
	for uid := uint64(1); uid <= 3; uid++ {
		s.Step(&Attempt{UID: uid, NowUnixNano: 11e9})
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Step(&Attempt{UID: uint64(i) + 10, NowUnixNano: 11e9})
	}
}
