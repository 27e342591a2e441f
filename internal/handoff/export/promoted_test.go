package export

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"

	"seckill/internal/testkit/salegen"
)

// TestExportPromoted: a sale with a lapse and a promotion exports its two
// wins and the promoted record (state, promoted_from, round, key
// activity/sku/seq/rN) in JSON Lines and in CSV, the manifest counts it, the next
// incremental run does not repeat it, and the Verifier skips it while the
// digests still match the manifest's.
func TestExportPromoted(t *testing.T) {
	l := openStore(t, t.TempDir())
	dir := t.TempDir()
	ex := newExporter(t, l, dir)
	promoted, err := salegen.FillPromotion(l, "a", "s1")
	if err != nil {
		t.Fatal(err)
	}
	ticket, _, _ := promoted.Promotion()
	for _, tc := range []struct {
		name, format, cur string
		all               bool
		wins, promotedRec uint64
	}{
		{"1.jsonl", FormatJSONL, "", false, 2, 1},
		{"2.jsonl.zst", FormatJSONL, "", false, 0, 0}, // the cursors moved past both
		{"all.jsonl", FormatJSONL, "", true, 2, 1},
		{"all.csv", FormatCSV, "", true, 2, 1},
		{"c1.csv", FormatCSV, "csv", false, 2, 1}, // a CSV cursor of its own
		{"c2.csv.zst", FormatCSV, "csv", false, 0, 0},
	} {
		m, err := ex.Run(Options{Out: tc.name, Format: tc.format, All: tc.all, Cursor: tc.cur})
		if err != nil {
			t.Fatal(err)
		}
		onDisk, err := ReadManifest(filepath.Join(dir, tc.name) + ManifestSuffix)
		if err != nil {
			t.Fatal(err)
		}
		if m.Count != tc.wins || m.Promoted != tc.promotedRec || onDisk.Promoted != m.Promoted {
			t.Errorf("%s: manifest counts %d wins, %d promoted (on disk %d); want %d and %d", tc.name, m.Count, m.Promoted, onDisk.Promoted, tc.wins, tc.promotedRec)
		}
		var v Verifier
		var wins, promos uint64
		if err := ReadFile(filepath.Join(dir, tc.name), tc.format, func(r *Record) error {
			if r.State == StatePromoted {
				promos++
				if r.IdempotencyKey != "a/s1/1/r1" || r.Seq != 1 || r.UID != 3 || r.PromotedFrom != 1 || r.Round != 1 ||
					r.Ticket != hex.EncodeToString(ticket[:]) || r.Hash != hex.EncodeToString(promoted.Hash[:]) {
					t.Errorf("%s: promoted record %+v", tc.name, *r)
				}
			} else {
				wins++
			}
			return v.AddRecord(r)
		}); err != nil {
			t.Fatal(err)
		}
		if wins != tc.wins || promos != tc.promotedRec {
			t.Errorf("%s: file holds %d wins and %d promoted records; want %d and %d", tc.name, wins, promos, tc.wins, tc.promotedRec)
		}
		if !tc.all || tc.wins == 0 {
			continue
		}
		for _, a := range m.Activities {
			for _, c := range a.Chains {
				var h [32]byte
				if _, err := hex.Decode(h[:], []byte(c.ControlHead)); err != nil {
					t.Fatal(err)
				}
				v.AddControlHead(a.Activity, c.SKU, c.Controls, h)
			}
		}
		if fmt.Sprint(v.Digests()) != fmt.Sprint(digests(m)) {
			t.Errorf("%s: recomputed digests %v, manifest %v", tc.name, v.Digests(), digests(m))
		}
	}
}
