package engine

import "sync"

// Claims enforces limit = "activity": one win per user across every SKU of an
// activity, although each SKU is a different shard on a different goroutine.
// A shard claims the uid before it decides Won; the first claim wins and every
// other shard sees the holder, so two SKUs of one activity can never both be
// won by one user, even when the attempts arrive at the same instant.
//
// It is the only state shards share. It is safe for concurrent use, and its
// answers depend only on the order of claims, so a single-goroutine caller
// (recovery, replay, the simulation test) gets deterministic results.
type Claims struct {
	stripes [claimStripes]claimStripe
}

// claimStripes spreads uids over independent locks so that shards of one
// activity rarely wait on each other.
const claimStripes = 64

type claimStripe struct {
	mu     sync.Mutex
	holder map[uint64]int32
	_      [40]byte // keep stripes on separate cache lines
}

// NewClaims returns an empty claim table.
func NewClaims() *Claims {
	c := &Claims{}
	for i := range c.stripes {
		c.stripes[i].holder = make(map[uint64]int32)
	}
	return c
}

func (c *Claims) stripe(uid uint64) *claimStripe {
	return &c.stripes[(uid*0x9E3779B97F4A7C15)>>58]
}

// Claim records shard as the holder of uid unless another shard holds it. It
// returns the holder and whether this call made the claim.
func (c *Claims) Claim(uid uint64, shard int32) (holder int32, ok bool) {
	st := c.stripe(uid)
	st.mu.Lock()
	defer st.mu.Unlock()
	if h, held := st.holder[uid]; held {
		return h, false
	}
	st.holder[uid] = shard
	return shard, true
}

// Release gives back a claim held by shard, when the win that made it could
// not be persisted.
func (c *Claims) Release(uid uint64, shard int32) {
	st := c.stripe(uid)
	st.mu.Lock()
	defer st.mu.Unlock()
	if h, held := st.holder[uid]; held && h == shard {
		delete(st.holder, uid)
	}
}

// Holder returns the shard holding uid, if any.
func (c *Claims) Holder(uid uint64) (int32, bool) {
	st := c.stripe(uid)
	st.mu.Lock()
	defer st.mu.Unlock()
	h, ok := st.holder[uid]
	return h, ok
}
