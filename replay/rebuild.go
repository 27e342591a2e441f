package replay

import (
	"encoding/hex"
	"fmt"

	"seckill/engine"
	"seckill/internal/store/auditlog"
	"seckill/wal"
)

// Store is what Rebuild reads; *wal.Log is one.
type Store interface {
	ScanWins(fn func(w *engine.Win) error) error
	ScanControls(fn func(r *wal.ControlRecord) error) error
	auditlog.Store
}

// Orphan counts stored wins of an (activity, SKU) that no shard claims: an
// activity removed from the configuration after it sold.
type Orphan struct {
	Activity, SKU string
	Wins          int
}

// Summary is what Rebuild applied.
type Summary struct {
	Wins     int
	Controls int
	Orphans  []Orphan
}

// Rebuild gives every shard back the state the live sale had: it applies
// each stored win and control record to the shard shardOf names, in the
// order the shard decided them — a control record right after the win it
// names (Control.AfterWins), before the next one. Reservation lists and
// blocklists named by control records are loaded by digest (package
// auditlog) before the wins are read, never during a scan of the store. A record that does not fit
// its shard (a broken chain, a ticket that does not verify, a uid twice,
// more wins than the quota, a control out of place or without its list)
// stops the rebuild with the engine's error: a store that does not make
// sense is never served from. Records whose shard is nil are skipped; their
// wins are counted as orphans.
func Rebuild(log Store, shardOf func(activity, sku string) *engine.Shard) (Summary, error) {
	var sum Summary
	controls, err := loadControls(log)
	if err != nil {
		return sum, fmt.Errorf("replay: rebuild: %w", err)
	}
	var cur *engine.Shard
	var curControls *pendingControls
	curAct, curSKU := "", ""
	err = log.ScanWins(func(w *engine.Win) error {
		if w.Activity != curAct || w.SKU != curSKU { // names are never empty, so the first win starts a shard
			if err := curControls.applyRest(cur, &sum); err != nil {
				return err
			}
			curAct, curSKU = w.Activity, w.SKU
			cur = shardOf(w.Activity, w.SKU)
			curControls = controls[skuKey{w.Activity, w.SKU}]
			if cur == nil {
				sum.Orphans = append(sum.Orphans, Orphan{Activity: w.Activity, SKU: w.SKU})
			}
		}
		if cur == nil {
			sum.Orphans[len(sum.Orphans)-1].Wins++
			return nil
		}
		if err := curControls.applyBefore(cur, w.Seq, &sum); err != nil {
			return err
		}
		if err := cur.Apply(w); err != nil {
			return err
		}
		sum.Wins++
		return nil
	})
	if err == nil {
		err = curControls.applyRest(cur, &sum)
	}
	if err == nil {
		// SKUs whose control records follow no win at all.
		err = applyUntouched(controls, shardOf, &sum)
	}
	if err != nil {
		return sum, fmt.Errorf("replay: rebuild: %w", err)
	}
	return sum, nil
}

// pendingControls is one SKU's control records, in seq order, and how many
// of them have been applied.
type pendingControls struct {
	list []engine.Control
	next int
}

// applyBefore applies the SKU's control records that come before win seq.
func (p *pendingControls) applyBefore(s *engine.Shard, seq uint64, sum *Summary) error {
	for p != nil && p.next < len(p.list) && p.list[p.next].AfterWins < seq {
		if err := s.ApplyControl(&p.list[p.next]); err != nil {
			return err
		}
		p.next++
		sum.Controls++
	}
	return nil
}

// applyRest applies the SKU's control records not applied yet (those after
// its last win).
func (p *pendingControls) applyRest(s *engine.Shard, sum *Summary) error {
	if p == nil || s == nil {
		return nil
	}
	return p.applyBefore(s, ^uint64(0), sum)
}

func applyUntouched(controls map[skuKey]*pendingControls, shardOf func(activity, sku string) *engine.Shard, sum *Summary) error {
	for k, p := range controls {
		if p.next > 0 {
			continue
		}
		if s := shardOf(k.activity, k.sku); s != nil && s.Sold() == 0 {
			if err := p.applyRest(s, sum); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadControls reads every control record, by SKU, and loads the
// reservation lists and blocklists they name, each once. A record that does not decode is
// an error: recovery never guesses.
func loadControls(log Store) (map[skuKey]*pendingControls, error) {
	out := map[skuKey]*pendingControls{}
	err := log.ScanControls(func(r *wal.ControlRecord) error {
		if r.Err != nil {
			return r.Err
		}
		k := skuKey{r.Activity, r.SKU}
		p := out[k]
		if p == nil {
			p = &pendingControls{}
			out[k] = p
		}
		p.list = append(p.list, r.Control)
		return nil
	})
	if err != nil {
		return nil, err
	}
	lists := map[[32]byte]engine.Reservations{}
	blocklists := map[[32]byte]*engine.Blocklist{}
	for _, p := range out {
		for i := range p.list {
			c := &p.list[i]
			if c.Kind == engine.ControlBlocklist {
				b, ok := blocklists[c.Digest]
				if !ok {
					var err error
					if b, err = auditlog.LoadBlocklist(log, hex.EncodeToString(c.Digest[:])); err != nil {
						return nil, fmt.Errorf("%s/%s control %d: %w", c.Activity, c.SKU, c.Seq, err)
					}
					blocklists[c.Digest] = b
				}
				c.Blocklist = b
				continue
			}
			if c.Kind != engine.ControlReservations {
				continue
			}
			set, ok := lists[c.Digest]
			if !ok {
				s, err := auditlog.LoadReservations(log, hex.EncodeToString(c.Digest[:]))
				if err != nil {
					return nil, fmt.Errorf("%s/%s control %d: %w", c.Activity, c.SKU, c.Seq, err)
				}
				set = s
				lists[c.Digest] = set
			}
			c.Set = set
		}
	}
	return out, nil
}
