package netpoll

import (
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// idleWheel closes connections that have not sent a complete request head
// within the idle timeout (slowloris). Connections are filed by the tick
// they opened in, a tick being a 32nd of the timeout; once a tick is older
// than the timeout, its bucket is swept and every connection in it that is
// still reading is closed. A connection is so closed between idleTimeout
// and idleTimeout plus two ticks (6.25 %) after it opened, plus the
// ticker's own lateness, within the 10 % the front end promises. An entry
// costs 32 bytes and is cleared when its connection closes, so the wheel
// never keeps a closed connection alive.
type idleWheel struct {
	buckets   []wheelBucket
	tick      time.Duration
	idleTicks int64
	nextSweep int64        // the oldest tick not yet swept; only the sweeper touches it
	victims   []wheelEntry // a swept bucket's entries, closed outside its lock
}

// wheelTicksPerIdle is how many ticks make one idle timeout: 32 keeps the
// lateness at 2/32 of the timeout, and the wheel at 34 small buckets.
const wheelTicksPerIdle = 32

// minWheelTick bounds how often the ticker runs for a tiny idle timeout.
const minWheelTick = time.Millisecond

type wheelBucket struct {
	mu      sync.Mutex
	tick    int64
	entries []wheelEntry
}

type wheelEntry struct {
	c   gnet.Conn
	x   *connCtx
	gen uint64
}

func newIdleWheel(idle time.Duration, now time.Time) *idleWheel {
	tick := max(idle/wheelTicksPerIdle, minWheelTick)
	idleTicks := int64((idle + tick - 1) / tick)
	w := &idleWheel{buckets: make([]wheelBucket, idleTicks+2), tick: tick, idleTicks: idleTicks}
	w.nextSweep = w.tickOf(now)
	for i := range w.buckets {
		w.buckets[i].tick = -1
	}
	return w
}

func (w *idleWheel) tickOf(t time.Time) int64 { return t.UnixNano() / int64(w.tick) }

func (w *idleWheel) bucket(tick int64) *wheelBucket {
	return &w.buckets[tick%int64(len(w.buckets))]
}

// add files a new connection under the tick it opened in.
func (w *idleWheel) add(now time.Time, c gnet.Conn, x *connCtx) {
	tick := w.tickOf(now)
	b := w.bucket(tick)
	b.mu.Lock()
	if b.tick != tick {
		b.tick, b.entries = tick, b.entries[:0]
	}
	x.wheelTick, x.wheelIndex = tick, len(b.entries)
	b.entries = append(b.entries, wheelEntry{c: c, x: x, gen: x.gen.Load()})
	b.mu.Unlock()
}

// remove forgets a connection that closed, so the wheel does not hold it.
func (w *idleWheel) remove(x *connCtx) {
	b := w.bucket(x.wheelTick)
	b.mu.Lock()
	if b.tick == x.wheelTick && x.wheelIndex < len(b.entries) && b.entries[x.wheelIndex].x == x {
		b.entries[x.wheelIndex] = wheelEntry{}
	}
	b.mu.Unlock()
}

// sweep closes, for every tick that has timed out since the last sweep,
// the connections that opened then and are still reading, and returns how
// many it closed. A tick has timed out once its end is idleTimeout ago, so
// no connection is closed early. Only one goroutine (the ticker) sweeps.
func (w *idleWheel) sweep(now time.Time) int {
	n := 0
	for last := w.tickOf(now) - w.idleTicks - 1; w.nextSweep <= last; w.nextSweep++ {
		n += w.sweepTick(w.nextSweep)
	}
	return n
}

// sweepTick takes the bucket's entries out under its lock and closes them
// after releasing it, so that event loops opening or closing connections
// filed in the bucket never wait for the closes.
func (w *idleWheel) sweepTick(tick int64) int {
	b := w.bucket(tick)
	b.mu.Lock()
	if b.tick != tick {
		b.mu.Unlock()
		return 0
	}
	w.victims, b.entries = b.entries, w.victims[:0]
	b.tick = -1
	b.mu.Unlock()
	n := 0
	for i, e := range w.victims {
		if e.x != nil && e.x.gen.Load() == e.gen && e.x.state.Load() == 0 {
			_ = e.c.Close() // gnet ignores a Close of a connection that is gone
			n++
		}
		w.victims[i] = wheelEntry{}
	}
	w.victims = w.victims[:0]
	return n
}

// untilNextSweep is how long the ticker may sleep before the next tick
// times out.
func (w *idleWheel) untilNextSweep(now time.Time) time.Duration {
	due := time.Unix(0, (w.nextSweep+w.idleTicks+1)*int64(w.tick))
	return max(due.Sub(now), minWheelTick)
}
