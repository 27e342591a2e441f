package export

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"seckill/engine"
	"seckill/internal/testkit/salegen"
	"seckill/wal"
)

func openStore(t testing.TB, dir string) *wal.Log {
	t.Helper()
	l, err := wal.Open(dir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// newExporter returns an exporter writing to dir.
func newExporter(t testing.TB, l *wal.Log, dir string) *Exporter {
	t.Helper()
	ex, err := New(l, dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func fill(t testing.TB, l *wal.Log, activity string, perSKU int, skus ...string) {
	t.Helper()
	if _, err := salegen.Fill(l, salegen.Options{Activity: activity, SKUs: skus, PerSKU: perSKU, Batch: 37}); err != nil {
		t.Fatal(err)
	}
}

// storeWins returns every win in the store by idempotency key.
func storeWins(t testing.TB, l *wal.Log) map[string]engine.Win {
	t.Helper()
	out := map[string]engine.Win{}
	if err := l.ScanWins(func(w *engine.Win) error {
		out[string(AppendIdempotencyKey(nil, w))] = *w
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// readWins reads an export file back into wins, in file order.
func readWins(t testing.TB, path, format string) []engine.Win {
	t.Helper()
	var out []engine.Win
	if err := ReadFile(path, format, func(r *Record) error {
		w, err := r.Win()
		out = append(out, w)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkManifest verifies what the manifest says about its file.
func checkManifest(t *testing.T, out string, m *Manifest, wins []engine.Win) {
	t.Helper()
	onDisk, err := ReadManifest(out + ManifestSuffix)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := fileSHA256(out)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if onDisk.SHA256 != sum || m.SHA256 != sum || onDisk.Bytes != st.Size() || onDisk.Count != uint64(len(wins)) {
		t.Fatalf("manifest sha %s bytes %d count %d; file sha %s bytes %d, %d records", onDisk.SHA256, onDisk.Bytes, onDisk.Count, sum, st.Size(), len(wins))
	}
	if len(wins) > 0 {
		lo, hi := wins[0].TimeUnixNano, wins[0].TimeUnixNano
		for _, w := range wins {
			lo, hi = min(lo, w.TimeUnixNano), max(hi, w.TimeUnixNano)
		}
		var first, last Record
		first.Time, last.Time = string(appendTime(nil, lo)), string(appendTime(nil, hi))
		if onDisk.FirstTime != first.Time || onDisk.LastTime != last.Time {
			t.Errorf("manifest times %s..%s, records span %s..%s", onDisk.FirstTime, onDisk.LastTime, first.Time, last.Time)
		}
	}
}

// digests returns the manifest's per-activity digests.
func digests(m *Manifest) map[string]string {
	out := map[string]string{}
	for _, a := range m.Activities {
		out[a.Activity] = a.Digest
	}
	return out
}

func TestExportFormats(t *testing.T) {
	l := openStore(t, t.TempDir())
	fill(t, l, "round1", 120, "phone-1", "phone-2", "band-1")
	fill(t, l, "round2", 45, "x")
	want := storeWins(t, l)
	dir := t.TempDir()
	ex := newExporter(t, l, dir)
	var first []engine.Win
	for _, tc := range []struct{ name, format string }{
		{"winners.jsonl", FormatJSONL},
		{"winners.jsonl.zst", FormatJSONL},
		{"winners.csv", FormatCSV},
		{"winners.csv.zst", FormatCSV},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name)
			m, err := ex.Run(Options{Out: tc.name, Format: tc.format, All: true})
			if err != nil {
				t.Fatal(err)
			}
			got := readWins(t, out, tc.format)
			checkManifest(t, out, m, got)
			if len(got) != len(want) {
				t.Fatalf("%d records, store holds %d", len(got), len(want))
			}
			var v Verifier
			for i := range got {
				w := &got[i]
				if sw, ok := want[string(AppendIdempotencyKey(nil, w))]; !ok || sw != *w {
					t.Fatalf("record %d %+v differs from the store's %+v", i, *w, sw)
				}
				if err := v.Add(w); err != nil {
					t.Fatal(err)
				}
			}
			if d := v.Digests(); fmt.Sprint(d) != fmt.Sprint(digests(m)) || len(d) != 2 {
				t.Fatalf("recomputed digests %v, manifest %v", d, digests(m))
			}
			if (m.Compression == "zstd") != (filepath.Ext(out) == ".zst") {
				t.Errorf("compression %q for %s", m.Compression, out)
			}
			if first == nil {
				first = got
			} else if !slices.Equal(first, got) {
				t.Fatal("formats disagree on the records")
			}
		})
	}
}

func TestIncremental(t *testing.T) {
	l := openStore(t, t.TempDir())
	dir := t.TempDir()
	ex := newExporter(t, l, dir)
	run := func(name string, all bool) (*Manifest, []engine.Win) {
		t.Helper()
		out := filepath.Join(dir, name)
		m, err := ex.Run(Options{Out: name, Format: FormatJSONL, All: all})
		if err != nil {
			t.Fatal(err)
		}
		got := readWins(t, out, FormatJSONL)
		checkManifest(t, out, m, got)
		return m, got
	}
	fill(t, l, "a", 30, "s1", "s2")
	_, w1 := run("1.jsonl.zst", false)
	_, w2 := run("2.jsonl.zst", false)
	fill(t, l, "a", 11, "s1", "s2", "s3")
	full, _ := run("full.jsonl", true) // must not move the cursor
	m3, w3 := run("3.jsonl", false)
	if len(w1) != 60 || len(w2) != 0 || len(w3) != 33 {
		t.Fatalf("runs exported %d, %d, %d records; want 60, 0, 33", len(w1), len(w2), len(w3))
	}
	var v Verifier
	for _, w := range append(w1, w3...) {
		if err := v.Add(&w); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(v.Digests()) != fmt.Sprint(digests(m3)) || fmt.Sprint(digests(full)) != fmt.Sprint(digests(m3)) {
		t.Fatalf("chained files give %v; manifests say %v and %v", v.Digests(), digests(m3), digests(full))
	}
	if _, err := ex.Run(Options{Out: "3.jsonl", Format: FormatJSONL}); !errors.Is(err, ErrExists) {
		t.Fatalf("export over an existing file: %v, want ErrExists", err)
	}
	if _, err := ex.Run(Options{Out: "4.xml", Format: "xml"}); !errors.Is(err, ErrFormat) {
		t.Fatalf("unknown format: %v, want ErrFormat", err)
	}
}

// TestCrashAtEveryStage stops a run at each stage as a crash would (the
// goroutine ends there: nothing after it runs, no rollback), then runs
// again on a fresh Exporter and checks that the records of both files
// together are the store's, each exactly once, and that nothing half-made
// is left behind.
func TestCrashAtEveryStage(t *testing.T) {
	for _, tc := range []struct {
		stage       string
		rollForward bool
	}{
		{StageIntent, false},
		{StageWriting, false},
		{StageRenamed, false},
		{StageManifest, true},
	} {
		for _, name := range []string{"w.jsonl", "w.csv.zst"} {
			t.Run(tc.stage+"/"+name, func(t *testing.T) {
				l := openStore(t, t.TempDir())
				fill(t, l, "a", 40, "s1", "s2")
				dir := t.TempDir()
				format := FormatJSONL
				if filepath.Ext(name) != ".jsonl" {
					format = FormatCSV
				}
				crashed := filepath.Join(dir, "crashed-"+name)
				crashAt(t, l, dir, "crashed-"+name, format, "", tc.stage)
				fill(t, l, "a", 5, "s1", "s2") // the sale went on meanwhile
				next := filepath.Join(dir, "next-"+name)
				if _, err := newExporter(t, l, dir).Run(Options{Out: "next-" + name, Format: format}); err != nil {
					t.Fatal(err)
				}
				seen := map[string]int{}
				files := []string{next}
				if ok, _ := exists(crashed); ok != tc.rollForward {
					t.Fatalf("crashed file present %v, want %v", ok, tc.rollForward)
				}
				if tc.rollForward {
					files = append(files, crashed)
				}
				for _, f := range files {
					for _, w := range readWins(t, f, format) {
						seen[string(AppendIdempotencyKey(nil, &w))]++
					}
				}
				want := storeWins(t, l)
				for k := range want {
					if seen[k] != 1 {
						t.Errorf("%s exported %d times", k, seen[k])
					}
				}
				if len(seen) != len(want) {
					t.Errorf("%d distinct records exported, store holds %d", len(seen), len(want))
				}
				left, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
				if len(left) > 0 {
					t.Errorf("temporary files left: %v", left)
				}
				if ok, _ := exists(crashed + ManifestSuffix); ok != tc.rollForward {
					t.Errorf("crashed manifest present %v, want %v", ok, tc.rollForward)
				}
			})
		}
	}
}
