package shardloop

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"seckill/engine"
)

// inboxOp is one step of an inbox scenario: push count tasks (numbered on
// from the last one pushed) and expect accepted of them queued, or take up
// to most and expect the uids listed, or close.
type inboxOp struct {
	push, accepted int
	take           int
	want           []uint64
	close          bool
	wantClosed     bool // what take reports
}

func taskUID(uid uint64) Task { return Task{Attempt: engine.Attempt{UID: uid}} }

func uidsOf(ts []Task) []uint64 {
	out := make([]uint64, len(ts))
	for i := range ts {
		out[i] = ts[i].Attempt.UID
	}
	return out
}

func uidRange(from, to uint64) []uint64 {
	var out []uint64
	for u := from; u <= to; u++ {
		out = append(out, u)
	}
	return out
}

// TestInbox walks the inbox through scenarios: the bound is exactly the
// limit whatever the ring's storage, order is first in first out across
// growth and wrap-around, a take is bounded by its caller, and close
// refuses pushes but lets take drain what was queued before reporting
// closed.
func TestInbox(t *testing.T) {
	cases := []struct {
		name  string
		limit int
		ops   []inboxOp
	}{
		{"refuses at exactly the limit, below the start size", 5, []inboxOp{
			{push: 7, accepted: 5},
			{take: 10, want: uidRange(1, 5)},
		}},
		{"refuses at exactly the limit, after growing", 100, []inboxOp{
			{push: 101, accepted: 100},
			{take: 1000, want: uidRange(1, 100)},
			{push: 1, accepted: 1},
			{take: 1, want: []uint64{102}},
		}},
		{"a limit that is not a power of two", 37, []inboxOp{
			{push: 40, accepted: 37},
			{take: 3, want: uidRange(1, 3)},
			{push: 5, accepted: 3}, // 41-43 queued in the slots the take freed
			{take: 50, want: append(uidRange(4, 37), 41, 42, 43)},
		}},
		{"grows while wrapped around", 64, []inboxOp{
			{push: 16, accepted: 16},
			{take: 10, want: uidRange(1, 10)},
			{push: 10, accepted: 10}, // 17-26: the ring's tail wraps to its start
			{push: 30, accepted: 30}, // 27-56: it grows, twice
			{take: 5, want: uidRange(11, 15)},
			{take: 100, want: uidRange(16, 56)},
		}},
		{"take is bounded", 64, []inboxOp{
			{push: 20, accepted: 20},
			{take: 0, want: nil},
			{take: 7, want: uidRange(1, 7)},
			{take: 7, want: uidRange(8, 14)},
			{take: 7, want: uidRange(15, 20)},
			{take: 7, want: nil},
		}},
		{"close drains what was queued", 8, []inboxOp{
			{push: 3, accepted: 3},
			{close: true},
			{push: 1, accepted: 0},
			{take: 2, want: uidRange(1, 2)},
			{take: 2, want: []uint64{3}, wantClosed: true},
			{take: 2, want: nil, wantClosed: true},
		}},
		{"close of an empty inbox", 8, []inboxOp{
			{close: true},
			{take: 1, want: nil, wantClosed: true},
			{push: 1, accepted: 0},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := newInbox(c.limit)
			var next uint64
			for i, op := range c.ops {
				switch {
				case op.close:
					q.close()
				case op.push > 0:
					accepted := 0
					for range op.push {
						next++
						if q.push(taskUID(next)) {
							accepted++
						}
					}
					if accepted != op.accepted {
						t.Fatalf("op %d: %d of %d pushes accepted, want %d", i, accepted, op.push, op.accepted)
					}
				default:
					got, closed := q.take(nil, op.take)
					if !slices.Equal(uidsOf(got), op.want) || closed != op.wantClosed {
						t.Fatalf("op %d: take(%d) = %v closed=%v, want %v closed=%v", i, op.take, uidsOf(got), closed, op.want, op.wantClosed)
					}
				}
				if n := q.queued(); n > c.limit || len(q.ring) > c.limit {
					t.Fatalf("op %d: %d queued in a ring of %d, limit %d", i, n, len(q.ring), c.limit)
				}
			}
		})
	}
}

// TestInboxModel runs random pushes and takes against a slice, the
// reference model of a bounded FIFO, for limits around the ring's start
// size and its doublings.
func TestInboxModel(t *testing.T) {
	for _, limit := range []int{1, 2, 15, 16, 17, 33, 100, 256} {
		rng := rand.New(rand.NewPCG(uint64(limit), 13))
		q := newInbox(limit)
		var model []uint64
		var next uint64
		for step := 0; step < 20000; step++ {
			if rng.IntN(2) == 0 {
				next++
				ok := q.push(taskUID(next))
				if want := len(model) < limit; ok != want {
					t.Fatalf("limit %d step %d: push with %d queued = %v", limit, step, len(model), ok)
				}
				if ok {
					model = append(model, next)
				}
				continue
			}
			most := rng.IntN(limit + 2)
			got, closed := q.take(nil, most)
			k := min(most, len(model))
			if !slices.Equal(uidsOf(got), model[:k]) || closed {
				t.Fatalf("limit %d step %d: take(%d) = %v closed=%v, want %v", limit, step, most, uidsOf(got), closed, model[:k])
			}
			model = model[k:]
			if q.queued() != len(model) {
				t.Fatalf("limit %d step %d: %d queued, model %d", limit, step, q.queued(), len(model))
			}
		}
	}
}

