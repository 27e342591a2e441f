package engine

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// model is the dumb reference the shards are compared against: plain maps,
// no chains, no tickets, one big function.
type model struct {
	specs    []Spec
	resv     []mapSet // per shard: the reservation list in force
	digest   [][32]byte
	paused   []bool
	quota    []uint64
	ended    []bool
	blocked  []*Blocklist
	sold     []uint64
	won      []map[uint64]uint64 // per shard: uid → seq
	actOwner map[string]map[uint64]int32
	relSec   []int64
	relCount []uint32
	stocks   []uint64 // per shard: 1 + the stock a set-stock gave; 0 = none
}

func newModel(specs []Spec, resv mapSet) *model {
	m := &model{specs: specs, actOwner: map[string]map[uint64]int32{}}
	for _, sp := range specs {
		m.resv = append(m.resv, resv)
		m.digest = append(m.digest, [32]byte{})
		m.paused = append(m.paused, false)
		m.quota = append(m.quota, sp.Quota)
		m.ended = append(m.ended, false)
		m.blocked = append(m.blocked, nil)
		m.sold = append(m.sold, 0)
		m.won = append(m.won, map[uint64]uint64{})
		m.relSec = append(m.relSec, -1<<62)
		m.relCount = append(m.relCount, 0)
		m.stocks = append(m.stocks, 0)
	}
	return m
}

func (m *model) step(i int, a Attempt) (Result, uint64) {
	sp := m.specs[i]
	if a.Kind == Lookup {
		if seq, ok := m.won[i][a.UID]; ok {
			return Won, seq
		}
		return None, 0
	}
	if a.NowUnixNano < sp.StartUnixNano {
		return NotStarted, 0
	}
	if a.NowUnixNano >= sp.EndUnixNano || m.ended[i] {
		return Ended, 0
	}
	if b := m.blocked[i]; b != nil && (slicesContains(b.uids, a.UID) || (a.Client.IsValid() && addrsContain(b.Addrs(), a.Client))) {
		return Blocked, 0
	}
	if m.paused[i] {
		return Unavailable, 0
	}
	if seq, ok := m.won[i][a.UID]; ok {
		return AlreadyWon, seq
	}
	if sp.ReservationRequired && !m.resv[i][a.UID] {
		return NotReserved, 0
	}
	if m.sold[i] >= m.quota[i] {
		return SoldOut, 0
	}
	sec := a.NowUnixNano / 1e9
	if sp.ReleasePerSec > 0 {
		if sec != m.relSec[i] {
			m.relSec[i], m.relCount[i] = sec, 0
		}
		if m.relCount[i] >= sp.ReleasePerSec {
			return Busy, 0
		}
	}
	if sp.LimitActivity {
		owners := m.actOwner[sp.Activity]
		if owners == nil {
			owners = map[uint64]int32{}
			m.actOwner[sp.Activity] = owners
		}
		if _, held := owners[a.UID]; held {
			return LimitReached, 0
		}
		owners[a.UID] = int32(i)
	}
	if sp.ReleasePerSec > 0 {
		m.relCount[i]++
	}
	m.sold[i]++
	m.won[i][a.UID] = m.sold[i]
	return Won, m.sold[i]
}

// control applies a control change to the model and says what the shard
// must answer.
func (m *model) control(i int, c *Control) ControlVerdict {
	switch c.Kind {
	case ControlPause, ControlResume:
		want := c.Kind == ControlPause
		if m.paused[i] == want {
			return ControlUnchanged
		}
		m.paused[i] = want
	case ControlReservations:
		if !m.specs[i].ReservationRequired {
			return ControlRefused
		}
		if m.digest[i] == c.Digest {
			return ControlUnchanged
		}
		m.resv[i], m.digest[i] = c.Set.(mapSet), c.Digest
	case ControlSetStock:
		q := c.StockQuota()
		if q < m.sold[i] {
			return ControlRefused
		}
		// Every stock the simulation sets has quota = stock, and the
		// shard starts without one set: the first is always a change.
		if st, set := c.Num, m.stockSet(i); set == st {
			return ControlUnchanged
		}
		m.quota[i] = q
		m.stocks[i] = c.Num + 1
	case ControlEndNow:
		if m.ended[i] {
			return ControlUnchanged
		}
		m.ended[i] = true
	case ControlBlocklist:
		if (m.blocked[i] == nil && c.Num == 0) || (m.blocked[i] != nil && m.blocked[i].Digest() == c.Digest) {
			return ControlUnchanged
		}
		m.blocked[i] = c.Blocklist
	}
	return ControlApplied
}

