package engine

import (
	"errors"
	"testing"
)

// econLog is a shard with the log its driver would have written: every
// win and control record in decision order, as recovery reads them back.
type econLog struct {
	t       *testing.T
	s       *Shard
	wins    []Win
	records []Control
	order   []bool // true: the next win, false: the next control record
}

func newEconLog(t *testing.T, spec Spec) *econLog {
	return &econLog{t: t, s: NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)}
}

func (l *econLog) take() {
	before := len(l.records)
	l.records = l.s.TakeRecords(l.records)
	for range len(l.records) - before {
		l.order = append(l.order, false)
	}
}

func (l *econLog) buy(uid uint64, now int64) Decision {
	d := l.s.Step(&Attempt{Kind: Buy, UID: uid, NowUnixNano: now})
	switch d.Record {
	case RecordWin:
		var w Win
		l.s.WinAt(d.Seq, &w)
		l.wins = append(l.wins, w)
		l.order = append(l.order, true)
		l.s.MarkDurable(d.Seq)
	case RecordControl:
		l.take()
	}
	return d
}

func (l *econLog) report(kind ControlKind, seq, uid uint64, now int64) (ControlVerdict, error) {
	c := Control{Kind: kind, Num: seq, UID: uid, TimeUnixNano: now}
	v := l.s.Control(&c)
	if v == ControlApplied {
		l.records = append(l.records, c)
		l.order = append(l.order, false)
		l.take()
	}
	return v, l.s.RefusalReason()
}

// raise sets the quota to quota (the stock alike) and logs the record and
// the wins it gave the waiting users, as the shard loop persists them.
func (l *econLog) raise(quota uint64) ControlVerdict {
	sold := l.s.Sold()
	c := SetStock(quota, quota)
	v := l.s.Control(&c)
	if v != ControlApplied {
		return v
	}
	l.records = append(l.records, c)
	l.order = append(l.order, false)
	for seq := sold + 1; seq <= l.s.Sold(); seq++ {
		var w Win
		l.s.WinAt(seq, &w)
		l.wins = append(l.wins, w)
		l.order = append(l.order, true)
		l.s.MarkDurable(seq)
	}
	return v
}

