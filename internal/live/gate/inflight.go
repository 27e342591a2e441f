package gate

import "sync"

// inflight enforces at most one attempt in flight per uid: a second attempt
// from the same uid while the first waits in a shard's inbox gets busy, so a
// user cannot fill a queue alone. Striped maps keep the locks short and
// uncontended; a map that has grown to the in-flight peak does not allocate
// again.
type inflight struct {
	stripes [inflightStripes]inflightStripe
}

const inflightStripes = 256

type inflightStripe struct {
	mu   sync.Mutex
	uids map[uint64]struct{}
}

func newInflight() *inflight {
	f := &inflight{}
	for i := range f.stripes {
		f.stripes[i].uids = make(map[uint64]struct{}, 64)
	}
	return f
}

func (f *inflight) stripe(uid uint64) *inflightStripe {
	return &f.stripes[(uid*0x9E3779B97F4A7C15)>>56]
}

// acquire marks uid in flight, or reports false if it already is.
func (f *inflight) acquire(uid uint64) bool {
	s := f.stripe(uid)
	s.mu.Lock()
	_, busy := s.uids[uid]
	if !busy {
		s.uids[uid] = struct{}{}
	}
	s.mu.Unlock()
	return !busy
}

func (f *inflight) release(uid uint64) {
	s := f.stripe(uid)
	s.mu.Lock()
	delete(s.uids, uid)
	s.mu.Unlock()
}
