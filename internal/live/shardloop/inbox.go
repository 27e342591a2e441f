package shardloop

import "sync"

// inboxStartSlots is the ring's storage when a loop starts. Most SKUs of a
// big sale are never crowded, and a ring allocated at its limit up front
// cost about 560 KB per SKU at the default queue and batch_max — memory
// every collection scans, since a Task holds pointers — whether anyone
// bought the SKU or not.
const inboxStartSlots = 16

// inbox is a shard's bounded FIFO of tasks: any goroutine pushes without
// blocking, the loop's goroutine takes them a batch at a time. Its storage
// is a ring that starts at inboxStartSlots and doubles, when a push finds it
// full, up to limit; a push beyond limit tasks is refused, so the bound is
// exactly the queue length configured. A ring keeps the size of its busiest
// moment (its high-water mark) for the loop's lifetime: shrinking it would
// cost an allocation each time a burst came back.
//
// One mutex orders pushes, takes and close, which gives the guarantee the
// loop's shutdown needs: a push either lands before close (and take hands
// it out before reporting closed) or is refused; none is lost and none is
// taken after the loop stopped taking.
type inbox struct {
	mu     sync.Mutex
	ring   []Task // the storage; ring[head] is the oldest task
	head   int
	n      int // tasks queued
	limit  int
	closed bool

	// ready holds a token when there may be something to take: a push
	// into an empty ring, or close, leaves one, so the taker blocks on it
	// without spinning. A stale token only costs the taker an empty take.
	ready chan struct{}
}

// newInbox returns an empty inbox that holds at most limit tasks.
func newInbox(limit int) *inbox {
	if limit < 1 {
		panic("shardloop: an inbox must hold at least one task")
	}
	return &inbox{
		ring:  make([]Task, min(limit, inboxStartSlots)),
		limit: limit,
		ready: make(chan struct{}, 1),
	}
}

// push queues t unless the inbox holds limit tasks or is closed; it reports
// whether t was queued. It never blocks.
func (q *inbox) push(t Task) bool {
	q.mu.Lock()
	if q.closed || q.n == q.limit {
		q.mu.Unlock()
		return false
	}
	if q.n == len(q.ring) {
		q.grow()
	}
	i := q.head + q.n
	if i >= len(q.ring) {
		i -= len(q.ring)
	}
	q.ring[i] = t
	q.n++
	wake := q.n == 1
	q.mu.Unlock()
	if wake {
		q.signal()
	}
	return true
}

// grow doubles the ring, up to limit, keeping the tasks in order from
// index 0. The caller holds mu.
func (q *inbox) grow() {
	ring := make([]Task, min(2*len(q.ring), q.limit))
	k := copy(ring, q.ring[q.head:])
	copy(ring[k:], q.ring[:q.head])
	q.ring, q.head = ring, 0
}

// take appends up to most queued tasks to dst, oldest first, and removes
// them. closed is true once the inbox is closed and empty: nothing will
// ever be taken again. dst grows by append, so a caller that reuses it
// keeps the capacity of its biggest batch.
func (q *inbox) take(dst []Task, most int) (out []Task, closed bool) {
	q.mu.Lock()
	k := min(most, q.n)
	for range k {
		dst = append(dst, q.ring[q.head])
		q.ring[q.head] = Task{} // drop the references for the collector
		if q.head++; q.head == len(q.ring) {
			q.head = 0
		}
	}
	q.n -= k
	if q.n == 0 {
		q.head = 0
	}
	closed = q.closed && q.n == 0
	q.mu.Unlock()
	return dst, closed
}

// wait blocks until a push into the empty inbox, or close, since the last
// wait returned.
func (q *inbox) wait() { <-q.ready }

// queued is how many tasks wait now.
func (q *inbox) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// isClosed reports whether close has been called.
func (q *inbox) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// close refuses every later push; the tasks queued stay for take.
func (q *inbox) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// signal leaves a token in ready unless one is there already.
func (q *inbox) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}
