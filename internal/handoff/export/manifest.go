package export

import (
	"encoding/json"
	"fmt"
	"os"
)

// ManifestSuffix is appended to the output file's name to name its
// manifest. The manifest is renamed into place after the file: a consumer
// that sees the manifest may read the file.
const ManifestSuffix = ".manifest.json"

// Manifest describes one export file.
type Manifest struct {
	Version     int    `json:"version"`
	RunID       string `json:"run_id"`
	File        string `json:"file"`        // the export file's base name
	Format      string `json:"format"`      // "jsonl" or "csv"
	Compression string `json:"compression"` // "zstd" or "none"
	Count       uint64 `json:"count"`
	Bytes       int64  `json:"bytes"`
	SHA256      string `json:"sha256"` // of the file as stored (compressed when zstd)
	// FirstTime and LastTime bound the win times in the file (RFC 3339
	// nano, UTC); empty when the file holds no record.
	FirstTime string `json:"first_time,omitempty"`
	LastTime  string `json:"last_time,omitempty"`
	Created   string `json:"created"`
	// Incremental is false for an -all export, which leaves the cursor
	// alone.
	Incremental bool `json:"incremental"`
	// Cursor names the cursor an incremental export moved.
	Cursor string `json:"cursor,omitempty"`
	// Ranges lists, for every chain in the store, the seqs the file holds:
	// After < seq <= Through (After == Through: none).
	Ranges []Range `json:"ranges"`
	// Promoted is how many promoted records (a lapsed seq issued again,
	// state "promoted") the file holds after its wins; Count counts the
	// wins only. PromotedRanges are, per SKU, the control seqs the run
	// looked at: after the promoted cursor, through the control chain's
	// head.
	Promoted       uint64  `json:"promoted"`
	PromotedRanges []Range `json:"promoted_ranges,omitempty"`
	// Activities are the chain heads and per-activity digests of the whole
	// store at the moment of the export (not only of this file).
	Activities []ActivityHeads `json:"activities"`
}

// Range is one chain's share of an export file.
type Range struct {
	Activity string `json:"activity"`
	SKU      string `json:"sku"`
	After    uint64 `json:"after"`
	Through  uint64 `json:"through"`
}

// ActivityHeads is an activity's chain heads and engine.ActivityDigest.
type ActivityHeads struct {
	Activity string      `json:"activity"`
	Digest   string      `json:"digest"`
	Chains   []ChainHead `json:"chains"`
}

// ChainHead is where one SKU's chain ended at export time.
type ChainHead struct {
	SKU  string `json:"sku"`
	Wins uint64 `json:"wins"`
	Head string `json:"head"` // hex hash of the last win; zeros when none
	// Controls and ControlHead are the SKU's control strand (not exported,
	// but covered by the digest); absent when it has none.
	Controls    uint64 `json:"controls,omitempty"`
	ControlHead string `json:"control_head,omitempty"`
}

// ReadManifest reads a manifest file.
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("export: manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("export: manifest %s: %w", path, err)
	}
	return &m, nil
}

// cursorAfter is the cursor an incremental export moves to when it
// commits: every chain's Through.
func (m *Manifest) cursorAfter() Cursor { return rangesThrough(m.Ranges) }

// rangesThrough is the cursor after ranges.
func rangesThrough(ranges []Range) Cursor {
	c := Cursor{}
	for _, r := range ranges {
		c[chainKey{r.Activity, r.SKU}] = r.Through
	}
	return c
}
