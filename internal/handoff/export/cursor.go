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
	cursorPrefix = "export.cursor/" // + the cursor's name
	// promotedPrefix + the cursor's name: the same cursor's control seq per
	// SKU through which promoted records were exported (a JSON Lines run
	// moves it with the win cursor, in the same write).
	promotedPrefix = "export.promoted/"
	legacyCursor   = "export.cursor" // the one unnamed cursor of stores before named cursors; read as DefaultCursor's
	intentKey      = "export.intent"
)

// DefaultCursor is the cursor an incremental export moves when it names
// none: the nightly file's. An ad-hoc incremental export names its own
// cursor, so it never takes records from the nightly chain of files.
const DefaultCursor = "nightly"

// maxCursorName bounds a cursor's name; it is a store key and a URL
// parameter, and 64 bytes name anything an operator needs.
const maxCursorName = 64

// checkCursorName accepts [A-Za-z0-9_-]{1,64}.
func checkCursorName(name string) error {
	if name == "" || len(name) > maxCursorName {
		return fmt.Errorf("%w: %q must be 1 to %d bytes", ErrCursorName, name, maxCursorName)
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("%w: %q may hold only letters, digits, '_' and '-'", ErrCursorName, name)
		}
	}
	return nil
}

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

// LoadCursor reads the committed cursor of that name; an empty Cursor when
// none was committed yet.
func LoadCursor(log *wal.Log, name string) (Cursor, error) {
	if err := checkCursorName(name); err != nil {
		return nil, err
	}
	b, ok, err := log.GetMeta(cursorPrefix + name)
	if err == nil && !ok && name == DefaultCursor {
		b, ok, err = log.GetMeta(legacyCursor)
	}
	return decodeCursor(b, ok, err)
}

// loadPromotedCursor reads the named cursor's promoted-record watermarks
// (control seqs per SKU); the name was checked by LoadCursor.
func loadPromotedCursor(log *wal.Log, name string) (Cursor, error) {
	return decodeCursor(log.GetMeta(promotedPrefix + name))
}

func decodeCursor(b []byte, ok bool, err error) (Cursor, error) {
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
