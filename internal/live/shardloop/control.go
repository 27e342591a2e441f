package shardloop

import (
	"context"
	"errors"
	"fmt"
	"time"

	"seckill/engine"
)

// ControlTask is a control change on its way to a shard (pause, resume, a
// reservation list; see engine.Control). It travels through the same inbox
// as the attempts, so the shard decides it in sequence with them, and its
// record is committed in the same synced batch as the wins decided with it.
type ControlTask struct {
	change  engine.Control
	verdict engine.ControlVerdict // the shard's, once stepped
	reason  error                 // why the shard refused it, when it says
	follow  []engine.Control      // records the change set off (a lapse's promotion)
	done    chan ControlResult    // capacity 1: the loop never blocks on it
}

// ControlResult is the shard's durable answer to a control change.
type ControlResult struct {
	Verdict engine.ControlVerdict
	// Record is the control record as stored, when Verdict is
	// engine.ControlApplied.
	Record engine.Control
	// Follow are the records the change set off and stored with it (the
	// promotion a lapse gives the first waitlisted user).
	Follow []engine.Control
	// Reason says why the shard refused the change, when it says (a
	// qualification report: engine.ErrNeverIssued, ErrPaidCannotLapse ...).
	Reason error
}

// Errors of Loop.Control.
var (
	ErrControlClosed  = errors.New("shardloop: loop closed; control change not made")
	ErrControlTimeout = errors.New("shardloop: no room in the inbox before the deadline; control change not made")
)

// controlRetry is how long Control waits between tries when the inbox is
// full: control changes are rare, and polling keeps the inbox free of a
// second wait queue, for room, that every take would have to serve.
const controlRetry = time.Millisecond

// Control hands a control change to the shard and waits for its durable
// answer. c names the kind, the source, the arguments, and for a reservation
// list the list itself (c.Set); the shard completes the rest.
//
// DURABILITY ORDER: CONTROL RETURNS engine.ControlApplied ONLY AFTER THE
// CONTROL RECORD'S COMMIT (store.Append) HAS RETURNED nil. If the commit
// fails, the shard fails closed and the verdict is ControlUnavailable: the
// change may or may not be in the store, and the operator must not take it
// as made.
//
// While the inbox is full Control retries until ctx ends
// (ErrControlTimeout); once the task is queued it waits for the answer
// however long ctx is, since the shard will decide it. A closed loop is
// ErrControlClosed.
func (l *Loop) Control(ctx context.Context, c engine.Control) (ControlResult, error) {
	for {
		task, err := l.OfferControl(c)
		if err != nil {
			return ControlResult{}, err
		}
		if task != nil {
			return <-task.Done(), nil
		}
		select {
		case <-ctx.Done():
			return ControlResult{}, fmt.Errorf("%w: %w", ErrControlTimeout, ctx.Err())
		case <-time.After(controlRetry):
		}
	}
}

// OfferControl queues c without waiting: it returns the queued task, whose
// Done channel delivers the durable answer (the DURABILITY ORDER of Control
// holds), or nil when the inbox is full. A closed loop is ErrControlClosed.
// A driver that steps the loop itself (StepQueued) uses it; others use
// Control.
func (l *Loop) OfferControl(c engine.Control) (*ControlTask, error) {
	task := &ControlTask{change: c, done: make(chan ControlResult, 1)}
	if l.inbox.push(Task{Control: task}) {
		return task, nil
	}
	if l.inbox.isClosed() {
		return nil, ErrControlClosed
	}
	return nil, nil
}

// Done delivers the task's answer once its batch is committed (or failed).
func (t *ControlTask) Done() <-chan ControlResult { return t.done }

// stepControl decides one control task of the batch at time now.
func (l *Loop) stepControl(ct *ControlTask, now int64) {
	ct.change.TimeUnixNano = now
	sold := l.shard.Sold()
	switch ct.verdict = l.shard.Control(&ct.change); ct.verdict {
	case engine.ControlApplied:
		// A stock raise's qualifications for the waiting users are wins
		// decided with the record (engine/stock_waitlist.go): they go in
		// this batch's commit, after it, like the wins of the attempts.
		for seq := sold + 1; seq <= l.shard.Sold(); seq++ {
			l.wins = append(l.wins, engine.Win{})
			l.shard.WinAt(seq, &l.wins[len(l.wins)-1])
		}
		l.controls = append(l.controls, ct.change)
		n := len(l.controls)
		l.controls = l.shard.TakeRecords(l.controls)
		ct.follow = append(ct.follow, l.controls[n:]...)
	case engine.ControlRefused:
		if ct.reason = l.shard.RefusalReason(); ct.reason == nil {
			ct.reason = errors.New(l.shard.Refusal(&ct.change))
		}
	}
}

// answerControl gives a control task of a committed (or failed) batch its
// answer.
func (l *Loop) answerControl(ct *ControlTask, committed bool) {
	res := ControlResult{Verdict: ct.verdict, Reason: ct.reason}
	switch {
	case res.Verdict == engine.ControlApplied && !committed:
		res.Verdict = engine.ControlUnavailable
	case res.Verdict == engine.ControlApplied:
		res.Record, res.Follow = ct.change, ct.follow
	}
	ct.change.Set, ct.change.Blocklist = nil, nil // drop the references to the lists
	ct.done <- res
}
