package engine

import "testing"

// econShard is a sold-out shard of quota 1 whose waitlist of `waitlist`
// places holds uid 2 at place 1 (when waitlist > 0).
func econShard(tb testing.TB, waitlist uint64) *Shard {
	spec := testSpec()
	spec.Quota, spec.Waitlist = 1, waitlist
	s := NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)
	s.Step(&Attempt{Kind: Buy, UID: 1, NowUnixNano: 11e9})
	s.MarkDurable(1)
	if waitlist > 0 {
		if d := s.Step(&Attempt{Kind: Buy, UID: 2, NowUnixNano: 11e9}); d.Result != Waitlisted {
			tb.Fatalf("uid 2: %s", d.Result)
		}
		s.TakeRecords(nil)
	}
	return s
}

// The cost of each answer once every qualification is issued, as the shard
// decides it (Step) and as the event loop does from the frozen view.
func BenchmarkStepSoldOutRetry(b *testing.B) {
	s := econShard(b, 0)
	a := Attempt{Kind: Buy, UID: 3, NowUnixNano: 12e9}
	b.ReportAllocs()
	for b.Loop() {
		if s.Step(&a).Result != SoldOut {
			b.Fatal("not sold_out")
		}
	}
}

func BenchmarkStepWaitlistedRetry(b *testing.B) {
	s := econShard(b, 1)
	a := Attempt{Kind: Buy, UID: 2, NowUnixNano: 12e9}
	b.ReportAllocs()
	for b.Loop() {
		if s.Step(&a).Result != Waitlisted {
			b.Fatal("not waitlisted")
		}
	}
}

// BenchmarkStepWaitlistJoin decides a new waitlist place: the control
// record's hash and the driver's TakeRecords included (its fsync not).
func BenchmarkStepWaitlistJoin(b *testing.B) {
	s := econShard(b, 1<<30)
	records := make([]Control, 0, 1)
	uid := uint64(10)
	b.ReportAllocs()
	for b.Loop() {
		uid++
		if s.Step(&Attempt{Kind: Buy, UID: uid, NowUnixNano: 12e9}).Result != Waitlisted {
			b.Fatal("not waitlisted")
		}
		records = s.TakeRecords(records[:0])
	}
}

func BenchmarkFrozenBuySoldOut(b *testing.B) {
	f := econShard(b, 0).Freeze()
	b.ReportAllocs()
	for b.Loop() {
		if f.Buy(3).Result != SoldOut {
			b.Fatal("not sold_out")
		}
	}
}

func BenchmarkFrozenBuyWaitlisted(b *testing.B) {
	f := econShard(b, 1).Freeze()
	b.ReportAllocs()
	for b.Loop() {
		if f.Buy(2).Result != Waitlisted {
			b.Fatal("not waitlisted")
		}
	}
}

// TestEconomicsAnswersNoAlloc: a sold_out, a waitlisted retry, and the
// frozen view's answers allocate nothing.
func TestEconomicsAnswersNoAlloc(t *testing.T) {
	soldOut, waitlisted := econShard(t, 0), econShard(t, 1)
	f := waitlisted.Freeze()
	cases := map[string]func(){
		"step sold_out":         func() { soldOut.Step(&Attempt{Kind: Buy, UID: 3, NowUnixNano: 12e9}) },
		"step waitlisted":       func() { waitlisted.Step(&Attempt{Kind: Buy, UID: 2, NowUnixNano: 12e9}) },
		"lookup waitlisted":     func() { waitlisted.Step(&Attempt{Kind: Lookup, UID: 2, NowUnixNano: 12e9}) },
		"frozen buy waitlisted": func() { f.Buy(2) },
	}
	for name, fn := range cases {
		if n := testing.AllocsPerRun(1000, fn); n != 0 {
			t.Errorf("%s: %.1f allocations", name, n)
		}
	}
}
