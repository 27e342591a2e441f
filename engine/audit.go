package engine

import "strings"

// Fault is the set of ways a stored win fails to fit its shard. Apply stops
// at the first one because recovery refuses a bad store anyway; an audit
// must name them all and go on, so it asks Check for the whole set.
type Fault uint16

const (
	FaultShard         Fault = 1 << iota // the win names another (activity, SKU)
	FaultSeq                             // its seq is not the shard's next one
	FaultPrev                            // Prev is not the Hash of the shard's last win
	FaultHash                            // Hash is not the SHA-256 of the record
	FaultTicket                          // the ticket does not verify
	FaultQuota                           // its seq is beyond the quota
	FaultDuplicate                       // its uid already won in this shard
	FaultClaim                           // limit = "activity": another shard holds the uid
	FaultWaitlistOrder                   // it skips a waiting user (stock_waitlist.go)
)

var faultNames = []string{"shard", "seq", "prev", "hash", "ticket", "quota", "duplicate", "claim", "waitlist_order"}

func (f Fault) String() string {
	var names []string
	for i, n := range faultNames {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, "|")
}

// Check reports every fault Apply would find in w, not just the first, and
// changes nothing: claims are looked up, not made. A zero Fault means Apply
// would accept w.
func (s *Shard) Check(w *Win) Fault {
	var f Fault
	if w.Activity != s.spec.Activity || w.SKU != s.spec.SKU {
		f |= FaultShard
	}
	if w.Seq != s.Sold()+1 {
		f |= FaultSeq
	}
	if w.Prev != s.lastHash() {
		f |= FaultPrev
	}
	if w.Hash != ComputeHash(w) {
		f |= FaultHash
	}
	if !s.signer.Verify(w) {
		f |= FaultTicket
	}
	if w.Seq > s.quota {
		f |= FaultQuota
	}
	if _, dup := s.byUID[w.UID]; dup {
		f |= FaultDuplicate
	}
	if s.spec.LimitActivity {
		if holder, held := s.claims.Holder(w.UID); held && holder != s.spec.Index {
			f |= FaultClaim
		}
	}
	if s.checkWaiterWin(w) != nil {
		f |= FaultWaitlistOrder
	}
	return f
}

// Adopt takes w into the shard as its win w.Seq whatever its faults, so an
// audit that reported w can go on checking the records after it: the next
// win must continue w's stored Hash (the chain is re-anchored at w) and have
// seq w.Seq+1. Seqs skipped between the shard's last win and w (missing
// records) are held as empty entries that no uid maps to. A uid that already
// won keeps its first seq; no claim is made. It reports false, and changes
// nothing, when w.Seq is not above Sold() or is beyond the quota: a shard
// never holds more entries than its quota.
//
// Adopt is for audit shards only. A shard that adopted a faulty win no
// longer describes a sale that happened and must never Step.
func (s *Shard) Adopt(w *Win) bool {
	if w.Seq <= s.Sold() || w.Seq > s.quota {
		return false
	}
	s.unshare()
	for s.Sold()+1 < w.Seq {
		s.wins = append(s.wins, winEntry{})
	}
	s.wins = append(s.wins, winEntry{uid: w.UID, timeUnixNano: w.TimeUnixNano, client: addr16(w.Client), ticket: w.Ticket, hash: w.Hash})
	if _, dup := s.byUID[w.UID]; !dup {
		s.byUID[w.UID] = w.Seq
	}
	s.durable = w.Seq
	return true
}

// Reserve makes room for n winners in all, so that a caller who knows how
// many wins it is about to Apply — the audit, from a chain's head marker —
// does not grow the winner table and the uid index by doubling. It changes
// nothing else; n at or below what the shard already holds is a no-op.
func (s *Shard) Reserve(n int) {
	if n <= cap(s.wins) || s.shared {
		return
	}
	wins := make([]winEntry, len(s.wins), n)
	copy(wins, s.wins)
	s.wins = wins
	byUID := make(map[uint64]uint64, n)
	for uid, seq := range s.byUID {
		byUID[uid] = seq
	}
	s.byUID = byUID
}