// stockSet is the stock a set-stock record gave shard i, or ^0 before any.
func (m *model) stockSet(i int) uint64 {
	if m.stocks[i] == 0 {
		return ^uint64(0)
	}
	return m.stocks[i] - 1
}

func slicesContains(uids []uint64, uid uint64) bool {
	for _, u := range uids {
		if u == uid {
			return true
		}
	}
	return false
}

func addrsContain(addrs []netip.Addr, a netip.Addr) bool {
	for _, x := range addrs {
		if x == a.Unmap() {
			return true
		}
	}
	return false
}

type mapSet map[uint64]bool

func (s mapSet) Contains(uid uint64) bool { return s[uid] }

// TestSimulationAgainstModel drives shards from a seeded PRNG and compares
// every decision with the reference model, then checks the invariants on
// the shards' own state and that Apply rebuilds identical shards from the
// wins alone (the recovery path).
func TestSimulationAgainstModel(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, seed*7919))
		const start = int64(1_700_000_000) * 1e9
		specs := []Spec{}
		nAct := 1 + rng.IntN(3)
		for a := 0; a < nAct; a++ {
			act := []string{"a0", "a1", "a2"}[a]
			limitAct := rng.IntN(2) == 0
			resvReq := rng.IntN(3) == 0
			for k := 0; k < 1+rng.IntN(4); k++ {
				specs = append(specs, Spec{
					Activity:            act,
					SKU:                 []string{"s0", "s1", "s2", "s3"}[k],
					Index:               int32(len(specs)),
					Quota:               uint64(1 + rng.IntN(30)),
					ReleasePerSec:       uint32(rng.IntN(4)),
					StartUnixNano:       start + int64(rng.IntN(3))*1e9,
					EndUnixNano:         start + int64(8+rng.IntN(5))*1e9,
					LimitActivity:       limitAct,
					ReservationRequired: resvReq,
				})
			}
		}
		resv := mapSet{}
		for uid := uint64(0); uid < 200; uid++ {
			if rng.IntN(3) > 0 {
				resv[uid] = true
			}
		}
		key := []byte("sim-key")
		claims := map[string]*Claims{}
		shards := make([]*Shard, len(specs))
		for i, sp := range specs {
			if claims[sp.Activity] == nil {
				claims[sp.Activity] = NewClaims()
			}
			shards[i] = NewShard(sp, NewTicketSigner(key), claims[sp.Activity], resv)
		}
		m := newModel(specs, resv)
		lists := []mapSet{resv}
		for range 3 {
			l := mapSet{}
			for uid := uint64(0); uid < 200; uid++ {
				if rng.IntN(2) == 0 {
					l[uid] = true
				}
			}
			lists = append(lists, l)
		}
		blocklists := []*Blocklist{NewBlocklist(nil, nil)}
		for range 3 {
			var uids []uint64
			for range rng.IntN(20) {
				uids = append(uids, uint64(rng.IntN(200)))
			}
			addrs := []netip.Addr{netip.AddrFrom4([4]byte{10, 0, 0, byte(rng.IntN(4))})}
			blocklists = append(blocklists, NewBlocklist(uids, addrs[:rng.IntN(2)]))
		}
		controls := make([][]Control, len(specs))
		now := start - 1e9
		for step := 0; step < 3000; step++ {
			now += int64(rng.IntN(20)) * 1e6
			i := rng.IntN(len(specs))
			if rng.IntN(40) == 0 {
				// A control change between attempts, as the shard's inbox
				// interleaves them: pause, resume, a new list, a new
				// stock (now and then below sold), the end of the round
				// (rarely: it ends the shard's sale), a new blocklist.
				kinds := []ControlKind{ControlPause, ControlResume, ControlReservations, ControlSetStock, ControlSetStock, ControlBlocklist}
				c := Control{Kind: kinds[rng.IntN(len(kinds))], TimeUnixNano: now}
				if rng.IntN(20) == 0 {
					c.Kind = ControlEndNow
				}
				switch c.Kind {
				case ControlReservations:
					k := rng.IntN(len(lists))
					c.Set, c.Digest, c.Num = lists[k], [32]byte{byte(k + 1)}, uint64(len(lists[k]))
				case ControlSetStock:
					stock := uint64(rng.IntN(40))
					c = SetStock(stock, stock)
					c.TimeUnixNano = now
				case ControlBlocklist:
					c = SetBlocklist(blocklists[rng.IntN(len(blocklists))])
					c.TimeUnixNano = now
				}
				want := m.control(i, &c)
				if got := shards[i].Control(&c); got != want {
					t.Fatalf("seed %d step %d shard %d: %v control %v, model %v", seed, step, i, c.Kind, got, want)
				}
				if want == ControlApplied {
					controls[i] = append(controls[i], c)
				}
				continue
			}
			a := Attempt{Kind: Buy, UID: uint64(rng.IntN(200)), NowUnixNano: now, Client: netip.AddrFrom4([4]byte{10, 0, 0, byte(rng.IntN(4))})}
			if rng.IntN(10) == 0 {
				a.Kind = Lookup
			}
			got := shards[i].Step(&a)
			if got.Result == Won && a.Kind == Buy {
				shards[i].MarkDurable(got.Seq)
			}
			wantRes, wantSeq := m.step(i, a)
			if got.Result != wantRes || got.Seq != wantSeq {
				t.Fatalf("seed %d step %d shard %d uid %d: got %v/%d, model %v/%d", seed, step, i, a.UID, got.Result, got.Seq, wantRes, wantSeq)
			}
		}
		checkInvariants(t, seed, specs, shards)
		checkRebuild(t, seed, specs, shards, controls, key, resv)
	}
}

