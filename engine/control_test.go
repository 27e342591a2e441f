package engine

import (
	"errors"
	"testing"
)

// TestControlInOrder: a control change takes effect exactly between the
// attempts around it, and the record it makes names its place among the
// wins.
func TestControlInOrder(t *testing.T) {
	spec := testSpec()
	spec.Quota = 10
	spec.ReservationRequired = true
	old, cur := mapSet{1: true, 2: true}, mapSet{2: true, 3: true}
	s := NewShard(spec, NewTicketSigner([]byte("k")), nil, old)
	type step struct {
		ctl     *Control // a control change, or else an attempt:
		kind    Kind
		uid     uint64
		want    Result
		verdict ControlVerdict
	}
	swap := &Control{Kind: ControlReservations, Set: cur, Digest: [32]byte{7}, Num: 2}
	steps := []step{
		{kind: Buy, uid: 1, want: Won},         // in the old list
		{kind: Buy, uid: 3, want: NotReserved}, // not yet
		{ctl: swap, verdict: ControlApplied},
		{ctl: &Control{Kind: ControlReservations, Set: cur, Digest: [32]byte{7}, Num: 2}, verdict: ControlUnchanged},
		{kind: Buy, uid: 3, want: Won},
		{kind: Buy, uid: 4, want: NotReserved},
		{kind: Buy, uid: 1, want: AlreadyWon}, // a winner's retry, though no longer listed
		{ctl: &Control{Kind: ControlPause}, verdict: ControlApplied},
		{ctl: &Control{Kind: ControlPause}, verdict: ControlUnchanged},
		{kind: Buy, uid: 2, want: Unavailable},
		{kind: Lookup, uid: 3, want: Won}, // a lookup still finds its win
		{ctl: &Control{Kind: ControlResume}, verdict: ControlApplied},
		{kind: Buy, uid: 2, want: Won},
	}
	var records []Control
	for i, st := range steps {
		if st.ctl != nil {
			st.ctl.TimeUnixNano = 11e9
			if v := s.Control(st.ctl); v != st.verdict {
				t.Fatalf("step %d: %v control %v, want %v", i, st.ctl.Kind, v, st.verdict)
			}
			if st.verdict == ControlApplied {
				records = append(records, *st.ctl)
			}
			continue
		}
		if d := s.Step(&Attempt{Kind: st.kind, UID: st.uid, NowUnixNano: 11e9}); d.Result != st.want {
			t.Fatalf("step %d: uid %d got %v, want %v", i, st.uid, d.Result, st.want)
		}
	}
	// Each record names the wins before it and the strand before it.
	var w1, w2 Win
	s.WinAt(1, &w1)
	s.WinAt(2, &w2)
	wantAfter := []struct {
		wins uint64
		head [32]byte
	}{{1, w1.Hash}, {2, w2.Hash}, {2, w2.Hash}}
	var prev [32]byte
	for i, c := range records {
		if c.Seq != uint64(i+1) || c.AfterWins != wantAfter[i].wins || c.WinHead != wantAfter[i].head ||
			c.Prev != prev || c.Hash != ComputeControlHash(&c) || c.Activity != spec.Activity || c.SKU != spec.SKU {
			t.Fatalf("record %d: %+v", i, c)
		}
		prev = c.Hash
	}
	if h := s.ChainHead(); h.Controls != 3 || h.ControlHash != prev || h.Wins != 3 {
		t.Fatalf("head %+v", h)
	}
}

