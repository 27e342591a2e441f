package shardloop

import (
	"context"
	"encoding/hex"
	"time"

	"seckill/engine"
)

// The fair opening, live. While a SKU's lottery window is open the shard
// answers each eligible buy Entered and records the entrant with the batch
// (engine.Shard.FlushEntrants); the loop holds that attempt's Replier
// instead of answering. The window closes by the loop's clock: the first
// batch stepped at or after the close draws before it steps anything
// (drawIfDue), and a timer (startDrawTimer) wakes an idle loop at the close
// with a draw control task. The draw's record and its wins go into that
// batch's commit; only once it is durable are the held entrants answered —
// won, or sold_out — so no entrant hears anything before the draw is in the
// store.
//
// The held replies are bounded by the shard's entrants (at most one attempt
// per uid is ever in flight, and the shard caps its entrants, answering busy
// with the time the window closes beyond the cap).

// heldReply is an entrant's attempt waiting for the draw.
type heldReply struct {
	uid uint64
	to  Replier
}

// hold keeps an entrant's reply until the draw is durable.
func (l *Loop) hold(t *Task) {
	l.held = append(l.held, heldReply{uid: t.Attempt.UID, to: t.To})
	t.To = nil
}

// drawIfDue draws at the start of a batch stepped at or after the window's
// close, so no attempt of a closed window is decided before the draw.
func (l *Loop) drawIfDue(now int64) {
	l.drew = false
	if !l.shard.LotteryDue(now) {
		return
	}
	sold := l.shard.Sold()
	if !l.shard.Draw(now) {
		return
	}
	l.controls = l.shard.TakeRecords(l.controls) // the draw record, and any waitlist places
	for seq := sold + 1; seq <= l.shard.Sold(); seq++ {
		l.wins = append(l.wins, engine.Win{})
		l.shard.WinAt(seq, &l.wins[len(l.wins)-1])
	}
	l.drew = true
}

// answerHeld answers the held entrants once the draw's commit is durable:
// each gets its fate from the shard (a lookup: won with its record, or
// sold_out). If the batch failed, or the store failed before the draw, they
// get unavailable and learn their fate from /result after a restart.
//
// DURABILITY ORDER: A HELD ENTRANT IS ANSWERED ONLY AFTER THE BATCH HOLDING
// THE DRAW RECORD AND ITS WINNER RECORDS HAS BEEN COMMITTED (store.Append
// RETURNED nil), so nobody hears won, or sold_out, of a draw the store may
// not hold.
func (l *Loop) answerHeld(failed bool) {
	if len(l.held) == 0 || !(failed || l.shard.Failed() || l.drew) {
		return
	}
	for i := range l.held {
		h := &l.held[i]
		d := engine.Decision{Result: engine.Unavailable}
		if !failed && !l.shard.Failed() {
			d = l.shard.Step(&engine.Attempt{Kind: engine.Lookup, UID: h.uid})
			if d.Result != engine.Won && d.Result != engine.Waitlisted {
				d = engine.Decision{Result: engine.SoldOut}
			}
		}
		h.to.Reply(&d)
		*h = heldReply{}
	}
	l.held = l.held[:0]
}

// releaseHeld answers the entrants still held when the loop stops (a
// shutdown during the window): unavailable. Their entries are durable; the
// draw after the restart decides them, and /result tells them.
func (l *Loop) releaseHeld() {
	for i := range l.held {
		d := engine.Decision{Result: engine.Unavailable}
		l.held[i].to.Reply(&d)
	}
	l.held = nil
}

// startDrawTimer wakes the loop when its lottery window closes, so the draw
// happens on time even when no attempt arrives then: it queues a draw
// control task, whose batch draws first (drawIfDue); the task itself is
// refused, since only the sale draws. It reads the loop's clock once; the
// timer itself is the runtime's.
func (l *Loop) startDrawTimer() {
	st := l.shard.Lottery()
	if !st.InForce || st.Drawn {
		return
	}
	wait := time.Duration(st.CloseUnixNano - l.clock())
	go func() {
		t := time.NewTimer(max(wait, 0))
		defer t.Stop()
		select {
		case <-l.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-l.done:
				cancel()
			case <-ctx.Done():
			}
		}()
		// ErrControlClosed or a cancelled wait: the loop stopped; the
		// next start draws.
		_, _ = l.Control(ctx, engine.Control{Kind: engine.ControlLotteryDraw, Source: engine.SourceSale})
	}()
}

// LotteryPublic is a SKU's lottery as /stock shows it: the commitment from
// the moment it is recorded, the seed and beacon once the draw is durable.
type LotteryPublic struct {
	Commitment    string // lowercase hex
	Seed          string // lowercase hex; empty before the draw
	Beacon        string // lowercase hex; empty when none is in force
	CloseUnixNano int64
	Entrants      int
}

// Lottery is the SKU's lottery (nil when none is in force).
func (p *Public) Lottery() *LotteryPublic { return p.lottery.Load() }

// publishLottery copies the shard's durable lottery state into pub when it
// changed.
func (l *Loop) publishLottery() {
	st := l.shard.Lottery()
	if !st.InForce {
		return
	}
	old := l.pub.lottery.Load()
	if old != nil && old.Seed != "" {
		return // drawn: nothing changes any more
	}
	lp := &LotteryPublic{Commitment: hex.EncodeToString(st.Commitment[:]), Beacon: hex.EncodeToString(st.Beacon), CloseUnixNano: st.CloseUnixNano, Entrants: st.Entrants}
	if st.Drawn {
		lp.Seed = hex.EncodeToString(st.Seed[:])
	}
	if old == nil || *old != *lp {
		l.pub.lottery.Store(lp)
	}
}
