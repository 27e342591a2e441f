package gate

import (
	"net/netip"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"seckill/engine"
	"seckill/internal/live/shardloop"
	"seckill/internal/live/token"
	"seckill/internal/live/uidset"
	"seckill/wal"
)

// condition is one row of the order of checks (docs/API.md, SPEC's
// "Concepts") that a buy can meet. The constants are in the documented
// order: the first condition that holds gives the answer.
type condition int

const (
	condFailed       condition = iota // the store failed under the shard (fail closed)
	condNotStarted                    // before the window
	condEnded                         // after the window
	condBlocked                       // the uid is on the blocklist
	condPaused                        // a pause record is in force
	condWon                           // the uid won already
	condWaitlisted                    // the uid holds a waitlist place
	condLapsed                        // the uid's qualification lapsed
	condNotReserved                   // a new reservation list leaves the uid out
	condCaptcha                       // the buy carries no captcha pass
	condSoldOut                       // every qualification issued and the waitlist full
	condAddrRate                      // the client address spent this second's attempts
	condAdmitSpent                    // the SKU's admission rate spent this second
	condReleaseSpent                  // the SKU's release rate spent this second
	condInFlight                      // another attempt of the uid is in flight
	numConditions
)

// conditionRows are the conditions' names and answers; gateOnly marks the
// checks only the event loop makes (the engine never sees a captcha pass, a
// client's rate or the in-flight set).
var conditionRows = [numConditions]struct {
	name     string
	answer   engine.Result
	gateOnly bool
}{
	condFailed:       {"failed", engine.Unavailable, false},
	condNotStarted:   {"not_started", engine.NotStarted, false},
	condEnded:        {"ended", engine.Ended, false},
	condBlocked:      {"blocked", engine.Blocked, false},
	condPaused:       {"paused", engine.Unavailable, false},
	condWon:          {"won", engine.AlreadyWon, false},
	condWaitlisted:   {"waitlisted", engine.Waitlisted, false},
	condLapsed:       {"lapsed", engine.LimitReached, false},
	condNotReserved:  {"not_reserved", engine.NotReserved, false},
	condCaptcha:      {"captcha", engine.CaptchaRequired, true},
	condSoldOut:      {"sold_out", engine.SoldOut, false},
	condAddrRate:     {"addr_rate", engine.Busy, true},
	condAdmitSpent:   {"admit_spent", engine.Busy, true},
	condReleaseSpent: {"release_spent", engine.Busy, false},
	condInFlight:     {"in_flight", engine.Busy, true},
}

// conditionSet is a set of conditions, bit i for condition i.
type conditionSet uint32

func (s conditionSet) has(c condition) bool { return s&(1<<c) != 0 }

func (s conditionSet) String() string {
	out := ""
	for c := range numConditions {
		if s.has(c) {
			if out != "" {
				out += "+"
			}
			out += conditionRows[c].name
		}
	}
	if out == "" {
		return "none"
	}
	return out
}

// firstAnswer is the documented answer for a buy meeting every condition of
// s (only the engine's when engineOnly): the first row that holds, else won.
func firstAnswer(s conditionSet, engineOnly bool) engine.Result {
	for c := range numConditions {
		if s.has(c) && !(engineOnly && conditionRows[c].gateOnly) {
			return conditionRows[c].answer
		}
	}
	return engine.Won
}

// possible reports whether one uid can meet both conditions at once: a uid
// holds at most one of a win, a waitlist place and a lapsed qualification,
// and an attempt's time is before the window, after it, or in the second of
// the last release.
func possible(a, b condition) bool {
	excl := func(x, y condition) bool { return a == x && b == y || a == y && b == x }
	switch {
	case excl(condWon, condWaitlisted), excl(condWon, condLapsed), excl(condWaitlisted, condLapsed):
		return false
	case excl(condNotStarted, condEnded), excl(condNotStarted, condReleaseSpent), excl(condEnded, condReleaseSpent):
		return false
	}
	return true
}

