package engine

import (
	"errors"
	"net/netip"
	"testing"
)

// TestSetStockMidSale: raising the stock of a sold-out shard lets exactly
// the new quota win; lowering it below the wins is refused and changes
// nothing; lowering it to the wins sells out.
func TestSetStockMidSale(t *testing.T) {
	spec := testSpec()
	spec.Quota = 3
	s := NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)
	buy := func(uid uint64) Result { return s.Step(&Attempt{UID: uid, NowUnixNano: 11e9}).Result }
	for uid := uint64(1); uid <= 3; uid++ {
		if r := buy(uid); r != Won {
			t.Fatalf("uid %d: %v", uid, r)
		}
	}
	if r := buy(4); r != SoldOut {
		t.Fatalf("uid 4 before the raise: %v", r)
	}
	raise := SetStock(10, 5) // quota_percent 50
	if v := s.Control(&raise); v != ControlApplied || s.Quota() != 5 {
		t.Fatalf("raise: %v, quota %d", v, s.Quota())
	}
	if st, set := s.Stock(); !set || st != 10 {
		t.Fatalf("stock %d set %v", st, set)
	}
	won := 0
	for uid := uint64(4); uid <= 20; uid++ {
		if buy(uid) == Won {
			won++
		}
	}
	if won != 2 || s.Sold() != 5 {
		t.Fatalf("after the raise %d won (sold %d), want exactly 2 (quota 5)", won, s.Sold())
	}
	again := SetStock(10, 5)
	if v := s.Control(&again); v != ControlUnchanged {
		t.Fatalf("same stock again: %v", v)
	}
	before := s.ChainHead()
	low := SetStock(4, 4)
	if v := s.Control(&low); v != ControlRefused || s.Quota() != 5 || s.ChainHead() != before {
		t.Fatalf("below sold: %v, quota %d", v, s.Quota())
	}
	if why := s.Refusal(&low); why == "" {
		t.Fatal("no reason for a refusal")
	}
	exact := SetStock(5, 5)
	if v := s.Control(&exact); v != ControlApplied {
		t.Fatalf("down to sold: %v", v)
	}
	s.MarkDurable(5)
	if !s.SoldOut() {
		t.Fatal("not sold out at the new quota")
	}
}

// TestEndNow: buys after the record answer ended, a winner's lookup still
// finds its win, and a second end is unchanged.
func TestEndNow(t *testing.T) {
	s := NewShard(testSpec(), NewTicketSigner([]byte("k")), nil, nil)
	s.Step(&Attempt{UID: 1, NowUnixNano: 11e9})
	end := EndNow()
	if v := s.Control(&end); v != ControlApplied || !s.Ended() {
		t.Fatalf("end: %v", v)
	}
	if r := s.Step(&Attempt{UID: 2, NowUnixNano: 11e9}).Result; r != Ended {
		t.Fatalf("buy after the end: %v", r)
	}
	if r := s.Step(&Attempt{UID: 1, NowUnixNano: 11e9}).Result; r != Ended {
		t.Fatalf("winner's retry after the end: %v", r)
	}
	if d := s.Step(&Attempt{Kind: Lookup, UID: 1}); d.Result != Won {
		t.Fatalf("lookup after the end: %v", d.Result)
	}
	again := EndNow()
	if v := s.Control(&again); v != ControlUnchanged {
		t.Fatalf("second end: %v", v)
	}
}

func TestBlocklistControl(t *testing.T) {
	s := NewShard(testSpec(), NewTicketSigner([]byte("k")), nil, nil)
	none := SetBlocklist(NewBlocklist(nil, nil))
	if v := s.Control(&none); v != ControlUnchanged {
		t.Fatalf("empty list on a shard without one: %v", v)
	}
	addr := netip.MustParseAddr("10.0.0.7")
	b := NewBlocklist([]uint64{5}, []netip.Addr{addr})
	c := SetBlocklist(b)
	if v := s.Control(&c); v != ControlApplied {
		t.Fatalf("blocklist: %v", v)
	}
	tests := []struct {
		uid    uint64
		client netip.Addr
		want   Result
	}{
		{5, netip.Addr{}, Blocked},
		{6, addr, Blocked},
		{6, netip.MustParseAddr("::ffff:10.0.0.7"), Blocked},
		{6, netip.MustParseAddr("10.0.0.8"), Won},
	}
	for _, tc := range tests {
		if r := s.Step(&Attempt{UID: tc.uid, Client: tc.client, NowUnixNano: 11e9}).Result; r != tc.want {
			t.Errorf("uid %d from %v: %v, want %v", tc.uid, tc.client, r, tc.want)
		}
	}
	same := SetBlocklist(NewBlocklist([]uint64{5, 5}, []netip.Addr{addr}))
	if v := s.Control(&same); v != ControlUnchanged {
		t.Fatalf("same list again: %v", v)
	}
	forged := SetBlocklist(b)
	forged.Digest[0] ^= 1
	if v := s.Control(&forged); v != ControlRefused {
		t.Fatalf("list that is not its digest's: %v", v)
	}
	empty := SetBlocklist(NewBlocklist(nil, nil))
	if v := s.Control(&empty); v != ControlApplied {
		t.Fatalf("empty list: %v", v)
	}
	if r := s.Step(&Attempt{UID: 5, NowUnixNano: 11e9}).Result; r != Won {
		t.Fatalf("uid 5 after the list was emptied: %v", r)
	}
}

