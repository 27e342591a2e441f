package wal

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

// TestRecordRanges: the ranges start at each chain, cover every key once —
// malformed keys and names that sort next to each other ("a" and "a\x01b")
// included — and scanning them one by one reads what ScanRecords reads.
func TestRecordRanges(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{})
	defer l.Close()
	if rs, err := l.RecordRanges(); err != nil || len(rs) != 1 || rs[0].SKU != "" {
		t.Fatalf("empty store: %+v, %v", rs, err)
	}
	for _, c := range [][2]string{{"x", "a"}, {"x", "a\x01b"}, {"x", "b"}, {"y", "a"}} {
		if err := l.AppendWins(chain(c[0], c[1], 3, 1)); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"w", "wx\x00a\x00short", "wz"} { // malformed: before, inside, after
		if err := l.db.Set([]byte(k), []byte("v"), pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := l.RecordRanges()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Activity+"/"+r.SKU)
	}
	if fmt.Sprint(names) != fmt.Sprint([]string{"x/a", "x/a\x01b", "x/b", "y/a"}) {
		t.Fatalf("ranges %q", names)
	}
	seen := func(scan func(fn func(r *Record) error) error) []string {
		var out []string
		if err := scan(func(r *Record) error {
			out = append(out, fmt.Sprintf("%q %v", r.Key, r.Err == nil))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	all := seen(l.ScanRecords)
	var parts []string
	for _, r := range rs {
		parts = append(parts, seen(func(fn func(r *Record) error) error { return l.ScanRecordsIn(r, fn) })...)
	}
	if len(all) != 15 || fmt.Sprint(all) != fmt.Sprint(parts) {
		t.Fatalf("ScanRecords %d records, ranges %d:\n%v\n%v", len(all), len(parts), all, parts)
	}
}