// TestOrderOfChecksEveryPair puts a real gate over a real shard loop (and
// its engine.Shard, over a real store) in a state that meets every pair of
// conditions of the order of checks — and every single one — and checks
// that the answer the client gets (the gate's own, or the shard's when the
// gate queues the attempt) is the documented first row, and that the
// engine's Step, asked the same attempt in the same state, gives the first
// row among the conditions it knows. The one documented difference: before
// the SKU sells out the event loop cannot tell a holder (a winner, a
// waitlisted user, a lapsed one) from anyone else, so such a user's buy
// meets the checks only the event loop makes (captcha_required, then busy
// of the admission tiers) before the shard could answer already_won.
func TestOrderOfChecksEveryPair(t *testing.T) {
	var sets []conditionSet
	sets = append(sets, 0)
	for a := range numConditions {
		sets = append(sets, 1<<a)
		for b := a + 1; b < numConditions; b++ {
			if possible(a, b) {
				sets = append(sets, 1<<a|1<<b)
			}
		}
	}
	for _, s := range sets {
		t.Run(s.String(), func(t *testing.T) { checkConditions(t, s) })
	}
	t.Logf("%d condition sets over %d conditions", len(sets), numConditions)
}

// pairFaults fails every write to the store once on is set.
type pairFaults struct{ on atomic.Bool }

func (f *pairFaults) MaybeError(op errorfs.Op) error {
	if f.on.Load() && (op.Kind == errorfs.OpFileWrite || op.Kind == errorfs.OpFileWriteAt || op.Kind == errorfs.OpFileSync ||
		op.Kind == errorfs.OpFileSyncData || op.Kind == errorfs.OpFileSyncTo) {
		return errorfs.ErrInjected
	}
	return nil
}

func (f *pairFaults) String() string { return "pairFaults" }

var resultName = regexp.MustCompile(`"result":"([a-z_]+)"`)

// pairSale is one sale built for a condition set: quota 2, a waitlist of
// 2, a required reservation naming uids 1..200, captcha on, and time as a
// value the test moves.
type pairSale struct {
	t      *testing.T
	gate   *Gate
	route  *Route
	loop   *shardloop.Loop
	shard  *engine.Shard
	faults *pairFaults
	now    int64
	other  uint64 // the last uid other than the subject that bought
	// lastWin is when the last won buy was decided.
	lastWin int64
}

const (
	pairSubject = 100
	pairStart   = int64(1_700_000_000) * 1e9
	pairEnd     = pairStart + 3600*1e9
)

var (
	pairClient     = netip.MustParseAddr("192.0.2.7")
	captchaSecret  = []byte("pair-captcha-secret-0123456789")
	pairReserved   = uidRange(1, 200, 0)
	pairUnreserved = uidRange(1, 200, pairSubject)
)

func uidRange(from, to, except uint64) *uidset.Set {
	var uids []uint64
	for u := from; u <= to; u++ {
		if u != except {
			uids = append(uids, u)
		}
	}
	return uidset.FromSlice(uids)
}

