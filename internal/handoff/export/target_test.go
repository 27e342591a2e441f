package export

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"seckill/wal"
)

// TestTargetsAreBareNamesOutsideTheStore tries to write export files
// anywhere but a bare name in the export directory, and to make the
// export directory the store's: each is refused, and the store still
// opens and holds every win afterwards.
func TestTargetsAreBareNamesOutsideTheStore(t *testing.T) {
	storeDir := filepath.Join(t.TempDir(), "data")
	l, err := wal.Open(storeDir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, l, "a", 10, "s1")
	want := len(storeWins(t, l))
	dir := filepath.Join(t.TempDir(), "exports")
	ex, err := New(l, dir, storeDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"", ".", "..", "../data/MANIFEST-000001", storeDir + "/CURRENT", "/etc/passwd", "sub/w.jsonl",
		`..\w.jsonl`, ".hidden", "w.jsonl" + ManifestSuffix, "w.jsonl.1234.tmp", strings.Repeat("w", maxNameBytes+1), "a\x00b",
	} {
		if _, err := ex.Run(Options{Out: name, Format: FormatJSONL}); !errors.Is(err, ErrName) {
			t.Errorf("export to %q: %v, want ErrName", name, err)
		}
	}
	if _, err := ex.Run(Options{Out: "w.jsonl", Format: FormatJSONL, Cursor: "night/ly"}); !errors.Is(err, ErrCursorName) {
		t.Errorf("cursor with a slash: %v, want ErrCursorName", err)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(storeDir, link); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{storeDir, filepath.Join(storeDir, "exports"), storeDir + "/./", link, filepath.Join(link, "x")} {
		if _, err := New(l, bad, storeDir, nil); !errors.Is(err, ErrDir) {
			t.Errorf("export directory %s (store %s): %v, want ErrDir", bad, storeDir, err)
		}
	}
	// A name that is Pebble's in the store's directory is harmless here.
	if _, err := ex.Run(Options{Out: "MANIFEST-000001", Format: FormatJSONL}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST-000001")); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openStore(t, storeDir)
	if got := len(storeWins(t, l)); got != want {
		t.Fatalf("the store holds %d wins after the attempts, want %d", got, want)
	}
}

// TestNamedCursors checks that an ad-hoc incremental export, on its own
// cursor, never takes records from the nightly chain of files, and that a
// store of the version before named cursors keeps its nightly position.
func TestNamedCursors(t *testing.T) {
	l := openStore(t, t.TempDir())
	dir := t.TempDir()
	ex := newExporter(t, l, dir)
	run := func(name, cursor string) *Manifest {
		t.Helper()
		m, err := ex.Run(Options{Out: name, Format: FormatJSONL, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	fill(t, l, "a", 10, "s1", "s2")
	if m := run("adhoc-1.jsonl", "adhoc"); m.Count != 20 || m.Cursor != "adhoc" {
		t.Fatalf("first ad-hoc export: %d records on cursor %q", m.Count, m.Cursor)
	}
	if m := run("nightly-1.jsonl", ""); m.Count != 20 || m.Cursor != DefaultCursor {
		t.Fatalf("the nightly export after an ad-hoc one: %d records on cursor %q, want all 20 on %q", m.Count, m.Cursor, DefaultCursor)
	}
	fill(t, l, "a", 3, "s1", "s2")
	if m := run("adhoc-2.jsonl", "adhoc"); m.Count != 6 {
		t.Fatalf("second ad-hoc export: %d records, want the 6 new", m.Count)
	}
	if m := run("nightly-2.jsonl", DefaultCursor); m.Count != 6 {
		t.Fatalf("second nightly export: %d records, want the 6 new", m.Count)
	}

	// The unnamed cursor of older stores is the nightly one.
	old, err := LoadCursor(l, DefaultCursor)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.ApplyMeta([]wal.MetaOp{{Key: cursorPrefix + DefaultCursor, Delete: true}, {Key: legacyCursor, Value: old.encode()}}); err != nil {
		t.Fatal(err)
	}
	fill(t, l, "a", 2, "s1")
	if m := run("nightly-3.jsonl", ""); m.Count != 2 {
		t.Fatalf("nightly export over a legacy cursor: %d records, want the 2 new", m.Count)
	}
	if _, ok, _ := l.GetMeta(legacyCursor); ok {
		t.Fatal("the legacy cursor is still stored after the nightly cursor moved")
	}
}
