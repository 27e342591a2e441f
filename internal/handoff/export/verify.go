package export

import (
	"fmt"

	"seckill/engine"
)

// Verifier recomputes hash chains from exported records, so that anyone
// holding the files — from the first incremental export on, or one -all
// export — can check them against the digests an operator published. Feed
// it every record in file order (within a chain, files list seqs in order).
// A SKU's control records are not exported, except its promoted records
// (state "promoted"), which AddRecord skips: a control record's hash covers
// fields the file does not carry (source, after_wins, win_head), so the
// control chain cannot be recomputed from the file; where a SKU has control
// records, the digest covers their head instead, which the manifest lists
// (ControlHead), and the auditor (seckill replay) checks each promotion.
type Verifier struct {
	chains map[chainKey]*engine.ChainHead
	order  []chainKey
}

// Add checks that w continues its chain: the next seq, Prev equal to the
// previous Hash, and Hash equal to SHA-256 of its canonical encoding.
func (v *Verifier) Add(w *engine.Win) error {
	if err := v.head(w.Activity, w.SKU).Continue(w); err != nil {
		return fmt.Errorf("%w: %w", ErrChain, err)
	}
	return nil
}

// AddRecord checks a record read from a file: a win's record goes to Add,
// a promoted record is skipped (see Verifier).
func (v *Verifier) AddRecord(r *Record) error {
	if r.State == StatePromoted {
		return nil
	}
	w, err := r.Win()
	if err != nil {
		return err
	}
	return v.Add(&w)
}

// AddControlHead takes the head of a SKU's control strand (from a
// manifest's ChainHead) into its digest.
func (v *Verifier) AddControlHead(activity, sku string, controls uint64, hash [32]byte) {
	h := v.head(activity, sku)
	h.Controls, h.ControlHash = controls, hash
}

func (v *Verifier) head(activity, sku string) *engine.ChainHead {
	if v.chains == nil {
		v.chains = map[chainKey]*engine.ChainHead{}
	}
	k := chainKey{activity, sku}
	h := v.chains[k]
	if h == nil {
		h = &engine.ChainHead{SKU: sku}
		v.chains[k] = h
		v.order = append(v.order, k)
	}
	return h
}

// Wins is how many records Add accepted.
func (v *Verifier) Wins() uint64 {
	var n uint64
	for _, h := range v.chains {
		n += h.Wins
	}
	return n
}

// Digests returns engine.ActivityDigest of every activity seen, by id.
func (v *Verifier) Digests() map[string]string {
	heads := map[string][]engine.ChainHead{}
	for _, k := range v.order {
		heads[k.Activity] = append(heads[k.Activity], *v.chains[k])
	}
	out := map[string]string{}
	for act, hs := range heads {
		out[act] = engine.ActivityDigest(hs)
	}
	return out
}