// TestNewKindsRefusedAndRejected: malformed records of the new kinds are
// refused live and rejected at recovery.
func TestNewKindsRefusedAndRejected(t *testing.T) {
	s := NewShard(testSpec(), NewTicketSigner([]byte("k")), nil, nil)
	tests := []struct {
		name string
		c    Control
	}{
		{"set-stock without its quota", Control{Kind: ControlSetStock, Num: 5}},
		{"set-stock with a short quota", Control{Kind: ControlSetStock, Num: 5, Data: []byte{1}}},
		{"end-now with a number", Control{Kind: ControlEndNow, Num: 1}},
		{"blocklist without the list", Control{Kind: ControlBlocklist, Digest: [32]byte{1}}},
	}
	for _, tc := range tests {
		if v := s.Control(&tc.c); v != ControlRefused {
			t.Errorf("%s: %v, want refused", tc.name, v)
		}
	}
	// A blocklist record whose list recovery could not load.
	live := NewShard(testSpec(), NewTicketSigner([]byte("k")), nil, nil)
	c := SetBlocklist(NewBlocklist([]uint64{1}, nil))
	live.Control(&c)
	c.Blocklist = nil
	if err := NewShard(testSpec(), NewTicketSigner([]byte("k")), nil, nil).ApplyControl(&c); !errors.Is(err, ErrBadControl) {
		t.Fatalf("blocklist record without its list: %v", err)
	}
	// A set-stock below the wins recovery already applied (an edit that
	// kept the chain: rehashed).
	spec := testSpec()
	spec.Quota = 5
	live = NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)
	live.Step(&Attempt{UID: 1, NowUnixNano: 11e9})
	live.Step(&Attempt{UID: 2, NowUnixNano: 11e9})
	st := SetStock(2, 2)
	live.Control(&st)
	st.Data = SetStock(1, 1).Data
	st.Hash = ComputeControlHash(&st)
	fresh := NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)
	for seq := uint64(1); seq <= 2; seq++ {
		var w Win
		live.WinAt(seq, &w)
		if err := fresh.Apply(&w); err != nil {
			t.Fatal(err)
		}
	}
	if err := fresh.ApplyControl(&st); !errors.Is(err, ErrBadControl) {
		t.Fatalf("set-stock below the wins: %v", err)
	}
}

func TestBlocklistBinaryRoundTrip(t *testing.T) {
	b := NewBlocklist([]uint64{9, 1, 1 << 60, 9}, []netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("::ffff:1.2.3.4"), netip.MustParseAddr("1.2.3.4")})
	if b.Len() != 5 {
		t.Fatalf("len %d, want 5 (repeats and the mapped twin folded)", b.Len())
	}
	enc := b.AppendBinary(nil)
	got, err := DecodeBlocklist(enc)
	if err != nil || got.Digest() != b.Digest() || got.Len() != b.Len() {
		t.Fatalf("round trip: %v", err)
	}
	if a := got.Addrs(); a[0] != netip.MustParseAddr("1.2.3.4") {
		t.Fatalf("addrs %v", a)
	}
	for cut := 0; cut < len(enc); cut++ {
		if _, err := DecodeBlocklist(enc[:cut]); err == nil {
			t.Fatalf("decoded a list cut at %d", cut)
		}
	}
	if _, err := DecodeBlocklist(append(enc, 0)); err == nil {
		t.Fatal("decoded a list with a byte left over")
	}
}

func FuzzDecodeBlocklist(f *testing.F) {
	valid := string(NewBlocklist([]uint64{1, 300}, []netip.Addr{netip.MustParseAddr("10.0.0.1")}).AppendBinary(nil))
	f.Add([]byte(valid))
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, p []byte) {
		b, err := DecodeBlocklist(p)
		if err != nil {
			if string(p) == valid { // a format change fails here, not as a rejected input
				t.Fatalf("the list AppendBinary wrote does not decode: %v", err)
			}
			return
		}
		// What decodes is canonical: rebuilding it gives the same bytes.
		re := NewBlocklist(b.UIDs(), b.Addrs())
		if string(re.AppendBinary(nil)) != string(p) || re.Digest() != b.Digest() {
			t.Fatalf("not canonical: % x", p)
		}
	})
}

// TestStepBlocklistNoAlloc: the blocklist check on the hot path does not
// allocate.
func TestStepBlocklistNoAlloc(t *testing.T) {
	spec := testSpec()
	spec.Quota = 1
	s := NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)
	c := SetBlocklist(NewBlocklist([]uint64{1, 2, 3}, []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.3")}))
	s.Control(&c)
	s.Step(&Attempt{UID: 9, NowUnixNano: 11e9}) // sells out
	a := &Attempt{UID: 7, Client: netip.MustParseAddr("10.0.0.2"), NowUnixNano: 11e9}
	if n := testing.AllocsPerRun(100, func() { s.Step(a) }); n != 0 {
		t.Fatalf("Step with a blocklist allocates %.1f", n)
	}
}
