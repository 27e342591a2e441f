package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ChainHead is where one SKU's log ends. A SKU's log is two hash-chained
// strands: its wins (seq 1..Wins, each Prev the Hash of the win before) and
// its control records (seq 1..Controls, likewise). Each control record also
// names the win it follows (Control.AfterWins and Control.WinHead), so the
// two strands are bound to each other: removing, reordering or editing a
// record of either strand breaks a chain, and the head of both is what an
// activity digest commits to.
//
// The shard keeps its head as it sells, the audit rebuilds it from the log,
// and the export rebuilds the win strand from its files: all three use
// Continue and ActivityDigest.
type ChainHead struct {
	SKU         string
	Wins        uint64
	Hash        [32]byte // of win Wins; zero when none
	Controls    uint64
	ControlHash [32]byte // of control record Controls; zero when none
}

// ErrChainBroken reports a record that does not continue its chain.
var ErrChainBroken = errors.New("engine: record does not continue the hash chain")

// Continue checks that w is the next win of the strand — seq Wins+1, Prev
// equal to Hash, Hash covering the record — and, if so, moves the head to
// it. It does not check the SKU, tickets or quotas (Shard.Apply does).
func (h *ChainHead) Continue(w *Win) error {
	switch {
	case w.Seq != h.Wins+1:
		return fmt.Errorf("%w: %s/%s seq %d follows %d", ErrChainBroken, w.Activity, w.SKU, w.Seq, h.Wins)
	case w.Prev != h.Hash:
		return fmt.Errorf("%w: %s/%s seq %d: prev is not the hash of seq %d", ErrChainBroken, w.Activity, w.SKU, w.Seq, h.Wins)
	case w.Hash != ComputeHash(w):
		return fmt.Errorf("%w: %s/%s seq %d: hash does not cover the record", ErrChainBroken, w.Activity, w.SKU, w.Seq)
	}
	h.Wins, h.Hash = w.Seq, w.Hash
	return nil
}

// ContinueControl checks that c is the next control record of the strand
// and sits where the win strand is now — seq Controls+1, Prev equal to
// ControlHash, AfterWins equal to Wins, WinHead equal to Hash, Hash covering
// the record — and, if so, moves the head to it.
func (h *ChainHead) ContinueControl(c *Control) error {
	switch {
	case c.Seq != h.Controls+1:
		return fmt.Errorf("%w: %s/%s control %d follows %d", ErrChainBroken, c.Activity, c.SKU, c.Seq, h.Controls)
	case c.Prev != h.ControlHash:
		return fmt.Errorf("%w: %s/%s control %d: prev is not the hash of control %d", ErrChainBroken, c.Activity, c.SKU, c.Seq, h.Controls)
	case c.AfterWins != h.Wins || c.WinHead != h.Hash:
		return fmt.Errorf("%w: %s/%s control %d names win %d, but it comes after win %d", ErrChainBroken, c.Activity, c.SKU, c.Seq, c.AfterWins, h.Wins)
	case c.Hash != ComputeControlHash(c):
		return fmt.Errorf("%w: %s/%s control %d: hash does not cover the record", ErrChainBroken, c.Activity, c.SKU, c.Seq)
	}
	h.Controls, h.ControlHash = c.Seq, c.Hash
	return nil
}

// ActivityDigest is the one value an operator publishes per activity after a
// sale: SHA-256 over its SKUs' chain heads in ascending SKU order, each as
// the SKU's bytes, a zero byte, the win count (8 bytes big-endian) and the
// win head hash, followed — only for a SKU with control records — by the
// control count (8 bytes big-endian) and the control head hash. A log
// without control records therefore has the digest it had before control
// records existed. It is returned as lowercase hex.
func ActivityDigest(heads []ChainHead) string {
	sorted := slices.Clone(heads)
	slices.SortFunc(sorted, func(a, b ChainHead) int { return strings.Compare(a.SKU, b.SKU) })
	h := sha256.New()
	var n [8]byte
	for _, hd := range sorted {
		h.Write([]byte(hd.SKU))
		h.Write([]byte{0})
		binary.BigEndian.PutUint64(n[:], hd.Wins)
		h.Write(n[:])
		h.Write(hd.Hash[:])
		if hd.Controls > 0 {
			binary.BigEndian.PutUint64(n[:], hd.Controls)
			h.Write(n[:])
			h.Write(hd.ControlHash[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
