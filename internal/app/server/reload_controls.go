package server

import (
	"fmt"
)

// stockChange is an item stock a reload sets: the same control change as
// POST /admin/stock, recorded with source config.
type stockChange struct {
	field        string // activity[N].item[M].stock, for the log
	activity     string
	sku          string
	stock        uint64
	quotaPercent int
}

// refuseStock says why a reload cannot set sc's stock, or "": its quota
// would be below the qualifications the SKU's shard has issued. Checked
// before anything is applied, so a reload is refused whole; the shard
// decides again when the change reaches it (a sale may have issued more
// in between), and a refusal then fails the reload like a store error.
func (s *Server) refuseStock(sc stockChange) string {
	loops := s.loopsOf(sc.activity, sc.sku)
	if len(loops) == 0 {
		return fmt.Sprintf("no running sku %q in activity %q", sc.sku, sc.activity)
	}
	pub := loops[0].Public()
	issued := pub.Quota() - pub.Remaining()
	if quota := int64(sc.stock) * int64(sc.quotaPercent) / 100; quota < issued {
		return fmt.Sprintf("quota %d (stock %d at quota_percent %d) is below the %d qualifications already issued", quota, sc.stock, sc.quotaPercent, issued)
	}
	return ""
}