// TestInboxTakeClears: a taken task's slot no longer holds its Replier, so
// an inbox that keeps its storage does not keep connections alive.
func TestInboxTakeClears(t *testing.T) {
	q := newInbox(4)
	q.push(Task{To: &countingReplier{}})
	q.take(nil, 1)
	for i, s := range q.ring {
		if s.To != nil {
			t.Fatalf("slot %d still holds a Replier after the take", i)
		}
	}
}

// TestInboxConcurrent: several producers push while one consumer takes,
// blocking on wait when the inbox is empty, and closes the inbox while they
// still push. Every push that was accepted is taken exactly once, in each
// producer's order, and none is accepted after close returned.
func TestInboxConcurrent(t *testing.T) {
	const producers, limit, closeAfter, pushesAfterClose = 6, 64, 5000, 100
	q := newInbox(limit)
	var accepted [producers][]uint64
	var afterClose [producers]int
	closedAt := make(chan struct{})
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			late := 0
			for i := uint64(0); late < pushesAfterClose; i++ {
				closed := false
				select {
				case <-closedAt:
					closed = true
					late++
				default:
				}
				uid := uint64(p)<<32 | i
				switch ok := q.push(taskUID(uid)); {
				case ok && closed:
					afterClose[p]++
				case ok:
					accepted[p] = append(accepted[p], uid)
				}
			}
		}()
	}
	var taken []uint64
	batch := make([]Task, 0, 8)
	for {
		var closed bool
		batch, closed = q.take(batch[:0], 8)
		taken = append(taken, uidsOf(batch)...)
		if closed {
			break
		}
		if len(taken) >= closeAfter && !q.isClosed() {
			q.close()
			close(closedAt)
		}
		if len(batch) == 0 {
			q.wait()
		}
	}
	wg.Wait()
	for p, n := range afterClose {
		if n != 0 {
			t.Errorf("producer %d: %d pushes accepted after close", p, n)
		}
	}
	byProducer := make([][]uint64, producers)
	seen := map[uint64]bool{}
	for _, uid := range taken {
		if seen[uid] {
			t.Fatalf("uid %#x taken twice", uid)
		}
		seen[uid] = true
		byProducer[uid>>32] = append(byProducer[uid>>32], uid)
	}
	for p := range producers {
		if !slices.Equal(byProducer[p], accepted[p]) {
			t.Errorf("producer %d: %d accepted, %d taken (or out of order)", p, len(accepted[p]), len(byProducer[p]))
		}
	}
}

// TestInboxAllocs: on an inbox that has grown to its backlog, a push and a
// batch's take allocate nothing.
func TestInboxAllocs(t *testing.T) {
	q := newInbox(4096)
	batch := make([]Task, 0, 64)
	for i := range 64 {
		q.push(taskUID(uint64(i)))
	}
	batch, _ = q.take(batch[:0], 64)
	r := &countingReplier{}
	allocs := testing.AllocsPerRun(200, func() {
		for i := range 64 {
			q.push(Task{Attempt: engine.Attempt{UID: uint64(i)}, To: r})
		}
		batch, _ = q.take(batch[:0], 64)
	})
	if allocs != 0 || len(batch) != 64 {
		t.Errorf("%.1f allocations per 64 pushes and a take of %d", allocs, len(batch))
	}
}

// TestLoopBuffersFollowBacklog: a new loop holds a few slots, not its
// limits; a backlog grows the inbox and the batch, but never past queueLen
// and batchMax, and a batch takes at most batchMax tasks.
func TestLoopBuffersFollowBacklog(t *testing.T) {
	const queueLen, batchMax = 4096, 1024
	spec := engine.Spec{Activity: "act", SKU: "sku", Quota: 1, EndUnixNano: 1 << 62}
	l := New(engine.NewShard(spec, engine.NewTicketSigner(make([]byte, 32)), nil, nil), nil, queueLen, batchMax, func() int64 { return 1 })
	if len(l.inbox.ring) > inboxStartSlots || cap(l.batch) > batchStartSlots || cap(l.decisions) > batchStartSlots || cap(l.wins) > batchStartSlots {
		t.Fatalf("a new loop holds %d inbox slots and batch capacity %d/%d/%d", len(l.inbox.ring), cap(l.batch), cap(l.decisions), cap(l.wins))
	}
	r := &countingReplier{}
	accepted := 0
	for uid := range uint64(queueLen + 10) {
		if l.Offer(Task{Attempt: engine.Attempt{Kind: engine.Lookup, UID: uid}, To: r}) {
			accepted++
		}
	}
	if accepted != queueLen || len(l.inbox.ring) != queueLen {
		t.Fatalf("%d offers accepted into a ring of %d, want %d", accepted, len(l.inbox.ring), queueLen)
	}
	for batches := 1; l.StepQueued(); batches++ {
		if len(l.batch) > batchMax {
			t.Fatalf("batch %d holds %d tasks, batch_max %d", batches, len(l.batch), batchMax)
		}
	}
	if r.n != queueLen || cap(l.batch) < batchMax || cap(l.batch) > 2*batchMax {
		t.Fatalf("%d answered; batch capacity %d", r.n, cap(l.batch))
	}
}