func TestControlRefused(t *testing.T) {
	open := NewShard(testSpec(), NewTicketSigner([]byte("k")), nil, nil)
	spec := testSpec()
	spec.ReservationRequired = true
	req := NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)
	tests := []struct {
		name string
		s    *Shard
		c    Control
	}{
		{"unknown kind", req, Control{Kind: 99}},
		{"pause with a number", req, Control{Kind: ControlPause, Num: 1}},
		{"resume with data", req, Control{Kind: ControlResume, Data: []byte{1}}},
		{"unknown source", req, Control{Kind: ControlPause, Source: 7}},
		{"list without the list", req, Control{Kind: ControlReservations, Digest: [32]byte{1}}},
		{"list for an open activity", open, Control{Kind: ControlReservations, Digest: [32]byte{1}, Set: mapSet{}}},
	}
	for _, tc := range tests {
		before := tc.s.ChainHead()
		if v := tc.s.Control(&tc.c); v != ControlRefused {
			t.Errorf("%s: %v, want refused", tc.name, v)
		}
		if tc.s.ChainHead() != before {
			t.Errorf("%s: a refused control moved the strand", tc.name)
		}
	}
	req.Step(&Attempt{UID: 1, NowUnixNano: 11e9})
	req.Fail()
	if v := req.Control(&Control{Kind: ControlPause}); v != ControlUnavailable {
		t.Fatalf("control on a failed shard: %v", v)
	}
}

// TestConfigReservations: the configuration's list is remembered apart from
// the one in force, so a restart with the same file does not undo an
// operator's swap.
func TestConfigReservations(t *testing.T) {
	spec := testSpec()
	spec.ReservationRequired = true
	s := NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)
	file, op := [32]byte{1}, [32]byte{2}
	steps := []struct {
		src    ControlSource
		digest [32]byte
		want   ControlVerdict
	}{
		{SourceConfig, file, ControlApplied},
		{SourceOperator, op, ControlApplied},
		{SourceOperator, op, ControlUnchanged},
		{SourceConfig, file, ControlApplied}, // the file given again is a change back
		{SourceConfig, file, ControlUnchanged},
	}
	for i, st := range steps {
		c := Control{Kind: ControlReservations, Source: st.src, Digest: st.digest, Set: mapSet{}}
		if v := s.Control(&c); v != st.want {
			t.Fatalf("step %d: %v, want %v", i, v, st.want)
		}
	}
	if s.ConfigReservations() != file {
		t.Fatal("config digest not kept")
	}
}

// TestApplyControlRejects: recovery refuses a control record that is not
// the strand's next, is not where the wins are, was edited, or names a list
// it was not given.
func TestApplyControlRejects(t *testing.T) {
	spec := testSpec()
	spec.Quota = 10
	spec.ReservationRequired = true
	live := NewShard(spec, NewTicketSigner([]byte("k")), nil, mapSet{1: true, 2: true})
	live.Step(&Attempt{UID: 1, NowUnixNano: 11e9})
	c1 := Control{Kind: ControlPause, TimeUnixNano: 11e9}
	live.Control(&c1)
	c2 := Control{Kind: ControlResume, TimeUnixNano: 11e9}
	live.Control(&c2)
	live.Step(&Attempt{UID: 2, NowUnixNano: 11e9})
	c3 := Control{Kind: ControlReservations, Digest: [32]byte{5}, Num: 1, Set: mapSet{2: true}, TimeUnixNano: 11e9}
	live.Control(&c3)
	var w1, w2 Win
	live.WinAt(1, &w1)
	live.WinAt(2, &w2)

	tests := []struct {
		name string
		log  func(c1, c2, c3 *Control) []any // wins and controls in the order applied
		want error
	}{
		{"in order", func(c1, c2, c3 *Control) []any { return []any{&w1, c1, c2, &w2, c3} }, nil},
		{"control removed", func(c1, c2, c3 *Control) []any { return []any{&w1, c2, &w2, c3} }, ErrChainBroken},
		{"controls swapped", func(c1, c2, c3 *Control) []any { return []any{&w1, c2, c1, &w2, c3} }, ErrChainBroken},
		{"control moved before a win", func(c1, c2, c3 *Control) []any { return []any{c1, &w1, c2, &w2, c3} }, ErrChainBroken},
		{"kind edited", func(c1, c2, c3 *Control) []any { c1.Kind = ControlResume; return []any{&w1, c1, c2, &w2, c3} }, ErrChainBroken},
		{"kind edited and rehashed", func(c1, c2, c3 *Control) []any {
			c1.Kind = ControlResume
			c1.Hash = ComputeControlHash(c1)
			return []any{&w1, c1, c2, &w2, c3}
		}, ErrChainBroken},
		{"list not loaded", func(c1, c2, c3 *Control) []any { c3.Set = nil; return []any{&w1, c1, c2, &w2, c3} }, ErrBadControl},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b, c := c1, c2, c3
			s := NewShard(spec, NewTicketSigner([]byte("k")), nil, mapSet{1: true, 2: true})
			var err error
			for _, rec := range tc.log(&a, &b, &c) {
				switch r := rec.(type) {
				case *Win:
					err = s.Apply(r)
				case *Control:
					err = s.ApplyControl(r)
				}
				if err != nil {
					break
				}
			}
			if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want == nil && (s.ChainHead() != live.ChainHead() || s.Paused() != live.Paused()) {
				t.Fatalf("rebuilt %+v, live %+v", s.ChainHead(), live.ChainHead())
			}
		})
	}
}

