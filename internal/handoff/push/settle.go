package push

import (
	"time"

	"seckill/wal"
)

// settleOK records a delivered batch in one synced store write: the chains'
// marks move past it, or its queued keys go.
func (p *Pusher) settleOK(b *batch) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b.gen != p.gen {
		return nil // a requeue reset the state meanwhile; the records go again
	}
	var ops []wal.MetaOp
	if b.queued != nil {
		for i := range b.wins {
			ops = append(ops, wal.MetaOp{Key: recordKey(queuedPrefix, &b.wins[i]), Delete: true})
		}
		return p.log.ApplyMeta(ops)
	}
	for _, s := range b.spans {
		ops = append(ops, wal.MetaOp{Key: markKey(s.key), Value: mark{Settled: s.last}.encode()})
	}
	if err := p.log.ApplyMeta(ops); err != nil {
		return err
	}
	for _, s := range b.spans {
		p.marks[s.key] = mark{Settled: s.last}
	}
	return nil
}

// settleFail records a failed POST in one synced store write: every record
// of the batch has one more attempt; those that reached MaxAttempts are
// parked under failed keys (and their chain's mark moves past them, so the
// records behind them flow again). It returns the batch's highest attempt
// count, which sets the backoff.
func (p *Pusher) settleFail(b *batch, cause error) (uint32, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b.gen != p.gen {
		return 1, nil
	}
	now := time.Now().UnixMilli()
	reason := cause.Error()
	limit := uint32(p.opts.MaxAttempts)
	var ops []wal.MetaOp
	var worst uint32
	var gaveUp uint64
	if b.queued != nil {
		for i := range b.wins {
			a := b.queued[i] + 1
			worst = maxU32(worst, a)
			key := recordKey(queuedPrefix, &b.wins[i])
			if a < limit {
				ops = append(ops, wal.MetaOp{Key: key, Value: queuedValue(a)})
				continue
			}
			ops = append(ops, wal.MetaOp{Key: key, Delete: true},
				wal.MetaOp{Key: recordKey(failedPrefix, &b.wins[i]), Value: failedValue(a, now, reason)})
			gaveUp++
		}
		if err := p.log.ApplyMeta(ops); err != nil {
			return worst, err
		}
		p.counters.GaveUp.Add(gaveUp)
		p.counters.LastError.Store(&reason)
		return worst, nil
	}
	next := make([]mark, len(b.spans))
	i := 0
	for si, s := range b.spans {
		m := s.mark
		m.Attempts++
		m.TryThrough = s.last
		worst = maxU32(worst, m.Attempts)
		for ; i < len(b.wins) && b.wins[i].Activity == s.key.Activity && b.wins[i].SKU == s.key.SKU; i++ {
			if m.Attempts >= limit {
				ops = append(ops, wal.MetaOp{Key: recordKey(failedPrefix, &b.wins[i]), Value: failedValue(m.Attempts, now, reason)})
				gaveUp++
			}
		}
		if m.Attempts >= limit {
			m = mark{Settled: s.last}
		}
		next[si] = m
		ops = append(ops, wal.MetaOp{Key: markKey(s.key), Value: m.encode()})
	}
	if err := p.log.ApplyMeta(ops); err != nil {
		return worst, err
	}
	for si, s := range b.spans {
		p.marks[s.key] = next[si]
	}
	p.counters.GaveUp.Add(gaveUp)
	p.counters.LastError.Store(&reason)
	return worst, nil
}

func maxU32(a, b uint32) uint32 {
	if a > b {
		return a
	}
	return b
}
