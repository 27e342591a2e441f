package engine

import (
	"encoding/binary"
	"fmt"
)

// stockDataBytes is the length of a ControlSetStock's Data: the quota.
const stockDataBytes = 8

// SetStock returns the arguments of a ControlSetStock: stock units, of which
// quota qualifications may be issued (stock × quota_percent / 100, with the
// percentage in force). The caller fills Source and hands it to Control.
//
// Raising the stock mid-sale lets exactly the new quota win: the shard sells
// on to quota in sequence with the attempts around the record, the users
// who wait on the waitlist first, in order, with the record itself
// (stock_waitlist.go). Lowering it is allowed down to the qualifications
// already issued, never below.
func SetStock(stock, quota uint64) Control {
	return Control{Kind: ControlSetStock, Num: stock, Data: binary.BigEndian.AppendUint64(nil, quota)}
}

// StockQuota is the quota a ControlSetStock record gives (its Data); 0 for
// any other record or a Data of the wrong length (Valid refuses those).
func (c *Control) StockQuota() uint64 {
	if c.Kind != ControlSetStock || len(c.Data) != stockDataBytes {
		return 0
	}
	return binary.BigEndian.Uint64(c.Data)
}

// Quota is the number of qualifications the shard may issue now: the
// spec's, until a ControlSetStock record changes it.
func (s *Shard) Quota() uint64 { return s.quota }

// Stock is the stock the last ControlSetStock record set, and whether one
// did: before any, the stock is the configuration's, which the shard does
// not know (only its quota, Spec.Quota).
func (s *Shard) Stock() (stock uint64, set bool) { return s.stock, s.stockSet }

// refuseStock reports why a set-stock cannot be made on this shard, or "".
func (s *Shard) refuseStock(c *Control) string {
	if q := c.StockQuota(); q < s.Sold() {
		return fmt.Sprintf("quota %d (stock %d) is below the %d qualifications already issued", q, c.Num, s.Sold())
	}
	return ""
}

func (s *Shard) stockUnchanged(c *Control) bool {
	return s.stockSet && s.stock == c.Num && s.quota == c.StockQuota()
}

func (s *Shard) applyStock(c *Control) {
	s.stock, s.stockSet, s.quota = c.Num, true, c.StockQuota()
}