func TestControlCanonicalRoundTrip(t *testing.T) {
	c := Control{Activity: "act", SKU: "sku", Seq: 3, AfterWins: 9, WinHead: [32]byte{1}, Kind: ControlReservations,
		Source: SourceConfig, TimeUnixNano: -5, Num: 7, UID: 8, Digest: [32]byte{2}, Data: []byte("beacon"), Prev: [32]byte{3}}
	b := AppendControlCanonical(nil, &c)
	// The offsets the record table in package wal documents.
	if b[1] != 'C' || b[50] != byte(ControlReservations) || b[51] != byte(SourceConfig) || b[140] != 3 || b[141+3] != 3 ||
		b[142+6] != 0 || b[143+6] != 6 || string(b[144+6:]) != "beacon" {
		t.Fatalf("layout differs from the documented one: % x", b)
	}
	if len(b) != ControlCanonicalLen(&c) {
		t.Fatalf("encoded %d bytes, ControlCanonicalLen says %d", len(b), ControlCanonicalLen(&c))
	}
	var got Control
	n, err := DecodeControlCanonical(b, &got)
	if err != nil || n != len(b) {
		t.Fatalf("decode: %v n=%d len=%d", err, n, len(b))
	}
	if ComputeControlHash(&got) != ComputeControlHash(&c) || string(got.Data) != "beacon" || got.Kind != c.Kind || got.TimeUnixNano != -5 {
		t.Fatalf("round trip: %+v != %+v", got, c)
	}
	for cut := 0; cut < len(b); cut++ {
		if _, err := DecodeControlCanonical(b[:cut], &got); err == nil {
			t.Fatalf("decoded a body cut at %d", cut)
		}
	}
}

func FuzzDecodeControlCanonical(f *testing.F) {
	c := Control{Activity: "a", SKU: "s", Seq: 1, Kind: ControlPause, Data: []byte{1, 2}}
	valid := string(AppendControlCanonical(nil, &c))
	f.Add([]byte(valid))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got Control
		n, err := DecodeControlCanonical(b, &got)
		if err != nil {
			if string(b) == valid { // a format change fails here, not as a rejected input
				t.Fatalf("the record AppendControlCanonical wrote does not decode: %v", err)
			}
			return
		}
		// What decodes re-encodes to the bytes it came from.
		if re := AppendControlCanonical(nil, &got); string(re) != string(b[:n]) {
			t.Fatalf("re-encoding differs")
		}
	})
}

