package replay

import (
	"encoding/hex"
	"fmt"
	"slices"

	"seckill/engine"
	"seckill/internal/live/uidset"
	"seckill/internal/store/auditlog"
	"seckill/wal"
)

// listEntry is a reservation list a control record names, or why it cannot
// be had.
type listEntry struct {
	set *uidset.Set
	err error
}

// loadControls reads every control record and control head marker, then
// loads each reservation list and blocklist the records name, once. It runs before any
// chain is read, so no read of the store ever happens inside a scan.
func (a *auditor) loadControls() error {
	err := a.log.ScanControls(func(r *wal.ControlRecord) error {
		if !r.KeyOK {
			a.checks[CheckChain].add(Offense{Reason: fmt.Sprintf("control record: %v", r.Err)})
			return nil
		}
		k := skuKey{r.Activity, r.SKU}
		a.controls[k] = append(a.controls[k], *r)
		a.act(r.Activity)
		return nil
	})
	if err != nil {
		return err
	}
	err = a.log.ScanControlHeads(func(h *wal.Head) error {
		a.controlHeads[skuKey{h.Activity, h.SKU}] = &headState{Head: *h}
		a.act(h.Activity)
		return nil
	}, func(key string, err error) error {
		a.checks[CheckDigest].add(Offense{Reason: fmt.Sprintf("control head marker %q: %v", key, err)})
		return nil
	})
	if err != nil {
		return err
	}
	for _, rs := range a.controls {
		for i := range rs {
			c := &rs[i].Control
			switch {
			case rs[i].Err != nil:
			case c.Kind == engine.ControlReservations:
				a.loadList(c.Digest)
			case c.Kind == engine.ControlBlocklist:
				a.loadBlocklist(c.Digest)
			}
		}
	}
	// A store written before control records names its lists in its
	// config records.
	for _, act := range a.acts {
		for i := range act.history {
			if d, ok := legacyDigest(&act.history[i]); ok {
				a.loadList(d)
			}
		}
	}
	return nil
}

// loadList loads the reservation list of digest d once.
func (a *auditor) loadList(d [32]byte) {
	if a.lists[d] != nil {
		return
	}
	e := &listEntry{}
	e.set, e.err = auditlog.LoadReservations(a.log, hex.EncodeToString(d[:]))
	a.lists[d] = e
}

// legacyDigest is the reservation list a config record of a store written
// before control records names.
func legacyDigest(cfg *auditlog.Config) ([32]byte, bool) {
	var d [32]byte
	b, err := hex.DecodeString(cfg.ReservationsDigest)
	if err != nil || len(b) != len(d) {
		return d, false
	}
	copy(d[:], b)
	return d, true
}

// legacyList is the list a config record of a store written before control
// records names (loaded by loadControls), or nil.
func (a *auditor) legacyList(cfg *auditlog.Config) *listEntry {
	if d, ok := legacyDigest(cfg); ok {
		return a.lists[d]
	}
	return nil
}

// controlOnlyChains makes a chain audit for every SKU that has control
// records but no winner record, so its controls are checked too. They come
// after the record ranges, in key order.
func (a *auditor) controlOnlyChains(have map[skuKey]bool) []*chainAudit {
	var keys []skuKey
	for k := range a.controls {
		if !have[k] {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y skuKey) int {
		if x.activity != y.activity {
			return cmpString(x.activity, y.activity)
		}
		return cmpString(x.sku, y.sku)
	})
	out := make([]*chainAudit, 0, len(keys))
	for _, k := range keys {
		c := a.newChain(wal.RecordRange{Activity: k.activity, SKU: k.sku})
		c.controlsOnly = true
		out = append(out, c)
	}
	return out
}

func cmpString(x, y string) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// controlsBefore applies the chain's control records that the live shard
// decided before win pos (every one, for pos = ^0).
func (c *chainAudit) controlsBefore(pos uint64) {
	s := c.sku
	for s.ctlNext < len(s.ctl) {
		r := &s.ctl[s.ctlNext]
		if r.Err == nil && r.Control.AfterWins >= pos {
			return
		}
		s.ctlNext++
		c.control(r)
	}
}

// control audits one control record at its place in the chain: it must
// continue the control strand where the win strand is, be of a known kind,
// and name a list the store holds. It is listed in the report's changes
// and then put in force
// whatever its faults, so the wins after it are judged as the live shard
// judged them.
func (c *chainAudit) control(r *wal.ControlRecord) {
	s := c.sku
	c.controlRecords++
	s.row.Controls++
	o := Offense{Activity: s.act.id, SKU: s.sku}
	if r.Err != nil {
		c.offend(CheckChain, withReason(o, fmt.Sprintf("control %d does not decode: %v", r.Seq, r.Err)))
		s.lastCtlSeq = r.Seq
		return
	}
	ctl := r.Control
	o.TimeUnixNano = ctl.TimeUnixNano
	what := fmt.Sprintf("control %d (%s, after win %d)", ctl.Seq, ctl.Kind, ctl.AfterWins)
	head := s.shard.ChainHead()
	if err := head.ContinueControl(&ctl); err != nil {
		c.offend(CheckChain, withReason(o, fmt.Sprintf("%s: %v", what, err)))
	}
	if !ctl.Valid() {
		c.offend(CheckChain, withReason(o, fmt.Sprintf("%s: kind %d with arguments it does not take (a newer engine, or an edit)", what, ctl.Kind)))
	}
	switch ctl.Kind {
	case engine.ControlReservations:
		s.resvList, s.resvCtl = c.a.lists[ctl.Digest], ctl.Seq
		if s.resvList.err == nil {
			ctl.Set = s.resvList.set
		}
	case engine.ControlPause:
		s.pausedBy = ctl.Seq
	default:
		c.controlKind(&ctl)
	}
	if err := s.shard.CheckLiveSetting(&ctl); err != nil {
		c.offend(CheckChain, withReason(o, fmt.Sprintf("%s: %v", what, err)))
	}
	if err := s.shard.CheckEconomics(&ctl); err != nil {
		c.offend(CheckEconomics, withReason(o, fmt.Sprintf("%s: %v", what, err)))
	}
	c.lotteryControl(&ctl, o)
	c.changes = append(c.changes, changeOf(&ctl))
	s.shard.AdoptControl(&ctl)
	s.lastCtlSeq, s.lastCtlHash = ctl.Seq, ctl.Hash
}

// finishControls applies the control records after the chain's last win and
// checks where the control strand ends against its head marker.
func (c *chainAudit) finishControls() {
	c.controlsBefore(^uint64(0))
	s := c.sku
	o := Offense{Activity: s.act.id, SKU: s.sku}
	ch := s.ctlHead
	switch {
	case ch == nil && len(s.ctl) > 0:
		c.offend(CheckDigest, withReason(o, "no control head marker: the engine writes one with every control record, so it was removed"))
	case ch == nil:
	case ch.Seq > s.lastCtlSeq:
		c.trunc = append(c.trunc, Truncation{Activity: s.act.id, SKU: s.sku, LastSeq: s.lastCtlSeq, HeadSeq: ch.Seq, Controls: true})
	case ch.Seq < s.lastCtlSeq:
		c.offend(CheckDigest, withReason(o, fmt.Sprintf("control records beyond the control head marker (control %d): not written by the engine", ch.Seq)))
	case ch.Hash != s.lastCtlHash:
		c.offend(CheckDigest, withReason(o, "the last control record's hash is not the one its head marker names: rewritten after it was written"))
	}
}
