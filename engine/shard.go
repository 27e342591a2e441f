package engine

import (
	"errors"
	"fmt"
	"net/netip"
)

// Spec is what a shard needs to know about its (activity, SKU): fixed for the
// life of the shard. What control records change (the quota, the end, the
// release rate, the waitlist, the lists in force) the shard keeps beside
// it: Shard.Quota, End, ReleasePerSec and Waitlist are the values in force.
type Spec struct {
	Activity      string
	SKU           string
	Index         int32  // the shard's number among all shards; names the holder in Claims
	Quota         uint64 // qualifications issued at first: stock × quota_percent / 100 (a ControlSetStock changes it; see Shard.Quota)
	Waitlist      uint64 // further eligible users who may queue for a lapsed qualification (waitlist.go)
	ReleasePerSec uint32 // tier 3: winners per second; 0 = no limit
	StartUnixNano int64
	EndUnixNano   int64
	// LimitActivity means one unit per user across all SKUs of the activity
	// (limit = "activity"); otherwise one per user per SKU.
	LimitActivity       bool
	ReservationRequired bool
}

// Kind says what an attempt asks for.
type Kind uint8

const (
	Buy    Kind = iota // a purchase attempt (/buy)
	Lookup             // the caller's own win, if any (/result)
)

// Attempt is one request that reached the shard. Everything the decision
// depends on is in here or in the shard's state.
type Attempt struct {
	Kind        Kind
	UID         uint64
	Client      netip.Addr
	NowUnixNano int64
}

// Decision is the shard's answer. For Won and AlreadyWon (and a Lookup that
// found a win) Seq, Ticket and TimeUnixNano describe the win; for Busy,
// RetryMs says when the next release second starts; for Waitlisted,
// Position is the user's place in the waitlist (1-based).
//
// Record says what the decision added to the log: a Win (RecordWin, fetch
// it with WinAt(Seq)) or control records (RecordControl: a waitlist place,
// or a lapsed unit issued again; fetch them with TakeRecords). The driver
// persists them before it answers.
type Decision struct {
	Result       Result
	Record       RecordKind
	Seq          uint64
	Ticket       [TicketBytes]byte
	TimeUnixNano int64
	RetryMs      int64
	Position     uint64
}

// RecordKind says which record, if any, a Decision added to the log.
type RecordKind uint8

const (
	RecordNone    RecordKind = iota
	RecordWin                // a new Win: WinAt(Decision.Seq)
	RecordControl            // control records: TakeRecords
)

// Reservations answers whether a uid may buy in an activity that requires a
// reservation. Implementations must be deterministic for a given set.
type Reservations interface {
	Contains(uid uint64) bool
}

// winEntry is what a shard keeps per winner; Activity and SKU are the shard's.
// It holds no pointer (the client address is kept as 16 bytes), so a shard's
// winner table costs the garbage collector nothing to scan.
type winEntry struct {
	uid          uint64
	timeUnixNano int64
	client       [16]byte // netip.Addr.As16; all zero when unknown
	ticket       [TicketBytes]byte
	hash         [32]byte
}

// Shard is the state of one (activity, SKU). It is not safe for concurrent
// use: exactly one goroutine (or one test) drives it.
type Shard struct {
	spec   Spec
	signer *TicketSigner
	claims *Claims
	resv   Reservations

	wins    []winEntry        // wins[i] has seq i+1
	byUID   map[uint64]uint64 // uid → seq
	durable uint64            // seqs up to this one are durable

	releaseSecond   int64
	releasedThisSec uint32

	failed bool

	// The control strand (control.go): its head, and the state the
	// control records put in force.
	controls      uint64
	controlHash   [32]byte
	paused        bool
	resvDigest    [32]byte // digest of the list in force, when a record set one
	configDigest  [32]byte // digest of the last list the configuration gave
	quota         uint64   // Spec.Quota until a set-stock record (control_stock.go)
	stock         uint64
	stockSet      bool
	ended         bool       // an end-now record (control_end.go)
	end           int64      // Spec.EndUnixNano until a set-end record (control_live.go)
	releasePerSec uint32     // Spec.ReleasePerSec until a release-rate record
	waitlist      uint64     // Spec.Waitlist until a waitlist record
	blocked       *Blocklist // the blocklist in force (control_blocklist.go)
	blockDigest   [32]byte

	econ economics // waitlist, qualifications' fates, lapsed units (waitlist.go)

	// The fair opening (lottery.go): the lottery its records put in
	// force, and what the live assembly armed it with.
	lot *lottery
	arm lotteryArm

	// shared is set once Freeze has handed out a view of wins and byUID:
	// the next change to them copies them first (see unshare).
	shared bool
}