func checkInvariants(t *testing.T, seed uint64, specs []Spec, shards []*Shard) {
	t.Helper()
	perActivity := map[string]map[uint64]bool{}
	signer := NewTicketSigner([]byte("sim-key"))
	for i, s := range shards {
		if s.Sold() > s.Quota() {
			t.Fatalf("seed %d shard %d sold %d > quota %d", seed, i, s.Sold(), s.Quota())
		}
		seen := map[uint64]bool{}
		for seq := uint64(1); seq <= s.Sold(); seq++ {
			var w Win
			s.WinAt(seq, &w)
			if seen[w.UID] {
				t.Fatalf("seed %d shard %d uid %d twice", seed, i, w.UID)
			}
			seen[w.UID] = true
			if !signer.Verify(&w) {
				t.Fatalf("seed %d shard %d seq %d ticket does not verify", seed, i, seq)
			}
			if specs[i].LimitActivity {
				acts := perActivity[specs[i].Activity]
				if acts == nil {
					acts = map[uint64]bool{}
					perActivity[specs[i].Activity] = acts
				}
				if acts[w.UID] {
					t.Fatalf("seed %d activity %s uid %d won twice", seed, specs[i].Activity, w.UID)
				}
				acts[w.UID] = true
			}
		}
	}
}

// checkRebuild applies every win and control record to fresh shards in the
// order the live shards decided them (a control record after the win it
// names), as recovery does, and expects the same chain heads, the same
// state in force and the same answers to lookups.
func checkRebuild(t *testing.T, seed uint64, specs []Spec, shards []*Shard, controls [][]Control, key []byte, resv mapSet) {
	t.Helper()
	claims := map[string]*Claims{}
	for i, sp := range specs {
		if claims[sp.Activity] == nil {
			claims[sp.Activity] = NewClaims()
		}
		fresh := NewShard(sp, NewTicketSigner(key), claims[sp.Activity], resv)
		cs := controls[i]
		for seq := uint64(1); seq <= shards[i].Sold()+1; seq++ {
			for len(cs) > 0 && cs[0].AfterWins < seq {
				if err := fresh.ApplyControl(&cs[0]); err != nil {
					t.Fatalf("seed %d shard %d apply control %d: %v", seed, i, cs[0].Seq, err)
				}
				cs = cs[1:]
			}
			if seq > shards[i].Sold() {
				break
			}
			var w Win
			shards[i].WinAt(seq, &w)
			if err := fresh.Apply(&w); err != nil {
				t.Fatalf("seed %d shard %d apply seq %d: %v", seed, i, seq, err)
			}
		}
		_, liveDigest := shards[i].Reservations()
		_, freshDigest := fresh.Reservations()
		_, liveBlock := shards[i].Blocklist()
		_, freshBlock := fresh.Blocklist()
		if fresh.ChainHead() != shards[i].ChainHead() || fresh.Sold() != shards[i].Sold() ||
			fresh.Paused() != shards[i].Paused() || freshDigest != liveDigest ||
			fresh.Quota() != shards[i].Quota() || fresh.Ended() != shards[i].Ended() || freshBlock != liveBlock {
			t.Fatalf("seed %d shard %d rebuilt state differs: %+v, live %+v", seed, i, fresh.ChainHead(), shards[i].ChainHead())
		}
	}
}

