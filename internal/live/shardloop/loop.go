package shardloop

import (
	"seckill/engine"
	"seckill/internal/live/meter"
)

// Replier receives a shard's decision for a task it offered, exactly once
// per task that Offer accepted. Reply runs on the shard's goroutine, the
// per-SKU serial path, so it must only store the decision and wake its front
// end: encoding, releasing the uid and writing happen on the front end's own
// goroutine. d is valid only during the call.
//
// There is no tag to tell a stale reply from a current one: a front end must
// not reuse a Replier whose task is still queued (netpoll's connection
// context and nethttpfront's exchange both wait for the reply before they go
// back to their pools), so a Replier is never answered for someone else.
type Replier interface {
	Reply(d *engine.Decision)
}

// Store persists a shard's wins and control records of one batch in one
// commit. Append returns only once they are durable, or with an error after
// which nothing more can be persisted (*wal.Log is one).
type Store interface {
	Append(wins []engine.Win, controls []engine.Control) error
}

// Task is one attempt on its way to a shard, with the place its answer goes,
// or — when Control is set — a control change (see Loop.Control).
type Task struct {
	Attempt engine.Attempt
	To      Replier
	Control *ControlTask
}

// batchStartSlots is the capacity a loop's batch buffers start with; they
// grow with the backlog up to batchMax.
const batchStartSlots = 16

// Loop drives one shard. Create it with New, start Run on its own goroutine,
// Offer tasks from anywhere, and Close it once no front end Offers any more.
type Loop struct {
	shard    *engine.Shard
	store    Store
	clock    func() int64
	inbox    *inbox
	batchMax int
	pub      Public
	done     chan struct{}

	// The batch's buffers start small and grow by append up to batchMax
	// tasks; reused with [:0], each keeps the size of the biggest batch.
	batch     []Task
	decisions []engine.Decision
	wins      []engine.Win
	controls  []engine.Control

	resvDigest [32]byte // of the reservation list published in pub

	// The fair opening (lottery.go): entrants' replies held until the
	// draw is durable, and whether this batch drew.
	held []heldReply
	drew bool

	durableSignal chan<- struct{} // see OnDurable; nil = none

	meters Meters
}

// Meters are what a loop measures of its own work, for the operator.
type Meters struct {
	// Batch counts the attempts of each batch the loop stepped.
	Batch meter.Histogram
	// Commit is how long each AppendWins took, in nanoseconds.
	Commit meter.Histogram
}

// New returns a loop for shard with an inbox of at most queueLen tasks and
// at most batchMax tasks per group commit. Both are limits, not sizes: the
// inbox and the batch's buffers start small and grow with the backlog (see
// inbox). clock returns the current time in unix nanoseconds; it is read
// once per batch and handed to the pure core.
func New(shard *engine.Shard, store Store, queueLen, batchMax int, clock func() int64) *Loop {
	start := min(batchMax, batchStartSlots)
	l := &Loop{
		shard:     shard,
		store:     store,
		clock:     clock,
		inbox:     newInbox(queueLen),
		batchMax:  batchMax,
		done:      make(chan struct{}),
		batch:     make([]Task, 0, start),
		decisions: make([]engine.Decision, 0, start),
		wins:      make([]engine.Win, 0, start),
	}
	l.meters.Batch.Init(0)
	l.meters.Commit.Init(meter.LatencyShift)
	l.publish()
	return l
}

// Meters returns the loop's histograms; read them from any goroutine.
func (l *Loop) Meters() *Meters { return &l.meters }

// QueueLen is how many attempts wait in the inbox now.
func (l *Loop) QueueLen() int { return l.inbox.queued() }

// Public is the shard's state for the front end's cheap checks.
func (l *Loop) Public() *Public { return &l.pub }

// Spec is the shard's fixed description: the admin API's control changes
// pick their shards by it, and the gate asks whether a reservation is
// required.
func (l *Loop) Spec() *engine.Spec { return l.shard.Spec() }

// Offer hands t to the shard without blocking. It returns false when the
// inbox is full (the attempt gets busy) or the loop is closed.
func (l *Loop) Offer(t Task) bool { return l.inbox.push(t) }

// FrozenWinner answers a lookup from a sold-out shard without going
// through the inbox, from the read-only view (engine.Frozen) the loop
// published when the shard sold out: the win, the waitlist place, or
// None. It may be called from any goroutine; ok is false when no view is
// published (before the shard sold out, or while a lapsed unit is back on
// sale), and the lookup must go to the shard.
func (l *Loop) FrozenWinner(uid uint64) (d engine.Decision, ok bool) {
	f := l.pub.frozen.Load()
	if f == nil {
		return engine.Decision{Result: engine.None}, false
	}
	return f.Lookup(uid), true
}

// FrozenBuy answers a buy from a sold-out shard as Step would (see
// engine.Frozen.Buy); ok is false when no view is published, and the
// attempt must go to the shard.
func (l *Loop) FrozenBuy(uid uint64) (d engine.Decision, ok bool) {
	f := l.pub.frozen.Load()
	if f == nil {
		return engine.Decision{}, false
	}
	return f.Buy(uid), true
}

// Close stops accepting tasks; Run answers what is already queued and
// returns. It may race with Offers: those that come after it return false.
func (l *Loop) Close() { l.inbox.close() }

// Done is closed when Run has returned.
func (l *Loop) Done() <-chan struct{} { return l.done }