// presizeLimit caps how many winners a shard allocates room for up front, so
// a huge configured stock does not cost memory (and zeroing time) before
// anyone buys: a thousand SKUs presized for 65,536 winners each zeroed
// 5.9 GB at start. Larger sales grow the table by doubling.
const presizeLimit = 1 << 12

// NewShard returns an empty shard. claims is shared by all shards of an
// activity with limit = "activity" (nil otherwise); resv is consulted when the
// activity requires a reservation.
func NewShard(spec Spec, signer *TicketSigner, claims *Claims, resv Reservations) *Shard {
	if spec.LimitActivity && claims == nil {
		panic("engine: LimitActivity shard without claims")
	}
	n := int(min(spec.Quota, presizeLimit))
	return &Shard{
		spec:          spec,
		signer:        signer,
		claims:        claims,
		resv:          resv,
		quota:         spec.Quota,
		end:           spec.EndUnixNano,
		releasePerSec: spec.ReleasePerSec,
		waitlist:      spec.Waitlist,
		wins:          make([]winEntry, 0, n),
		byUID:         make(map[uint64]uint64, n),
	}
}

// Spec returns the shard's fixed description.
func (s *Shard) Spec() *Spec { return &s.spec }

// Sold is the number of wins decided so far (durable or not).
func (s *Shard) Sold() uint64 { return uint64(len(s.wins)) }

// Durable is the highest seq known to be durable.
func (s *Shard) Durable() uint64 { return s.durable }

// Failed reports whether the store failed under this shard.
func (s *Shard) Failed() bool { return s.failed }

// SoldOut reports whether every qualification of the quota has a durable
// holder, no lapsed unit is back on sale and the waitlist is full: from
// then on every new buyer hears sold_out (until a lapse changes that).
func (s *Shard) SoldOut() bool {
	return s.durable >= s.quota && len(s.econ.free) == 0 && s.econ.joined() >= s.waitlist
}

// Remaining is how many qualifications a buyer may still get: the quota
// less the durable ones, plus lapsed units returned to sale.
func (s *Shard) Remaining() uint64 { return s.quota - s.durable + uint64(len(s.econ.free)) }

// Step decides one attempt. The order of checks is part of the contract:
// a failed store answers unavailable before anything else (fail closed);
// outside the window (or after an end-now record) nothing else is looked
// at; then the blocklist in force; a paused shard answers a buy with
// unavailable; a winner's retry is answered with its original win before
// sold-out, so retries are idempotent.
func (s *Shard) Step(a *Attempt) Decision {
	if s.failed {
		return Decision{Result: Unavailable}
	}
	if a.Kind == Lookup {
		return s.lookup(a.UID)
	}
	if a.NowUnixNano < s.spec.StartUnixNano {
		return Decision{Result: NotStarted}
	}
	if a.NowUnixNano >= s.end || s.ended {
		return Decision{Result: Ended}
	}
	if s.blocked.Blocked(a.UID, a.Client) {
		return Decision{Result: Blocked}
	}
	if s.paused {
		return Decision{Result: Unavailable}
	}
	if seq, ok := s.byUID[a.UID]; ok {
		d := s.decisionFor(seq)
		d.Result = AlreadyWon
		return d
	}
	if d, held := s.econ.standing(a.UID); held {
		return d // waitlisted already, or a lapsed qualification (waitlist.go)
	}
	if s.spec.ReservationRequired && (s.resv == nil || !s.resv.Contains(a.UID)) {
		return Decision{Result: NotReserved}
	}
	if d, ok := s.stepLottery(a); ok {
		return d
	}
	if s.Sold() >= s.quota {
		return s.stepIssued(a) // a lapsed unit back on sale, the waitlist, or sold_out
	}
	if d, busy := s.releaseBusy(a.NowUnixNano); busy {
		return d
	}
	if !s.claim(a.UID) {
		return Decision{Result: LimitReached}
	}
	s.countRelease()
	seq := s.appendWin(a.UID, a.NowUnixNano, a.Client)
	d := s.decisionFor(seq)
	d.Result, d.Record = Won, RecordWin
	return d
}

