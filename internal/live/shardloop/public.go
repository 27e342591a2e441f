package shardloop

import "sync/atomic"

// Public is the shard's state as the front end may read it from any
// goroutine: written only by the shard's loop, read with atomics.
type Public struct {
	flags     atomic.Uint32
	remaining atomic.Int64
}

const (
	flagSoldOut uint32 = 1 << iota
	flagFailed
)

// SoldOut reports whether every unit has a durable winner. Once it is true,
// the shard's winner table never changes again.
func (p *Public) SoldOut() bool { return p.flags.Load()&flagSoldOut != 0 }

// Failed reports whether the store failed under this shard (fail closed).
func (p *Public) Failed() bool { return p.flags.Load()&flagFailed != 0 }

// Remaining is the quota minus the durable wins.
func (p *Public) Remaining() int64 { return p.remaining.Load() }

func (p *Public) set(flag uint32) {
	for {
		old := p.flags.Load()
		if p.flags.CompareAndSwap(old, old|flag) {
			return
		}
	}
}