func newPairSale(t *testing.T, s conditionSet) *pairSale {
	faults := &pairFaults{}
	log, err := wal.Open("/store", wal.Options{FS: errorfs.Wrap(vfs.NewMem(), faults)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	key, err := log.TicketKey()
	if err != nil {
		t.Fatal(err)
	}
	rs := RouteSpec{Activity: "act", SKU: "s1", Quota: 2, StartUnixNano: pairStart, EndUnixNano: pairEnd, Captcha: true}
	spec := engine.Spec{Activity: rs.Activity, SKU: rs.SKU, Quota: 2, Waitlist: 2, StartUnixNano: pairStart, EndUnixNano: pairEnd, ReservationRequired: true}
	if s.has(condReleaseSpent) {
		spec.ReleasePerSec = 1
	}
	p := &pairSale{t: t, faults: faults, now: pairStart + 1e9}
	p.shard = engine.NewShard(spec, engine.NewTicketSigner(key), nil, pairReserved)
	p.loop = shardloop.New(p.shard, log, 16, 16, func() int64 { return p.now })
	p.loop.Recovered()
	opts := testOptions()
	opts.AuthNone = true
	opts.CaptchaSecret = captchaSecret
	p.route = NewRoute(rs, p.loop)
	p.gate = New(opts, []*Route{p.route})
	return p
}

// buy sends uid's buy through the gate at p.now, with a captcha pass when
// pass, steps the shard when the gate queued it, and returns the answer's
// result name and whether the shard decided it.
func (p *pairSale) buy(uid uint64, pass bool) (string, bool) {
	p.t.Helper()
	target := "/buy?sku=s1&uid=" + strconv.FormatUint(uid, 10)
	if pass {
		target += "&captcha=" + token.Mint(captchaSecret, uid, p.now/1e9+60)
	}
	return p.serve(target)
}

// serve sends target through the gate at p.now, steps the shard when the
// gate queued it, and returns the answer's result name and whether the
// shard decided it.
func (p *pairSale) serve(target string) (string, bool) {
	p.t.Helper()
	replies := make(decisionChan, 1)
	var pend Pending
	out, queued := p.gate.Serve(parse(p.t, target), pairClient, p.now, replies, &pend, nil)
	if queued {
		if !p.loop.StepQueued() {
			p.t.Fatal("the gate queued a buy the loop does not hold")
		}
		d := <-replies
		out = p.gate.Answer(&pend, &d, nil)
	}
	m := resultName.FindSubmatch(out)
	if m == nil {
		p.t.Fatalf("no result in %q", out)
	}
	return string(m[1]), queued
}

// setupBuy is a buy of the state's making, one second after the last, that
// must get want.
func (p *pairSale) setupBuy(uid uint64, want engine.Result) {
	p.t.Helper()
	p.now += 1e9
	if got, _ := p.buy(uid, true); got != want.String() {
		p.t.Fatalf("setting up: uid %d got %s, want %s", uid, got, want)
	}
	if want == engine.Won {
		p.lastWin = p.now
	}
}

// otherBuys has other uids buy until the shard has no qualification left.
func (p *pairSale) fillQuota() {
	for p.loop.Public().Remaining() > 0 {
		p.other++
		p.setupBuy(p.other, engine.Won)
	}
}

// control makes a control change through the loop and requires want.
func (p *pairSale) control(c engine.Control, want engine.ControlVerdict) {
	p.t.Helper()
	task, err := p.loop.OfferControl(c)
	if err != nil || task == nil {
		p.t.Fatalf("offer %v: %v", c.Kind, err)
	}
	p.loop.StepQueued()
	if res := <-task.Done(); res.Verdict != want {
		p.t.Fatalf("%v: %v (%v), want %v", c.Kind, res.Verdict, res.Reason, want)
	}
}

func checkConditions(t *testing.T, s conditionSet) {
	p := newPairSale(t, s)
	// The subject's holdings first: a win (seq 1), lapsed or not.
	if s.has(condWon) || s.has(condLapsed) {
		p.setupBuy(pairSubject, engine.Won)
	}
	if s.has(condLapsed) {
		p.control(engine.Control{Kind: engine.ControlLapsed, Num: 1}, engine.ControlApplied)
	}
	if s.has(condWaitlisted) || s.has(condSoldOut) {
		p.fillQuota()
	}
	if s.has(condWaitlisted) {
		p.setupBuy(pairSubject, engine.Waitlisted)
	}
	if s.has(condSoldOut) {
		for !p.loop.Public().SoldOut() {
			p.other++
			p.setupBuy(p.other, engine.Waitlisted)
		}
	}
	if s.has(condReleaseSpent) && p.lastWin == 0 {
		p.other++
		p.setupBuy(p.other, engine.Won)
	}
	// The sale's state around the subject.
	var blocked []uint64
	if s.has(condBlocked) {
		blocked = []uint64{pairSubject}
		p.gate.SetBlocklist(blocked, nil)
		p.control(engine.SetBlocklist(engine.NewBlocklist(blocked, nil)), engine.ControlApplied)
	}
	if s.has(condNotReserved) {
		p.control(engine.Control{Kind: engine.ControlReservations, Digest: pairUnreserved.Digest(), Num: uint64(pairUnreserved.Len()), Set: pairUnreserved}, engine.ControlApplied)
	}
	if s.has(condPaused) {
		p.control(engine.Control{Kind: engine.ControlPause}, engine.ControlApplied)
	}
	if s.has(condFailed) {
		p.faults.on.Store(true)
		p.control(engine.SetBlocklist(engine.NewBlocklist(append(blocked, 999), nil)), engine.ControlUnavailable)
	}
	// The attempt's time.
	at := p.now + 1e9
	switch {
	case s.has(condNotStarted):
		at = pairStart - 1e9
	case s.has(condEnded):
		at = pairEnd + 1e9
	case s.has(condReleaseSpent):
		at = p.lastWin + 1e6
	}
	p.now = at
	// The event loop's state around the subject.
	if s.has(condAddrRate) {
		p.gate.perAddrPerSec = 1
		p.gate.addrRate.allow(pairClient.As16(), at/1e9, 1)
	}
	if s.has(condAdmitSpent) {
		st := *p.route.Settings()
		st.AdmitPerSec = 1
		p.route.SetSettings(st)
		p.route.admit.allow(at/1e9, 1)
	}
	if s.has(condInFlight) && !p.gate.inflight.acquire(pairSubject) {
		t.Fatal("the subject was in flight already")
	}

	wantClient := firstAnswer(s, false)
	if holderFirst(s) && !p.loop.Public().SoldOut() {
		// The documented difference: before the SKU sells out the event
		// loop cannot tell a holder from anyone else, so the checks only
		// it makes (captcha, then the admission tiers) come first.
		for c := range numConditions {
			if s.has(c) && conditionRows[c].gateOnly {
				wantClient = conditionRows[c].answer
				break
			}
		}
	}
	wantEngine := firstAnswer(s, true)

	got, queued := p.buy(pairSubject, !s.has(condCaptcha))
	if got != wantClient.String() {
		t.Errorf("%v: the client got %s (queued %v), want %s", s, got, queued, wantClient)
	}
	var engineGot engine.Result
	if queued {
		engineGot = wantClient // the shard's Step decided what the client got
		if got != wantEngine.String() {
			t.Errorf("%v: the shard answered %s, the engine's order gives %s", s, got, wantEngine)
		}
	} else {
		// The gate answered without the shard, which therefore has not
		// moved: ask the engine the same attempt.
		d := p.shard.Step(&engine.Attempt{Kind: engine.Buy, UID: pairSubject, Client: pairClient, NowUnixNano: at})
		engineGot = d.Result
		if engineGot != wantEngine {
			t.Errorf("%v: the engine's Step answered %s, want %s", s, engineGot, wantEngine)
		}
	}
	// Where the gate answered a check the engine also makes, both agree.
	if !queued && got != wantEngine.String() && !gateOnlyAnswer(s, got) {
		t.Errorf("%v: the gate answered %s, the engine %s", s, got, engineGot)
	}
}

// holderFirst reports whether the first row that holds in s is a holder's
// (a win, a waitlist place, a lapsed qualification).
func holderFirst(s conditionSet) bool {
	for c := range numConditions {
		if s.has(c) {
			return c == condWon || c == condWaitlisted || c == condLapsed
		}
	}
	return false
}

// gateOnlyAnswer reports whether got is the answer of a check only the
// event loop makes (captcha, a client's rate, the admission rate, in-flight)
// that holds in s, so the engine cannot be asked to agree.
func gateOnlyAnswer(s conditionSet, got string) bool {
	for c := range numConditions {
		if s.has(c) && conditionRows[c].gateOnly && conditionRows[c].answer.String() == got {
			return true
		}
	}
	return false
}

// TestResultWhilePaused: a pause stops buys, not /result — a winner whose
// buy answer was lost can still learn the win while the operator holds the
// sale, as the engine answers a lookup (docs/API.md, GET /result).
func TestResultWhilePaused(t *testing.T) {
	p := newPairSale(t, 0)
	p.setupBuy(pairSubject, engine.Won)
	p.control(engine.Control{Kind: engine.ControlPause}, engine.ControlApplied)
	p.now += 1e9
	if got, _ := p.buy(pairSubject+1, true); got != engine.Unavailable.String() {
		t.Fatalf("a buy while paused: %s, want %s", got, engine.Unavailable)
	}
	for uid, want := range map[uint64]string{pairSubject: "won", pairSubject + 1: "none"} {
		if got, queued := p.serve("/result?sku=s1&uid=" + strconv.FormatUint(uid, 10)); got != want || !queued {
			t.Errorf("/result of uid %d while paused: %s (decided by the shard: %v), want %s from the shard", uid, got, queued, want)
		}
	}
}
