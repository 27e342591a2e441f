package wal

import (
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"seckill/engine"
)

// roundsInFlight is how many rounds may be between apply and the end of
// their fsync at once. Two is the pipeline: while one round's fsync runs,
// the next is applied (encoded, in the WAL buffer and the memtable, its fsync
// queued behind the running one), and the shards' batches that arrive
// meanwhile wait in the queue for the round after. More would only split the
// same waiting batches into more, smaller rounds, each one fsync.
const roundsInFlight = 2

// Committer is the group commit across shards: one goroutine that takes the
// ready batches of every shard loop (Append, one call per shard batch), puts
// them into one pebble batch and makes one synced commit per round. It is
// pipelined: a round is applied with pebble.DB.ApplyNoSyncWait and handed to
// a second goroutine that waits for its fsync, so the next round is
// collected and applied while the previous one is being synced, and the
// shards whose batches are not in the syncing round keep deciding theirs.
//
// Why not one pebble commit per shard (Log.Append from every loop): pebble
// already shares one fsync among concurrent commits, but each commit still
// pays pebble's commit pipeline (its mutex, a WAL record, the publish
// handshake, a batch and its memtable inserts); with a thousand shards each
// holding one win that per-commit cost, not the disk, bounded the durable
// wins per second (docs/BENCHMARKS.md §6).
//
// A Committer implements shardloop.Store. Create it with Log.NewCommitter,
// hand it to every loop instead of the Log, and Close it after the loops have
// stopped and before the Log is closed.
type Committer struct {
	log *Log

	mu     sync.Mutex
	queue  []*commitRequest // waiting for the next round
	closed bool
	wake   chan struct{} // capacity 1: the queue is not empty, or closed

	free    chan *round // rounds not in flight; holds roundsInFlight
	syncing chan *round // applied rounds, in commit order
	done    chan struct{}

	requests sync.Pool // *commitRequest

	rounds  atomic.Uint64
	batches atomic.Uint64
}

// commitRequest is one shard batch's wins and control records, waiting for
// the round that makes them durable.
type commitRequest struct {
	wins     []engine.Win
	controls []engine.Control
	err      error
	done     chan struct{} // capacity 1, reused with the request
}

// round is one pebble batch carrying many requests, from apply to fsync.
type round struct {
	reqs []*commitRequest
	b    *pebble.Batch // nil: nothing valid to write
	err  error         // from apply
}

// NewCommitter starts the group committer of l.
func (l *Log) NewCommitter() *Committer {
	c := l.newCommitter()
	c.start()
	return c
}

// newCommitter returns a committer whose goroutines have not started, so a
// test can queue requests first and see them go in one round.
func (l *Log) newCommitter() *Committer {
	c := &Committer{
		log:     l,
		wake:    make(chan struct{}, 1),
		free:    make(chan *round, roundsInFlight),
		syncing: make(chan *round, roundsInFlight),
		done:    make(chan struct{}),
	}
	for range roundsInFlight {
		c.free <- &round{}
	}
	return c
}

func (c *Committer) start() {
	go c.applyLoop()
	go func() {
		c.syncLoop()
		close(c.done)
	}()
}

// Append makes wins and controls durable in the next round with the other
// shards' batches and returns once that round's fsync has returned, with the
// same meaning as Log.Append: nil means every record is durable; an error
// wrapping ErrWrite means the Log is failed and none of them may be reported
// as persisted; ErrInvalidWin fails only this call. Each shard loop calls it
// from its own goroutine, one batch at a time; it does not allocate in
// steady state.
func (c *Committer) Append(wins []engine.Win, controls []engine.Control) error {
	if len(wins) == 0 && len(controls) == 0 {
		return nil
	}
	q, _ := c.requests.Get().(*commitRequest)
	if q == nil {
		q = &commitRequest{done: make(chan struct{}, 1)}
	}
	q.wins, q.controls = wins, controls
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.release(q)
		return ErrClosed
	}
	c.queue = append(c.queue, q)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	<-q.done
	err := q.err
	c.release(q)
	return err
}

func (c *Committer) release(q *commitRequest) {
	q.wins, q.controls, q.err = nil, nil, nil
	c.requests.Put(q)
}

// Close answers what is queued, waits for the rounds in flight, and stops
// the committer; later Appends return ErrClosed. Close it before the Log.
func (c *Committer) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	c.mu.Unlock()
	<-c.done
}

// Rounds reports how many rounds were committed and how many shard batches
// they carried, for benchmarks and the operator.
func (c *Committer) Rounds() (rounds, batches uint64) {
	return c.rounds.Load(), c.batches.Load()
}

// applyLoop collects the queue into a round whenever one is free, applies
// it, and hands it to syncLoop, until Close and an empty queue.
func (c *Committer) applyLoop() {
	defer close(c.syncing)
	for range c.wake {
		for {
			r := <-c.free
			c.mu.Lock()
			r.reqs, c.queue = c.queue, r.reqs[:0]
			closed := c.closed
			c.mu.Unlock()
			if len(r.reqs) == 0 {
				c.free <- r
				if closed {
					return
				}
				break
			}
			r.b, r.err = c.log.beginRound(r.reqs)
			c.syncing <- r
		}
	}
}

// syncLoop waits, round by round in commit order, for each round's fsync
// and then answers its requests.
//
// DURABILITY ORDER: A REQUEST IS ANSWERED nil — AND SO ITS SHARD MAY REPLY
// `won`, ALREADY_WON, OR THAT A CONTROL CHANGE TOOK EFFECT — ONLY AFTER
// Log.endRound HAS RETURNED nil FOR ITS ROUND, THAT IS AFTER THE FSYNC OF
// PEBBLE'S WAL COVERING THE ROUND'S BATCH RETURNED AND THE WAL FENCE SAW NO
// FAILURE. A round whose apply or fsync failed answers every request it
// carried with the Log's failure.
func (c *Committer) syncLoop() {
	for r := range c.syncing {
		err := r.err
		if err == nil {
			err = c.log.endRound(r.b)
		}
		if r.b != nil {
			c.rounds.Add(1)
			c.batches.Add(uint64(len(r.reqs)))
		}
		for i, q := range r.reqs {
			r.reqs[i] = nil
			if q.err == nil { // else rejected by beginRound, with its own error
				q.err = err
			}
			q.done <- struct{}{}
		}
		r.reqs, r.b, r.err = r.reqs[:0], nil, nil
		c.free <- r
	}
}