// releaseBusy answers busy when the current second's releases are spent
// (tier 3).
func (s *Shard) releaseBusy(now int64) (Decision, bool) {
	second := s.releaseIn(now)
	if s.releasePerSec == 0 || s.releasedThisSec < s.releasePerSec {
		return Decision{}, false
	}
	retryMs := ((second+1)*1e9 - now + 1e6 - 1) / 1e6
	return Decision{Result: Busy, RetryMs: retryMs}, true
}

// countRelease counts one more unit released in the current second. It
// counts without a limit too, so a release_per_sec set mid-second
// (ControlReleaseRate) counts the second's earlier releases, as the audit,
// which counts every win of a second, does.
func (s *Shard) countRelease() { s.releasedThisSec++ }

// claim takes uid's one unit of the activity under limit = "activity"; it
// reports false when another shard holds it.
func (s *Shard) claim(uid uint64) bool {
	if !s.spec.LimitActivity {
		return true
	}
	holder, ok := s.claims.Claim(uid, s.spec.Index)
	return ok || holder == s.spec.Index
}

func (s *Shard) lookup(uid uint64) Decision {
	seq, ok := s.byUID[uid]
	if !ok {
		if pos, waiting := s.econ.waitingAt(uid); waiting {
			return Decision{Result: Waitlisted, Position: pos}
		}
		return Decision{Result: None}
	}
	d := s.decisionFor(seq)
	d.Result = Won
	return d
}

func (s *Shard) decisionFor(seq uint64) Decision {
	e := &s.wins[seq-1]
	return Decision{Seq: seq, Ticket: e.ticket, TimeUnixNano: e.timeUnixNano}
}

// appendWin records a new winner and returns its seq. Selling past the quota
// or twice to one uid is a broken invariant of the core itself: it panics.
func (s *Shard) appendWin(uid uint64, nowUnixNano int64, client netip.Addr) uint64 {
	seq := s.Sold() + 1
	if seq > s.quota {
		panic(fmt.Sprintf("engine: %s/%s would sell seq %d over quota %d", s.spec.Activity, s.spec.SKU, seq, s.quota))
	}
	if _, dup := s.byUID[uid]; dup {
		panic(fmt.Sprintf("engine: %s/%s uid %d would win twice", s.spec.Activity, s.spec.SKU, uid))
	}
	w := Win{
		Activity:     s.spec.Activity,
		SKU:          s.spec.SKU,
		Seq:          seq,
		UID:          uid,
		TimeUnixNano: nowUnixNano,
		Client:       client,
		Ticket:       s.signer.Sign(s.spec.Activity, s.spec.SKU, seq, uid),
		Prev:         s.lastHash(),
	}
	w.Hash = ComputeHash(&w)
	s.unshare()
	s.wins = append(s.wins, winEntry{uid: uid, timeUnixNano: nowUnixNano, client: addr16(client), ticket: w.Ticket, hash: w.Hash})
	s.byUID[uid] = seq
	return seq
}

func (s *Shard) lastHash() [32]byte {
	if len(s.wins) == 0 {
		return [32]byte{}
	}
	return s.wins[len(s.wins)-1].hash
}

// WinAt fills w with the full record of seq, ready to be persisted.
func (s *Shard) WinAt(seq uint64, w *Win) {
	e := &s.wins[seq-1]
	*w = Win{
		Activity:     s.spec.Activity,
		SKU:          s.spec.SKU,
		Seq:          seq,
		UID:          e.uid,
		TimeUnixNano: e.timeUnixNano,
		Client:       addrFrom16(e.client),
		Ticket:       e.ticket,
		Hash:         e.hash,
	}
	if seq > 1 {
		w.Prev = s.wins[seq-2].hash
	}
}

// MarkDurable records that every win up to seq has been persisted.
func (s *Shard) MarkDurable(seq uint64) {
	if seq > s.Sold() {
		panic(fmt.Sprintf("engine: %s/%s durable seq %d beyond sold %d", s.spec.Activity, s.spec.SKU, seq, s.Sold()))
	}
	if seq > s.durable {
		s.durable = seq
	}
}