// recover rebuilds a shard from the log, as recovery and replay do.
func (l *econLog) recover(spec Spec) (*Shard, error) {
	r := NewShard(spec, NewTicketSigner([]byte("k")), nil, nil)
	wi, ci := 0, 0
	for _, isWin := range l.order {
		var err error
		if isWin {
			err = r.Apply(&l.wins[wi])
			wi++
		} else {
			err = r.ApplyControl(&l.records[ci])
			ci++
		}
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

func TestWaitlistLapsePromotion(t *testing.T) {
	spec := testSpec()
	spec.Quota, spec.Waitlist = 2, 2
	l := newEconLog(t, spec)
	const now = 11e9
	type step struct {
		do       func() (Result, uint64) // result and seq or position
		want     Result
		wantNum  uint64
		describe string
	}
	buy := func(uid uint64) func() (Result, uint64) {
		return func() (Result, uint64) {
			d := l.buy(uid, now)
			if d.Result == Waitlisted {
				return d.Result, d.Position
			}
			return d.Result, d.Seq
		}
	}
	look := func(uid uint64) func() (Result, uint64) {
		return func() (Result, uint64) {
			d := l.s.Step(&Attempt{Kind: Lookup, UID: uid, NowUnixNano: now})
			return d.Result, d.Seq + d.Position
		}
	}
	steps := []step{
		{buy(1), Won, 1, "first qualification"},
		{buy(2), Won, 2, "last qualification"},
		{buy(3), Waitlisted, 1, "waitlist place 1"},
		{buy(3), Waitlisted, 1, "a waitlisted retry keeps its place"},
		{look(3), Waitlisted, 1, "/result of a waitlisted user"},
		{buy(4), Waitlisted, 2, "waitlist place 2"},
		{buy(5), SoldOut, 0, "beyond the waitlist"},
		{look(5), None, 0, "/result of a sold_out user"},
	}
	for _, st := range steps {
		if got, num := st.do(); got != st.want || num != st.wantNum {
			t.Fatalf("%s: %s %d; want %s %d", st.describe, got, num, st.want, st.wantNum)
		}
	}
	if !l.s.SoldOut() || l.s.Remaining() != 0 {
		t.Fatalf("sold out %v, remaining %d with the waitlist full", l.s.SoldOut(), l.s.Remaining())
	}

	reports := []struct {
		kind     ControlKind
		seq, uid uint64
		want     ControlVerdict
		err      error
	}{
		{ControlPaid, 2, 0, ControlApplied, nil},
		{ControlPaid, 2, 0, ControlUnchanged, nil},
		{ControlLapsed, 2, 0, ControlRefused, ErrPaidCannotLapse},
		{ControlLapsed, 9, 0, ControlRefused, ErrNeverIssued},
		{ControlLapsed, 0, 0, ControlRefused, ErrNeverIssued},
		{ControlLapsed, 1, 77, ControlRefused, ErrNotHolder},
		{ControlLapsed, 1, 1, ControlApplied, nil},   // promotes uid 3 (place 1)
		{ControlLapsed, 1, 1, ControlUnchanged, nil}, // the mall's retry for uid 1
		{ControlPaid, 1, 1, ControlRefused, ErrLapsedNotPaid},
	}
	for i, r := range reports {
		v, err := l.report(r.kind, r.seq, r.uid, now)
		if v != r.want || !errors.Is(err, r.err) {
			t.Fatalf("report %d (%s seq %d uid %d): %s %v; want %s %v", i, r.kind, r.seq, r.uid, v, err, r.want, r.err)
		}
	}
	last := l.records[len(l.records)-1]
	ticket, from, round := last.Promotion()
	if last.Kind != ControlPromoted || last.UID != 3 || last.Num != 1 || from != 1 || round != 1 || ticket == ([TicketBytes]byte{}) {
		t.Fatalf("promotion record %+v (from %d round %d)", last, from, round)
	}
	if d := l.buy(3, now); d.Result != AlreadyWon || d.Seq != 1 || d.Ticket != ticket {
		t.Fatalf("promoted user's retry: %+v", d)
	}
	if d := l.buy(1, now); d.Result != LimitReached {
		t.Fatalf("lapsed user's buy: %s; want limit_reached", d.Result)
	}
	// Uid 3 lapses too: place 2 (uid 4) gets the seq, round 2. Then uid 4
	// lapses with nobody waiting: the unit returns to sale, and the next
	// buyer wins it as round 3.
	if v, _ := l.report(ControlLapsed, 1, 0, now); v != ControlApplied {
		t.Fatalf("second lapse: %s", v)
	}
	if d := l.buy(4, now); d.Result != AlreadyWon || d.Seq != 1 {
		t.Fatalf("place 2 after the second lapse: %+v", d)
	}
	if v, _ := l.report(ControlLapsed, 1, 4, now); v != ControlApplied {
		t.Fatal("third lapse refused")
	}
	if l.s.SoldOut() || l.s.Remaining() != 1 {
		t.Fatalf("after a lapse with nobody waiting: sold out %v, remaining %d; want on sale, 1", l.s.SoldOut(), l.s.Remaining())
	}
	if d := l.buy(6, now); d.Result != Won || d.Seq != 1 || d.Record != RecordControl {
		t.Fatalf("a buyer after the unit returned to sale: %+v", d)
	}
	if _, _, round := l.records[len(l.records)-1].Promotion(); round != 3 {
		t.Fatalf("round %d; want 3", round)
	}
	if d := l.buy(7, now); d.Result != SoldOut {
		t.Fatalf("after the returned unit sold: %s", d.Result)
	}

	// Recovery rebuilds the same shard from the log.
	r, err := l.recover(spec)
	if err != nil {
		t.Fatalf("recover: %v", err)
	}
	if r.ChainHead() != l.s.ChainHead() || r.Remaining() != l.s.Remaining() || r.SoldOut() != l.s.SoldOut() {
		t.Fatalf("recovered head %+v remaining %d; live %+v %d", r.ChainHead(), r.Remaining(), l.s.ChainHead(), l.s.Remaining())
	}
	sameBuys(t, r, l.s, now, 8)
}

func TestEconomicsRecordsTampered(t *testing.T) {
	spec := testSpec()
	spec.Quota, spec.Waitlist = 1, 2
	l := newEconLog(t, spec)
	const now = 11e9
	l.buy(1, now)
	l.buy(2, now)
	l.buy(3, now)
	l.report(ControlLapsed, 1, 0, now) // promotes uid 2
	l.report(ControlPaid, 1, 0, now)
	if _, err := l.recover(spec); err != nil {
		t.Fatalf("untampered log: %v", err)
	}
	// Which record is which: 0 waitlisted 2, 1 waitlisted 3, 2 lapsed 1,
	// 3 promoted 2, 4 paid 2.
	tampers := []struct {
		name   string
		record int
		change func(c *Control)
	}{
		{"waitlist order", 1, func(c *Control) { c.Num = 3 }},
		{"waitlisted winner holds two", 0, func(c *Control) { c.UID = 1 }},
		{"lapse of another uid", 2, func(c *Control) { c.UID = 9 }},
		{"promotion out of waitlist order", 3, func(c *Control) {
			tk, from, round := c.Promotion()
			c.UID = 3
			c.Digest = promotionDigest(tk, from, round)
		}},
		{"forged promotion ticket", 3, func(c *Control) { c.Digest[0] ^= 1 }},
		{"promoted_from", 3, func(c *Control) {
			tk, _, round := c.Promotion()
			c.Digest = promotionDigest(tk, 5, round)
		}},
		{"round", 3, func(c *Control) {
			tk, from, _ := c.Promotion()
			c.Digest = promotionDigest(tk, from, 2)
		}},
		{"paid of a seq never issued", 4, func(c *Control) { c.Num = 2 }},
		{"promotion without a lapse", 2, func(c *Control) { c.Kind = ControlPaid }},
	}
	for _, tt := range tampers {
		t.Run(tt.name, func(t *testing.T) {
			saved := l.records[tt.record]
			rechain := func() {
				for i := tt.record + 1; i < len(l.records); i++ {
					l.records[i].Prev = l.records[i-1].Hash
					l.records[i].Hash = ComputeControlHash(&l.records[i])
				}
			}
			defer func() { l.records[tt.record] = saved; rechain() }()
			c := &l.records[tt.record]
			tt.change(c)
			c.Hash = ComputeControlHash(c) // a forger who recomputes the hash
			rechain()
			if _, err := l.recover(spec); !errors.Is(err, ErrBadControl) {
				t.Fatalf("recover: %v; want ErrBadControl", err)
			}
		})
	}
}

func TestLapseAfterTheRoundDoesNotReturnToSale(t *testing.T) {
	spec := testSpec()
	spec.Quota = 1
	l := newEconLog(t, spec)
	l.buy(1, 11e9)
	if v, _ := l.report(ControlLapsed, 1, 0, spec.EndUnixNano); v != ControlApplied {
		t.Fatal(v)
	}
	if l.s.Remaining() != 0 || !l.s.SoldOut() {
		t.Fatalf("remaining %d after a lapse past the round", l.s.Remaining())
	}
}

func TestOperatorCannotRecordSaleKinds(t *testing.T) {
	spec := testSpec()
	l := newEconLog(t, spec)
	for _, k := range []ControlKind{ControlWaitlisted, ControlPromoted} {
		c := Control{Kind: k, Num: 1, UID: 1}
		if v := l.s.Control(&c); v != ControlRefused || !errors.Is(l.s.RefusalReason(), ErrSaleDecides) {
			t.Errorf("%s from the operator: %s %v", k, v, l.s.RefusalReason())
		}
	}
}

// sameBuys asks the recovered and the live shard a buy of each uid in
// 1..lastUID at now and requires the same decision.
func sameBuys(t *testing.T, recovered, live *Shard, now int64, lastUID uint64) {
	t.Helper()
	for uid := uint64(1); uid <= lastUID; uid++ {
		a := Attempt{Kind: Buy, UID: uid, NowUnixNano: now}
		if got, want := recovered.Step(&a), live.Step(&a); got != want {
			t.Errorf("uid %d: recovered %+v; live %+v", uid, got, want)
		}
	}
}