// TestFrozenViewNoAlloc: a view keeps answering as the shard was when it was made,
// while the shard goes on (copy on write).
func TestFrozenViewNoAlloc(t *testing.T) {
	spec := testSpec()
	spec.Quota = 100
	s := NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)
	for uid := uint64(1); uid <= 5; uid++ {
		s.Step(&Attempt{UID: uid, NowUnixNano: 11e9})
	}
	f := s.Freeze()
	for uid := uint64(6); uid <= 50; uid++ {
		s.Step(&Attempt{UID: uid, NowUnixNano: 11e9})
	}
	if f.Wins() != 5 || f.Lookup(3).Result != Won || f.Lookup(3).Seq != 3 || f.Lookup(6).Result != None {
		t.Fatalf("view changed with the shard: wins %d, uid 3 %+v, uid 6 %+v", f.Wins(), f.Lookup(3), f.Lookup(6))
	}
	if d := s.Step(&Attempt{Kind: Lookup, UID: 6}); d.Result != Won {
		t.Fatalf("shard lost a win after the freeze: %v", d.Result)
	}
	if a := testing.AllocsPerRun(100, func() { f.Lookup(3) }); a != 0 {
		t.Fatalf("Lookup allocates %.1f", a)
	}
}

func TestActivityDigest(t *testing.T) {
	a := []ChainHead{{SKU: "b", Wins: 2, Hash: [32]byte{2}}, {SKU: "a", Wins: 1, Hash: [32]byte{1}}}
	b := []ChainHead{a[1], a[0]}
	if ActivityDigest(a) != ActivityDigest(b) {
		t.Fatal("digest depends on the order of heads")
	}
	changed := []ChainHead{a[0], {SKU: "a", Wins: 1, Hash: [32]byte{9}}}
	if ActivityDigest(a) == ActivityDigest(changed) {
		t.Fatal("digest ignores a head hash")
	}
	fewer := []ChainHead{{SKU: "b", Wins: 1, Hash: [32]byte{2}}, a[1]}
	if ActivityDigest(a) == ActivityDigest(fewer) {
		t.Fatal("digest ignores a win count")
	}
	withControls := []ChainHead{a[0], {SKU: "a", Wins: 1, Hash: [32]byte{1}, Controls: 1, ControlHash: [32]byte{4}}}
	otherControl := []ChainHead{a[0], {SKU: "a", Wins: 1, Hash: [32]byte{1}, Controls: 1, ControlHash: [32]byte{5}}}
	if ActivityDigest(a) == ActivityDigest(withControls) || ActivityDigest(withControls) == ActivityDigest(otherControl) {
		t.Fatal("digest ignores the control strand")
	}
	if got := ActivityDigest(nil); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("empty digest %s", got)
	}
}

// TestActivityDigestKnownAnswer pins the digest's byte layout with values
// computed outside Go: without control records (the layout before they
// existed),
//
//	d="61 00 $(printf '%016x' 1) $(printf '01%.0s' $(seq 32)) 62 00 $(printf '%016x' 2) $(printf '02%.0s' $(seq 32))"
//	echo "$d" | tr -d ' ' | xxd -r -p | sha256sum
//
// and with a control strand on SKU "b" (3 records, head hash all 0x03),
// appended after b's win head:
//
//	d="$d $(printf '%016x' 3) $(printf '03%.0s' $(seq 32))"
func TestActivityDigestKnownAnswer(t *testing.T) {
	var h1, h2, h3 [32]byte
	for i := range h1 {
		h1[i], h2[i], h3[i] = 0x01, 0x02, 0x03
	}
	heads := []ChainHead{{SKU: "b", Wins: 2, Hash: h2}, {SKU: "a", Wins: 1, Hash: h1}}
	const want = "99b89a1c1fc37d76c806a2e1e98852334ef9b966b05add5e555c9cec05e33037"
	if got := ActivityDigest(heads); got != want {
		t.Fatalf("digest %s, want %s", got, want)
	}
	heads[0].Controls, heads[0].ControlHash = 3, h3
	const withControls = "01c956523d84e8634464f427c62c97ebdfbd2f5cd45839e03b72ae6da0ae65a0"
	if got := ActivityDigest(heads); got != withControls {
		t.Fatalf("digest with controls %s, want %s", got, withControls)
	}
}
