package export

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"seckill/engine"
	"seckill/wal"
)

// StatePromoted is the state of a promoted record: a seq whose holder let
// the qualification lapse, issued again to the next user (engine.
// ControlPromoted). A plain win's record carries no state.
const StatePromoted = "promoted"

// IsPromotion reports whether a control record is one the mall must book:
// a promoted record. The lapsed and paid records are not handed over: the
// mall itself reported them (POST /admin/qualification), so it holds them
// already; a waitlist place is no order.
func IsPromotion(c *engine.Control) bool { return c.Kind == engine.ControlPromoted }

// AppendPromotionKey appends the idempotency key of a promoted record:
// activity "/" sku "/" seq "/r" round, so the seq's original win (key
// activity/sku/seq) and each of its re-issues are distinct orders.
func AppendPromotionKey(dst []byte, c *engine.Control) []byte {
	_, _, round := c.Promotion()
	dst = append(dst, c.Activity...)
	dst = append(dst, '/')
	dst = append(dst, c.SKU...)
	dst = append(dst, '/')
	dst = strconv.AppendUint(dst, c.Num, 10)
	dst = append(dst, '/', 'r')
	return strconv.AppendUint(dst, round, 10)
}

// AppendPromotedJSON appends a promoted record as one JSON object (no
// newline): the fields of a win's record that it has (seq is the re-issued
// seq, uid its new holder, ticket the new ticket), then state, promoted_from
// (the uid whose qualification lapsed) and round. Its hash and prev are
// those of the control record in the SKU's control chain.
func AppendPromotedJSON(dst []byte, c *engine.Control) []byte {
	ticket, from, round := c.Promotion()
	dst = append(dst, `{"activity":`...)
	dst = appendJSONString(dst, c.Activity)
	dst = append(dst, `,"sku":`...)
	dst = appendJSONString(dst, c.SKU)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, c.Num, 10)
	dst = append(dst, `,"uid":`...)
	dst = strconv.AppendUint(dst, c.UID, 10)
	dst = append(dst, `,"ticket":"`...)
	dst = hex.AppendEncode(dst, ticket[:])
	dst = append(dst, `","time":"`...)
	dst = appendTime(dst, c.TimeUnixNano)
	dst = append(dst, `","time_unix_nano":`...)
	dst = strconv.AppendInt(dst, c.TimeUnixNano, 10)
	dst = append(dst, `,"client":"","prev":"`...)
	dst = hex.AppendEncode(dst, c.Prev[:])
	dst = append(dst, `","hash":"`...)
	dst = hex.AppendEncode(dst, c.Hash[:])
	dst = append(dst, `","idempotency_key":`...)
	dst = appendJSONString(dst, string(AppendPromotionKey(nil, c)))
	dst = append(dst, `,"state":"`+StatePromoted+`","promoted_from":`...)
	dst = strconv.AppendUint(dst, from, 10)
	dst = append(dst, `,"round":`...)
	dst = strconv.AppendUint(dst, round, 10)
	return append(dst, '}')
}

// AppendPromotedCSV appends a promoted record as one CSV line (with its
// newline): the columns of AppendPromotedJSON's fields, in CSVHeader's
// order; client is empty.
func AppendPromotedCSV(dst []byte, c *engine.Control) []byte {
	ticket, from, round := c.Promotion()
	dst = appendCSVField(dst, c.Activity)
	dst = append(dst, ',')
	dst = appendCSVField(dst, c.SKU)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, c.Num, 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, c.UID, 10)
	dst = append(dst, ',')
	dst = hex.AppendEncode(dst, ticket[:])
	dst = append(dst, ',')
	dst = appendTime(dst, c.TimeUnixNano)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, c.TimeUnixNano, 10)
	dst = append(dst, ",,"...) // no client
	dst = hex.AppendEncode(dst, c.Prev[:])
	dst = append(dst, ',')
	dst = hex.AppendEncode(dst, c.Hash[:])
	dst = append(dst, ',')
	dst = appendCSVField(dst, string(AppendPromotionKey(nil, c)))
	dst = append(dst, ","+StatePromoted+","...)
	dst = strconv.AppendUint(dst, from, 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, round, 10)
	return append(dst, '\n')
}

// scanPromoted appends to buf (in the run's format) every promoted record past the
// promoted cursor, in control-chain order per SKU, after the run's wins,
// and notes in m how many and which control seqs it looked at. The control
// chains are short, so it reads them whole.
func (e *Exporter) scanPromoted(m *Manifest, after Cursor, buf []byte, format string) ([]byte, error) {
	appendPromoted := func(dst []byte, c *engine.Control) []byte { return append(AppendPromotedJSON(dst, c), '\n') }
	if format == FormatCSV {
		appendPromoted = AppendPromotedCSV
	}
	through := map[chainKey]uint64{}
	var order []chainKey
	for _, log := range e.stores() {
		err := log.ScanControls(func(r *wal.ControlRecord) error {
			if r.Err != nil {
				return r.Err
			}
			c := &r.Control
			k := chainKey{c.Activity, c.SKU}
			if _, ok := through[k]; !ok {
				order = append(order, k)
			}
			through[k] = c.Seq
			if IsPromotion(c) && c.Seq > after[k] {
				buf = appendPromoted(buf, c)
				m.Promoted++
			}
			return nil
		})
		if err != nil {
			return buf, fmt.Errorf("export: promoted records: %w", err)
		}
	}
	for _, k := range order {
		if after[k] > through[k] {
			return buf, fmt.Errorf("%w: promoted cursor at %s/%s control %d, the chain ends at %d", ErrCursor, k.Activity, k.SKU, after[k], through[k])
		}
		m.PromotedRanges = append(m.PromotedRanges, Range{Activity: k.Activity, SKU: k.SKU, After: after[k], Through: through[k]})
	}
	return buf, nil
}
