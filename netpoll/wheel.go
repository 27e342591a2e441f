package netpoll

import (
	"sync"

	"github.com/panjf2000/gnet/v2"
)

// idleWheel closes connections that have not sent a complete request head
// within the idle timeout (slowloris). Connections are filed by the second
// they opened in; once a second is older than the timeout, its bucket is
// swept and every connection in it that is still reading is closed. So a
// connection is closed between idleTimeout and idleTimeout+1s after it
// opened. An entry costs 32 bytes and is cleared when its connection
// closes, so the wheel never keeps a closed connection alive.
type idleWheel struct {
	buckets   []wheelBucket
	idleSec   int64
	nextSweep int64 // the oldest second not yet swept; only the ticker touches it
}

type wheelBucket struct {
	mu      sync.Mutex
	second  int64
	entries []wheelEntry
}

type wheelEntry struct {
	c   gnet.Conn
	x   *connCtx
	gen uint64
}

func newIdleWheel(idleSec, now int64) *idleWheel {
	w := &idleWheel{buckets: make([]wheelBucket, idleSec+2), idleSec: idleSec, nextSweep: now}
	for i := range w.buckets {
		w.buckets[i].second = -1
	}
	return w
}

func (w *idleWheel) bucket(second int64) *wheelBucket {
	return &w.buckets[second%int64(len(w.buckets))]
}

// add files a new connection under the second it opened in.
func (w *idleWheel) add(second int64, c gnet.Conn, x *connCtx) {
	b := w.bucket(second)
	b.mu.Lock()
	if b.second != second {
		b.second, b.entries = second, b.entries[:0]
	}
	x.wheelSecond, x.wheelIndex = second, len(b.entries)
	b.entries = append(b.entries, wheelEntry{c: c, x: x, gen: x.gen.Load()})
	b.mu.Unlock()
}

// remove forgets a connection that closed, so the wheel does not hold it.
func (w *idleWheel) remove(x *connCtx) {
	b := w.bucket(x.wheelSecond)
	b.mu.Lock()
	if b.second == x.wheelSecond && x.wheelIndex < len(b.entries) && b.entries[x.wheelIndex].x == x {
		b.entries[x.wheelIndex] = wheelEntry{}
	}
	b.mu.Unlock()
}

// sweep closes, for every second that has timed out since the last sweep,
// the connections that opened then and are still reading. It returns how
// many it closed.
func (w *idleWheel) sweep(now int64) int {
	n := 0
	for ; w.nextSweep <= now-w.idleSec-1; w.nextSweep++ {
		n += w.sweepSecond(w.nextSweep)
	}
	return n
}

func (w *idleWheel) sweepSecond(second int64) int {
	b := w.bucket(second)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.second != second {
		return 0
	}
	n := 0
	for i, e := range b.entries {
		if e.x != nil && e.x.gen.Load() == e.gen && e.x.state.Load() == 0 {
			_ = e.c.Close() // gnet ignores a Close of a connection that is gone
			n++
		}
		b.entries[i] = wheelEntry{}
	}
	b.entries = b.entries[:0]
	b.second = -1
	return n
}
