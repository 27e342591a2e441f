package shardloop

import (
	"sync"

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

// Store persists wins. AppendWins returns only once the wins are durable, or
// with an error after which nothing more can be persisted.
type Store interface {
	AppendWins(wins []engine.Win) error
}

// Task is one attempt on its way to a shard, with the place its answer goes.
type Task struct {
	Attempt engine.Attempt
	To      Replier
}

// Loop drives one shard. Create it with New, start Run on its own goroutine,
// Offer tasks from anywhere, and Close it once no front end Offers any more.
type Loop struct {
	shard    *engine.Shard
	store    Store
	clock    func() int64
	inbox    chan Task
	batchMax int
	pub      Public

	// closeMu orders Offer's send against Close's close of the inbox:
	// Offers hold it shared, Close exclusively, so no send can meet a
	// closed channel and every accepted task is in the inbox before Run
	// sees it closed.
	closeMu sync.RWMutex
	closed  bool
	done    chan struct{}

	batch     []Task
	decisions []engine.Decision
	wins      []engine.Win

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

// New returns a loop for shard with an inbox of queueLen tasks and at most
// batchMax tasks per group commit. clock returns the current time in unix
// nanoseconds; it is read once per batch and handed to the pure core.
func New(shard *engine.Shard, store Store, queueLen, batchMax int, clock func() int64) *Loop {
	l := &Loop{
		shard:     shard,
		store:     store,
		clock:     clock,
		inbox:     make(chan Task, queueLen),
		batchMax:  batchMax,
		done:      make(chan struct{}),
		batch:     make([]Task, 0, batchMax),
		decisions: make([]engine.Decision, 0, batchMax),
		wins:      make([]engine.Win, 0, batchMax),
	}
	l.meters.Batch.Init(0)
	l.meters.Commit.Init(meter.LatencyShift)
	l.publish()
	return l
}

// Meters returns the loop's histograms; read them from any goroutine.
func (l *Loop) Meters() *Meters { return &l.meters }

// QueueLen is how many attempts wait in the inbox now.
func (l *Loop) QueueLen() int { return len(l.inbox) }

// Public is the shard's state for the front end's cheap checks.
func (l *Loop) Public() *Public { return &l.pub }

// Offer hands t to the shard without blocking. It returns false when the
// inbox is full (the attempt gets busy) or the loop is closed.
func (l *Loop) Offer(t Task) bool {
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	if l.closed {
		return false
	}
	select {
	case l.inbox <- t:
		return true
	default:
		return false
	}
}

// FrozenWinner answers a buy or lookup from a sold-out shard without going
// through the inbox. It may be called from any goroutine, but only once
// Public().SoldOut() has been observed true: from then on the shard's winner
// table is never written again, and the atomic store that set the flag
// happened after the last write.
func (l *Loop) FrozenWinner(uid uint64) (engine.Decision, bool) {
	d := l.shard.Step(&engine.Attempt{Kind: engine.Lookup, UID: uid})
	return d, d.Result == engine.Won
}

// Close stops accepting tasks; Run answers what is already queued and
// returns. It may race with Offers: those that come after it return false.
func (l *Loop) Close() {
	l.closeMu.Lock()
	defer l.closeMu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.inbox)
	}
}

// Done is closed when Run has returned.
func (l *Loop) Done() <-chan struct{} { return l.done }

// Run is the shard's goroutine: it takes a batch from the inbox, steps it,
// commits its wins and replies, until Close.
func (l *Loop) Run() {
	defer close(l.done)
	for {
		t, ok := <-l.inbox
		if !ok {
			return
		}
		l.fill(t)
		l.step()
	}
}

// fill starts a batch with first and adds what else the inbox holds now, up
// to batchMax tasks, without waiting for more.
func (l *Loop) fill(first Task) {
	l.batch = append(l.batch[:0], first)
	for len(l.batch) < l.batchMax {
		select {
		case t, ok := <-l.inbox:
			if !ok {
				return
			}
			l.batch = append(l.batch, t)
		default:
			return
		}
	}
}

// step decides one batch, makes its wins durable, and replies.
//
// DURABILITY ORDER: A REPLY THAT NAMES A WIN (won, already_won, a /result
// that found one) MUST NOT BE HANDED TO ITS REPLIER BEFORE store.AppendWins
// HAS RETURNED nil FOR THAT WIN. Every reply of the batch waits for the
// batch's commit; wins of earlier batches were committed before this batch
// began. If the commit fails, the shard fails closed and every decision of
// the batch becomes unavailable: not only the wins beyond the durable seq
// but what was decided after them (a sold_out, a busy of the release rate)
// counted wins that are now lost.
func (l *Loop) step() {
	now := l.clock()
	l.decisions = l.decisions[:0]
	l.wins = l.wins[:0]
	for i := range l.batch {
		a := &l.batch[i].Attempt
		a.NowUnixNano = now
		d := l.shard.Step(a)
		if d.Result == engine.Won && a.Kind == engine.Buy {
			l.wins = append(l.wins, engine.Win{})
			l.shard.WinAt(d.Seq, &l.wins[len(l.wins)-1])
		}
		l.decisions = append(l.decisions, d)
	}
	failed := false
	l.meters.Batch.Observe(uint64(len(l.batch)))
	if len(l.wins) > 0 {
		begin := l.clock()
		err := l.store.AppendWins(l.wins)
		l.meters.Commit.Observe(uint64(max(0, l.clock()-begin)))
		if err != nil {
			l.shard.Fail()
			l.pub.set(flagFailed)
			failed = true
		} else {
			l.shard.MarkDurable(l.wins[len(l.wins)-1].Seq)
			l.signalDurable()
		}
		l.publish()
	}
	durable := l.shard.Durable()
	for i := range l.batch {
		d := &l.decisions[i]
		if failed || d.Result.RevealsWin() && d.Seq > durable {
			*d = engine.Decision{Result: engine.Unavailable}
		}
		t := &l.batch[i]
		t.To.Reply(d)
		t.To = nil // drop the reference so a closed connection can be collected
	}
}

// publish copies the shard's durable state into the atomics. The sold-out
// flag is stored last, after every write to the winner table.
func (l *Loop) publish() {
	l.pub.remaining.Store(int64(l.shard.Spec().Quota - l.shard.Durable()))
	if l.shard.SoldOut() {
		l.pub.set(flagSoldOut)
	}
}

// Recovered publishes the state a shard has after recovery Applied the
// store's wins, before serving starts.
func (l *Loop) Recovered() { l.publish() }