// Fail records that the store could not persist the wins after Durable. The
// shard answers unavailable from now on, and activity claims made by the lost
// wins are given back, since those users were never told they won.
func (s *Shard) Fail() {
	s.failed = true
	if s.spec.LimitActivity {
		for _, e := range s.wins[s.durable:] {
			s.claims.Release(e.uid, s.spec.Index)
		}
	}
}

// Errors Apply returns for a stored win that does not fit the shard (and
// ErrChainBroken, chain.go).
var (
	ErrOverQuota = errors.New("engine: stored wins exceed the quota")
	ErrDuplicate = errors.New("engine: stored uid wins twice")
	ErrBadTicket = errors.New("engine: ticket does not verify")
)

// Apply feeds a durable win back into the shard: recovery at start and replay
// use it to rebuild the state the live sale had. It checks the win continues
// the shard's chain (seq, Prev, Hash), its ticket, the quota and the
// per-user limits, and returns an error naming the first that fails. The win
// is durable by definition.
func (s *Shard) Apply(w *Win) error {
	seq := s.Sold() + 1
	if w.Activity != s.spec.Activity || w.SKU != s.spec.SKU {
		return fmt.Errorf("%w: win for %s/%s applied to shard %s/%s", ErrChainBroken, w.Activity, w.SKU, s.spec.Activity, s.spec.SKU)
	}
	head := s.ChainHead()
	if err := head.Continue(w); err != nil {
		return err
	}
	switch {
	case !s.signer.Verify(w):
		return fmt.Errorf("%w: %s/%s seq %d", ErrBadTicket, w.Activity, w.SKU, w.Seq)
	case seq > s.quota:
		return fmt.Errorf("%w: %s/%s seq %d, quota %d", ErrOverQuota, w.Activity, w.SKU, w.Seq, s.quota)
	}
	if _, dup := s.byUID[w.UID]; dup {
		return fmt.Errorf("%w: %s/%s uid %d at seq %d", ErrDuplicate, w.Activity, w.SKU, w.UID, w.Seq)
	}
	if err := s.checkWaiterWin(w); err != nil {
		return err
	}
	if s.spec.LimitActivity {
		if holder, ok := s.claims.Claim(w.UID, s.spec.Index); !ok && holder != s.spec.Index {
			return fmt.Errorf("%w: %s uid %d won in shard %d and %d", ErrDuplicate, w.Activity, w.UID, holder, s.spec.Index)
		}
	}
	// A restart within the second keeps counting that second's releases,
	// or it could release release_per_sec more; a raise's win for a
	// waiting user is not a release (stock_waitlist.go).
	if !s.ServesWaiter(w.UID) {
		s.releaseIn(w.TimeUnixNano)
		s.releasedThisSec++
	}
	s.unshare()
	s.wins = append(s.wins, winEntry{uid: w.UID, timeUnixNano: w.TimeUnixNano, client: addr16(w.Client), ticket: w.Ticket, hash: w.Hash})
	s.byUID[w.UID] = seq
	s.appliedWaiterWin(w.UID)
	s.durable = seq
	return nil
}

// releaseIn moves the release count to the second holding t (starting it
// at zero when that is a new second) and returns that second.
func (s *Shard) releaseIn(t int64) int64 {
	second := floorDiv(t, 1e9)
	if second != s.releaseSecond {
		s.releaseSecond, s.releasedThisSec = second, 0
	}
	return second
}

// ChainHead is where the shard's log ends: its win and control strands, the
// value an activity digest commits to (ActivityDigest).
func (s *Shard) ChainHead() ChainHead {
	return ChainHead{SKU: s.spec.SKU, Wins: s.Sold(), Hash: s.lastHash(), Controls: s.controls, ControlHash: s.controlHash}
}

// floorDiv divides rounding toward negative infinity, so times before 1970
// still fall into whole seconds.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// addr16 and addrFrom16 keep a client address pointer-free in winEntry; the
// zero Addr (unknown client) is all zero bytes, as in the canonical encoding.
func addr16(a netip.Addr) [16]byte {
	if !a.IsValid() {
		return [16]byte{}
	}
	return a.As16()
}

func addrFrom16(b [16]byte) netip.Addr {
	if b == ([16]byte{}) {
		return netip.Addr{}
	}
	return netip.AddrFrom16(b).Unmap()
}
