package export

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"seckill/wal"
)

// Meta keys of the export in the store (see the package doc).
const (
	cursorKey = "export.cursor"
	intentKey = "export.intent"
)

// chainKey names one hash chain: an (activity, SKU).
type chainKey struct{ Activity, SKU string }

// Cursor is how far the incremental export has gone: per chain, the last
// seq that a committed export file holds. Seqs have no gaps, so one number
// per chain is the whole state, however many wins there are.
type Cursor map[chainKey]uint64

// cursorEntry is the stored (and manifest) form of one chain's position.
type cursorEntry struct {
	Activity string `json:"activity"`
	SKU      string `json:"sku"`
	Seq      uint64 `json:"seq"`
}

func (c Cursor) entries() []cursorEntry {
	out := make([]cursorEntry, 0, len(c))
	for k, seq := range c {
		out = append(out, cursorEntry{k.Activity, k.SKU, seq})
	}
	slices.SortFunc(out, func(a, b cursorEntry) int {
		if c := strings.Compare(a.Activity, b.Activity); c != 0 {
			return c
		}
		return strings.Compare(a.SKU, b.SKU)
	})
	return out
}

func (c Cursor) encode() []byte {
	b, _ := json.Marshal(c.entries()) // plain structs always marshal
	return b
}

// LoadCursor reads the committed cursor; an empty Cursor when none was
// committed yet.
func LoadCursor(log *wal.Log) (Cursor, error) {
	b, ok, err := log.GetMeta(cursorKey)
	if err != nil || !ok {
		return Cursor{}, err
	}
	var es []cursorEntry
	if err := json.Unmarshal(b, &es); err != nil {
		return nil, fmt.Errorf("%w: stored cursor: %w", ErrCursor, err)
	}
	c := Cursor{}
	for _, e := range es {
		c[chainKey{e.Activity, e.SKU}] = e.Seq
	}
	return c, nil
}
