package export

import (
	"fmt"

	"seckill/engine"
	"seckill/replay"
)

// Verifier recomputes hash chains from exported records, so that anyone
// holding the files — from the first incremental export on, or one -all
// export — can check them against the digests an operator published. Feed
// it every record in file order (within a chain, files list seqs in order).
type Verifier struct {
	chains map[chainKey]*replay.Head
	order  []chainKey
}

// Add checks that w continues its chain: the next seq, Prev equal to the
// previous Hash, and Hash equal to SHA-256 of its canonical encoding.
func (v *Verifier) Add(w *engine.Win) error {
	if v.chains == nil {
		v.chains = map[chainKey]*replay.Head{}
	}
	k := chainKey{w.Activity, w.SKU}
	h := v.chains[k]
	if h == nil {
		h = &replay.Head{SKU: w.SKU}
		v.chains[k] = h
		v.order = append(v.order, k)
	}
	switch {
	case w.Seq != h.Wins+1:
		return fmt.Errorf("%w: %s/%s seq %d follows %d", ErrChain, w.Activity, w.SKU, w.Seq, h.Wins)
	case w.Prev != h.Hash:
		return fmt.Errorf("%w: %s/%s seq %d: prev is not the previous hash", ErrChain, w.Activity, w.SKU, w.Seq)
	case w.Hash != engine.ComputeHash(w):
		return fmt.Errorf("%w: %s/%s seq %d: hash does not cover the record", ErrChain, w.Activity, w.SKU, w.Seq)
	}
	h.Wins, h.Hash = w.Seq, w.Hash
	return nil
}

// Wins is how many records Add accepted.
func (v *Verifier) Wins() uint64 {
	var n uint64
	for _, h := range v.chains {
		n += h.Wins
	}
	return n
}

// Digests returns replay.ActivityDigest of every activity seen, by id.
func (v *Verifier) Digests() map[string]string {
	heads := map[string][]replay.Head{}
	for _, k := range v.order {
		heads[k.Activity] = append(heads[k.Activity], *v.chains[k])
	}
	out := map[string]string{}
	for act, hs := range heads {
		out[act] = replay.ActivityDigest(hs)
	}
	return out
}
