package export

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"seckill/wal"
)

// crashAt runs an export of name on l that stops for good at stage, as a
// crash there would: nothing after it runs, no rollback. A run that ends
// without reaching stage fails the test, so a stage the exporter stopped
// announcing cannot pass as a crash there.
func crashAt(t *testing.T, l *wal.Log, dir, name, format, cursor, stage string) {
	t.Helper()
	done := make(chan struct{})
	var stopped bool
	var runErr error
	go func() {
		defer close(done)
		_, runErr = newExporter(t, l, dir).Run(Options{Out: name, Format: format, Cursor: cursor, Pause: func(s string) {
			if s == stage {
				stopped = true
				runtime.Goexit()
			}
		}})
	}()
	<-done
	if !stopped {
		t.Fatalf("the export of %s ended (%v) without reaching stage %s", name, runErr, stage)
	}
}

// TestRecoverChecksWhatItRollsForward crashes a run after its file and
// manifest are in place (only the cursor write missing), then breaks one
// thing recovery must check before it rolls forward: each broken case
// must roll back (file and manifest gone, the records exported again by
// the next run), and the untouched case must roll forward.
func TestRecoverChecksWhatItRollsForward(t *testing.T) {
	for _, tc := range []struct {
		name    string
		breakIt func(t *testing.T, l *wal.Log, crashed string)
		// filesStay: the crashed file and manifest are still there after
		// recovery (rolled forward, or another run's manifest, which a
		// rollback never deletes); nextCount: what the next run exports
		// (0 when rolled forward, the crashed run's 14 when rolled back,
		// all 54 when the cursor was lost).
		filesStay bool
		nextCount uint64
	}{
		{"intact", func(*testing.T, *wal.Log, string) {}, true, 0},
		{"file changed after its manifest (sha256 differs)", func(t *testing.T, _ *wal.Log, crashed string) {
			b, err := os.ReadFile(crashed)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 1
			if err := os.WriteFile(crashed, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, false, 14},
		{"cursor moved since the run began", func(t *testing.T, l *wal.Log, _ string) {
			if err := l.ApplyMeta([]wal.MetaOp{{Key: cursorPrefix + DefaultCursor, Delete: true}}); err != nil {
				t.Fatal(err)
			}
		}, false, 54},
		{"manifest of another run", func(t *testing.T, _ *wal.Log, crashed string) {
			m, err := ReadManifest(crashed + ManifestSuffix)
			if err != nil {
				t.Fatal(err)
			}
			m.RunID = "0000000000000000"
			writeManifest(t, crashed+ManifestSuffix, m)
		}, true, 14},
		{"manifest of another cursor", func(t *testing.T, _ *wal.Log, crashed string) {
			m, err := ReadManifest(crashed + ManifestSuffix)
			if err != nil {
				t.Fatal(err)
			}
			m.Cursor = "adhoc"
			writeManifest(t, crashed+ManifestSuffix, m)
		}, false, 14},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := openStore(t, t.TempDir())
			dir := t.TempDir()
			fill(t, l, "a", 20, "s1", "s2")
			if _, err := newExporter(t, l, dir).Run(Options{Out: "first.jsonl", Format: FormatJSONL}); err != nil {
				t.Fatal(err)
			}
			fill(t, l, "a", 7, "s1", "s2")
			crashed := filepath.Join(dir, "crashed.jsonl")
			crashAt(t, l, dir, "crashed.jsonl", FormatJSONL, "", StageManifest)
			tc.breakIt(t, l, crashed)
			m, err := newExporter(t, l, dir).Run(Options{Out: "next.jsonl", Format: FormatJSONL})
			if err != nil {
				t.Fatal(err)
			}
			fileThere, _ := exists(crashed)
			manifestThere, _ := exists(crashed + ManifestSuffix)
			if fileThere != tc.filesStay || manifestThere != tc.filesStay {
				t.Fatalf("after recovery the crashed file is there %v, its manifest %v; want %v", fileThere, manifestThere, tc.filesStay)
			}
			if m.Count != tc.nextCount {
				t.Fatalf("the next run exported %d records, want %d", m.Count, tc.nextCount)
			}
		})
	}
}

func writeManifest(t *testing.T, path string, m *Manifest) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
