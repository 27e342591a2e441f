package engine

import "testing"

// soldChain returns the wins a live shard decided for uids 1..n.
func soldChain(t *testing.T, spec Spec, n int) []Win {
	t.Helper()
	s := NewShard(spec, NewTicketSigner([]byte("k")), NewClaims(), nil)
	out := make([]Win, n)
	for i := range out {
		d := s.Step(&Attempt{UID: uint64(i + 1), NowUnixNano: 11e9 + int64(i)})
		if d.Result != Won {
			t.Fatalf("uid %d: %v", i+1, d.Result)
		}
		s.WinAt(d.Seq, &out[i])
	}
	return out
}

func auditSpec() Spec {
	s := testSpec()
	s.Quota = 10
	return s
}

// TestCheckFaults: Check names every fault of a record, and a record Check
// finds no fault in is exactly one Apply accepts.
func TestCheckFaults(t *testing.T) {
	tests := []struct {
		name  string
		at    int // records 0..at-1 are applied first; then the edited record at is checked
		edit  func(w *Win, chain []Win)
		quota uint64
		want  Fault
		errIs error
	}{
		{"clean", 3, func(*Win, []Win) {}, 0, 0, nil},
		{"edited uid", 3, func(w *Win, _ []Win) { w.UID = 99 }, 0, FaultHash | FaultTicket, ErrChainBroken},
		{"edited uid, rehashed", 3, func(w *Win, _ []Win) { w.UID = 99; w.Hash = ComputeHash(w) }, 0, FaultTicket, ErrBadTicket},
		{"edited time", 3, func(w *Win, _ []Win) { w.TimeUnixNano++ }, 0, FaultHash, ErrChainBroken},
		{"deleted predecessor", 3, func(w *Win, c []Win) { *w = c[4] }, 0, FaultSeq | FaultPrev, ErrChainBroken},
		{"other sku", 3, func(w *Win, _ []Win) { w.SKU = "x" }, 0, FaultShard | FaultHash | FaultTicket, ErrChainBroken},
		{"uid twice", 3, func(w *Win, c []Win) {
			w.UID = c[0].UID
			w.Ticket = NewTicketSigner([]byte("k")).Sign(w.Activity, w.SKU, w.Seq, w.UID)
			w.Hash = ComputeHash(w)
		}, 0, FaultDuplicate, ErrDuplicate},
		{"over quota", 3, func(*Win, []Win) {}, 3, FaultQuota, ErrOverQuota},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chain := soldChain(t, auditSpec(), 6)
			spec := auditSpec()
			if tc.quota != 0 {
				spec.Quota = tc.quota
			}
			s := NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)
			for i := 0; i < tc.at; i++ {
				if err := s.Apply(&chain[i]); err != nil {
					t.Fatal(err)
				}
			}
			w := chain[tc.at]
			tc.edit(&w, chain)
			got := s.Check(&w)
			if got != tc.want {
				t.Fatalf("Check = %v, want %v", got, tc.want)
			}
			err := s.Apply(&w)
			if (err == nil) != (got == 0) || (tc.errIs != nil && !errorsIs(err, tc.errIs)) {
				t.Fatalf("Apply = %v with Check = %v", err, got)
			}
		})
	}
}

func TestCheckClaim(t *testing.T) {
	claims := NewClaims()
	a, b := auditSpec(), auditSpec()
	a.LimitActivity, b.LimitActivity = true, true
	b.SKU, b.Index = "sku-2", 1
	wa, wb := soldChain(t, a, 1), soldChain(t, b, 1) // both uid 1
	sa := NewShard(a, NewTicketSigner([]byte("k")), claims, nil)
	sb := NewShard(b, NewTicketSigner([]byte("k")), claims, nil)
	if err := sa.Apply(&wa[0]); err != nil {
		t.Fatal(err)
	}
	if f := sb.Check(&wb[0]); f != FaultClaim {
		t.Fatalf("Check = %v, want claim", f)
	}
	if h, _ := claims.Holder(1); h != 0 {
		t.Fatal("Check changed the claims")
	}
}

// TestAdoptReanchors: after a faulty record is adopted, the records after it
// are checked against it, so one edit or one gap shows as one fault.
func TestAdoptReanchors(t *testing.T) {
	chain := soldChain(t, auditSpec(), 8)
	s := NewShard(auditSpec(), NewTicketSigner([]byte("k")), nil, nil)
	edited := chain[2]
	edited.UID = 77                                                                      // seq 3 edited without rehash
	records := []Win{chain[0], chain[1], edited, chain[3], chain[5], chain[6], chain[7]} // seq 5 deleted
	var faults []Fault
	for i := range records {
		w := &records[i]
		if err := s.Apply(w); err == nil {
			faults = append(faults, 0)
			continue
		}
		faults = append(faults, s.Check(w))
		if !s.Adopt(w) {
			t.Fatalf("Adopt(seq %d) refused", w.Seq)
		}
	}
	want := []Fault{0, 0, FaultHash | FaultTicket, 0, FaultSeq | FaultPrev, 0, 0}
	for i := range want {
		if faults[i] != want[i] {
			t.Fatalf("record %d (seq %d): %v, want %v", i, records[i].Seq, faults[i], want[i])
		}
	}
	if s.Sold() != 8 || s.ChainHead().Hash != chain[7].Hash {
		t.Fatalf("after adopt: sold %d, head matches %v", s.Sold(), s.ChainHead().Hash == chain[7].Hash)
	}
	if d := s.Step(&Attempt{Kind: Lookup, UID: 77}); d.Result != Won || d.Seq != 3 {
		t.Fatalf("adopted uid lookup: %+v", d)
	}
	if s.Adopt(&chain[7]) {
		t.Fatal("adopted a seq it already holds")
	}
	beyond := chain[7]
	beyond.Seq = 11
	if s.Adopt(&beyond) {
		t.Fatal("adopted a seq beyond the quota")
	}
}

// TestReserve: reserving room keeps the shard's state, and Apply then
// fills the room without growing it.
func TestReserve(t *testing.T) {
	chain := soldChain(t, auditSpec(), 8)
	s := NewShard(auditSpec(), NewTicketSigner([]byte("k")), nil, nil)
	for i := range 3 {
		if err := s.Apply(&chain[i]); err != nil {
			t.Fatal(err)
		}
	}
	s.Reserve(5000)
	if s.Sold() != 3 || s.ChainHead().Hash != chain[2].Hash {
		t.Fatalf("Reserve changed the state: sold %d", s.Sold())
	}
	if d := s.Step(&Attempt{Kind: Lookup, UID: chain[1].UID}); d.Seq != 2 {
		t.Fatalf("uid index lost: %+v", d)
	}
	table := &s.wins[:1][0]
	for i := 3; i < 8; i++ {
		if err := s.Apply(&chain[i]); err != nil {
			t.Fatal(err)
		}
	}
	if &s.wins[0] != table || cap(s.wins) != 5000 {
		t.Fatalf("Apply after Reserve grew the winner table (cap %d)", cap(s.wins))
	}
	s.Reserve(2) // smaller: nothing happens
	if s.Sold() != 8 {
		t.Fatal("a small Reserve changed the shard")
	}
}