// Run is the shard's goroutine: it takes a batch from the inbox, steps it,
// commits its wins and replies, until Close.
func (l *Loop) Run() {
	defer close(l.done)
	defer l.releaseHeld()
	l.startDrawTimer()
	for {
		switch closed := l.fill(); {
		case len(l.batch) > 0:
			l.step()
		case closed:
			return
		default:
			l.inbox.wait()
		}
	}
}

// fill makes the batch of what the inbox holds now, up to batchMax tasks,
// without waiting for more. closed is true once the inbox is closed and
// empty.
func (l *Loop) fill() (closed bool) {
	l.batch, closed = l.inbox.take(l.batch[:0], l.batchMax)
	return closed
}

// step decides one batch, makes its wins and control records durable, and
// replies.
//
// DURABILITY ORDER: A REPLY THAT NAMES A WIN (won, already_won, a /result
// that found one) MUST NOT BE HANDED TO ITS REPLIER BEFORE store.Append HAS
// RETURNED nil FOR THAT WIN, AND A CONTROL CHANGE IS NOT ANSWERED APPLIED
// BEFORE ITS RECORD'S Append HAS. Every reply of the batch waits for the
// batch's commit; records of earlier batches were committed before this
// batch began. If the commit fails, the shard fails closed and every
// decision of the batch becomes unavailable: not only the wins beyond the
// durable seq but what was decided after them (a sold_out, a busy of the
// release rate) counted wins that are now lost; and every control change of
// the batch is answered unavailable.
func (l *Loop) step() {
	now := l.clock()
	l.decisions = l.decisions[:0]
	l.wins = l.wins[:0]
	l.controls = l.controls[:0]
	l.drawIfDue(now)
	for i := range l.batch {
		if ct := l.batch[i].Control; ct != nil {
			l.controls = l.shard.FlushEntrants(l.controls, now)
			l.stepControl(ct, now)
			l.decisions = append(l.decisions, engine.Decision{})
			continue
		}
		a := &l.batch[i].Attempt
		a.NowUnixNano = now
		d := l.shard.Step(a)
		switch d.Record {
		case engine.RecordWin:
			l.wins = append(l.wins, engine.Win{})
			l.shard.WinAt(d.Seq, &l.wins[len(l.wins)-1])
		case engine.RecordControl:
			l.controls = l.shard.TakeRecords(l.controls) // a waitlist place, a lapsed unit issued again
		}
		l.decisions = append(l.decisions, d)
	}
	l.controls = l.shard.FlushEntrants(l.controls, now)
	failed := false
	l.meters.Batch.Observe(uint64(len(l.batch)))
	if len(l.wins) > 0 || len(l.controls) > 0 {
		begin := l.clock()
		err := l.store.Append(l.wins, l.controls)
		l.meters.Commit.Observe(uint64(max(0, l.clock()-begin)))
		if err != nil {
			l.shard.Fail()
			l.pub.set(flagFailed)
			failed = true
		} else if len(l.wins) > 0 {
			l.shard.MarkDurable(l.wins[len(l.wins)-1].Seq)
			l.signalDurable()
		}
		l.publish()
	}
	for i := range l.controls {
		l.controls[i] = engine.Control{} // drop references to the lists
	}
	durable := l.shard.Durable()
	for i := range l.batch {
		if ct := l.batch[i].Control; ct != nil {
			l.answerControl(ct, !failed)
			l.batch[i].Control = nil
			continue
		}
		d := &l.decisions[i]
		if failed || d.Record == engine.RecordWin && d.Seq > durable {
			*d = engine.Decision{Result: engine.Unavailable}
		}
		t := &l.batch[i]
		if d.Result == engine.Entered {
			l.hold(t)
			continue
		}
		t.To.Reply(d)
		t.To = nil // drop the reference so a closed connection can be collected
	}
	l.answerHeld(failed)
}

// publish copies the shard's durable state into the atomics: remaining,
// the pause and reservation list the control records put in force, and
// once sold out a frozen view of the winners, stored before the flag that
// tells the front end to read it.
func (l *Loop) publish() {
	l.pub.quota.Store(int64(l.shard.Quota()))
	l.pub.end.Store(l.shard.End())
	joined, _ := l.shard.Waitlisted()
	l.pub.waitlisted.Store(int64(joined))
	l.pub.remaining.Store(int64(l.shard.Remaining()))
	if l.shard.Failed() {
		// The batch that failed may hold control changes that are not
		// durable; the failed flag says all the front end needs.
		return
	}
	l.pub.setFlag(flagPaused, l.shard.Paused())
	l.pub.setFlag(flagEnded, l.shard.Ended())
	if set, digest := l.shard.Reservations(); l.pub.resv.Load() == nil || digest != l.resvDigest {
		box := &reservationsBox{set: set}
		if l.shard.Spec().ReservationRequired {
			box.winnersOutside = l.shard.WinnersOutside(set)
		}
		l.pub.resv.Store(box)
		l.resvDigest = digest
	}
	l.publishLottery()
	switch {
	case l.shard.SoldOut() && !l.shard.Current(l.pub.frozen.Load()):
		l.pub.frozen.Store(l.shard.Freeze())
		l.pub.set(flagSoldOut)
	case !l.shard.SoldOut() && l.pub.SoldOut():
		// A lapsed unit is back on sale, or a set-stock raised the
		// quota: attempts go to the shard again.
		l.pub.setFlag(flagSoldOut, false)
		l.pub.frozen.Store(nil)
	}
}

// Recovered publishes the state a shard has after recovery Applied the
// store's wins, before serving starts.
func (l *Loop) Recovered() { l.publish() }
