package push

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"

	"seckill/engine"
	"seckill/internal/handoff/export"
	"seckill/wal"
)

// Promoted records (a lapsed seq issued again to the next user, engine.
// ControlPromoted) are orders for the mall like wins, but they live in the
// SKU's control chain, not its win chain. They go in batches of their own,
// after the win backlog is empty, each with the idempotency key
// activity/sku/seq/rN (export.AppendPromotionKey), so the seq's original
// win and each re-issue are distinct orders at the mall.
//
// Their delivery watermark is a second per-SKU mark, stored in the log's
// metadata like the win mark (promotedPrefix + activity 0x00 sku → the
// control seq through which every promoted record was delivered, 8 bytes
// big-endian), written only after the mall answered 2xx. A restart between
// the answer and the write sends the same records again under the same
// keys, which the mall deduplicates; nothing is lost. Unlike a win, a
// promoted record is never parked as failed: it is retried with the same
// backoff until the mall takes it (a Drain gives up with the error after
// MaxAttempts failures in a row, leaving the mark where it was).
const promotedPrefix = "push.promoted/"

func promotedKey(k chainKey) string { return promotedPrefix + k.Activity + "\x00" + k.SKU }

// loadPromoted reads every SKU's promoted-record watermark.
func loadPromoted(log store) (map[chainKey]uint64, error) {
	marks := map[chainKey]uint64{}
	err := log.ScanMeta(promotedPrefix, func(key string, v []byte) error {
		act, sku, ok := strings.Cut(strings.TrimPrefix(key, promotedPrefix), "\x00")
		if len(v) != 8 || !ok || act == "" || sku == "" {
			return fmt.Errorf("%w: %q", ErrState, key)
		}
		marks[chainKey{act, sku}] = binary.BigEndian.Uint64(v)
		return nil
	})
	return marks, err
}

// promotedBatch is the promoted records of one POST and, per SKU, the last
// control seq among them: the watermark once the mall has them.
type promotedBatch struct {
	records []engine.Control
	through map[chainKey]uint64
	gen     uint64
}

// nextPromoted reads up to Batch promoted records past their SKU's
// watermark, in control-chain order. The control chains are short (a
// record per operator action, waitlist place and lapse), so it scans them
// whole rather than keeping a cursor into each.
func (p *Pusher) nextPromoted() (*promotedBatch, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := &promotedBatch{through: map[chainKey]uint64{}, gen: p.gen}
	err := p.log.ScanControls(func(r *wal.ControlRecord) error {
		if r.Err != nil {
			return r.Err
		}
		c := &r.Control
		k := chainKey{c.Activity, c.SKU}
		if !export.IsPromotion(c) || c.Seq <= p.promoted[k] {
			return nil
		}
		if len(b.records) >= p.opts.Batch {
			return errFull
		}
		b.records = append(b.records, *c)
		b.through[k] = c.Seq
		return nil
	})
	if err != nil && err != errFull {
		return nil, err
	}
	return b, nil
}

// pushPromoted sends one batch of promoted records, if any wait, and
// reports whether it found one. A failed POST is answered by the backoff
// here; an error is returned only when the store fails, or when a Drain's
// POSTs failed MaxAttempts times in a row.
func (p *Pusher) pushPromoted(ctx context.Context, drain bool) (bool, error) {
	b, err := p.nextPromoted()
	if err != nil || len(b.records) == 0 {
		return false, err
	}
	body := append(p.body[:0], '[')
	h := sha256.New()
	var key []byte
	for i := range b.records {
		if i > 0 {
			body = append(body, ',')
		}
		body = export.AppendPromotedJSON(body, &b.records[i])
		key = append(export.AppendPromotionKey(key[:0], &b.records[i]), '\n')
		h.Write(key)
	}
	p.body = append(body, ']')
	if err := p.send(ctx, p.body, h.Sum(nil), len(b.records)); err != nil {
		if ctx.Err() != nil {
			return true, nil
		}
		p.promotedFails++
		if drain && p.promotedFails >= uint32(p.opts.MaxAttempts) {
			return true, fmt.Errorf("push: promoted records not delivered after %d attempts: %w", p.promotedFails, err)
		}
		p.logger.Warn("push: promoted records not delivered", "records", len(b.records), "attempt", p.promotedFails, "err", err)
		sleep(ctx, backoff(p.promotedFails, p.opts.Backoff, p.opts.BackoffMax))
		return true, nil
	}
	p.promotedFails = 0
	return true, p.settlePromoted(b)
}

// settlePromoted moves the watermarks past a delivered batch.
func (p *Pusher) settlePromoted(b *promotedBatch) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b.gen != p.gen {
		return nil // a requeue reset the marks meanwhile; the records go again
	}
	ops := make([]wal.MetaOp, 0, len(b.through))
	for k, seq := range b.through {
		ops = append(ops, wal.MetaOp{Key: promotedKey(k), Value: binary.BigEndian.AppendUint64(nil, seq)})
	}
	if err := p.log.ApplyMeta(ops); err != nil {
		return err
	}
	for k, seq := range b.through {
		p.promoted[k] = seq
	}
	return nil
}