func TestApplyRejectsTampering(t *testing.T) {
	key := []byte("k")
	spec := Spec{Activity: "a", SKU: "s", Quota: 5, StartUnixNano: 0, EndUnixNano: 100e9}
	live := NewShard(spec, NewTicketSigner(key), nil, nil)
	for uid := uint64(1); uid <= 3; uid++ {
		d := live.Step(&Attempt{Kind: Buy, UID: uid, NowUnixNano: int64(uid) * 1e9})
		if d.Result != Won {
			t.Fatalf("uid %d: %v", uid, d.Result)
		}
	}
	wins := make([]Win, 3)
	for i := range wins {
		live.WinAt(uint64(i+1), &wins[i])
	}
	tests := []struct {
		name   string
		mutate func(ws []Win) []Win
		want   error
	}{
		{"edited uid", func(ws []Win) []Win { ws[1].UID = 99; return ws }, ErrChainBroken},
		{"deleted record", func(ws []Win) []Win { return append(ws[:1], ws[2:]...) }, ErrChainBroken},
		{"swapped", func(ws []Win) []Win { ws[0], ws[1] = ws[1], ws[0]; return ws }, ErrChainBroken},
		{"forged ticket, rehashed", func(ws []Win) []Win {
			ws[2].Ticket[0] ^= 1
			ws[2].Hash = ComputeHash(&ws[2])
			return ws
		}, ErrBadTicket},
		{"duplicate uid, rechained", func(ws []Win) []Win {
			ws[2].UID = ws[0].UID
			ws[2].Ticket = NewTicketSigner(key).Sign("a", "s", 3, ws[0].UID)
			ws[2].Hash = ComputeHash(&ws[2])
			return ws
		}, ErrDuplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := tt.mutate(append([]Win(nil), wins...))
			s := NewShard(spec, NewTicketSigner(key), nil, nil)
			var err error
			for i := range ws {
				if err = s.Apply(&ws[i]); err != nil {
					break
				}
			}
			if !errorsIs(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}
