package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/handoff/export"
	"seckill/internal/testkit/salegen"
	"seckill/wal"
)

// addWins adds perSKU wins to each of three SKUs of the store in dir, through
// the real engine core, and returns every win's idempotency key.
func addWins(t *testing.T, dir string, perSKU int) map[string]bool {
	t.Helper()
	l, err := wal.Open(dir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := salegen.Fill(l, salegen.Options{Activity: "night", SKUs: []string{"a", "b", "c"}, PerSKU: perSKU}); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	if err := l.ScanWins(func(w *engine.Win) error {
		keys[string(export.AppendIdempotencyKey(nil, w))] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return keys
}

// runCmd runs the seckill binary and returns its stdout, stderr and error.
func runCmd(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// committedKeys counts, over every export file in dir that has its
// manifest (a consumer reads only those), how often each key appears.
func committedKeys(t *testing.T, dir string) map[string]int {
	t.Helper()
	manifests, _ := filepath.Glob(filepath.Join(dir, "*"+export.ManifestSuffix))
	seen := map[string]int{}
	for _, mp := range manifests {
		m, err := export.ReadManifest(mp)
		if err != nil {
			t.Fatal(err)
		}
		file := strings.TrimSuffix(mp, export.ManifestSuffix)
		n := uint64(0)
		if err := export.ReadFile(file, m.Format, func(r *export.Record) error {
			seen[r.IdempotencyKey]++
			n++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n != m.Count {
			t.Fatalf("%s holds %d records, its manifest says %d", file, n, m.Count)
		}
	}
	return seen
}

// checkExactlyOnce asserts that the committed files of dir hold every key
// exactly once and nothing else, and that no temporary file is left.
func checkExactlyOnce(t *testing.T, dir string, keys map[string]bool) {
	t.Helper()
	seen := committedKeys(t, dir)
	for k := range keys {
		if seen[k] != 1 {
			t.Errorf("%s is in the committed files %d times", k, seen[k])
		}
	}
	if len(seen) != len(keys) {
		t.Errorf("the committed files hold %d distinct records, the store %d", len(seen), len(keys))
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// TestExportKilledAtEachStage kill -9s `seckill export` at every stage of
// a run (held there by the test hook), then exports again: across the
// files, every winner exactly once.
func TestExportKilledAtEachStage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	for _, stage := range []string{export.StageIntent, export.StageWriting, export.StageRenamed, export.StageManifest} {
		for _, name := range []string{"w.jsonl.zst", "w.csv"} {
			t.Run(stage+"/"+name, func(t *testing.T) {
				data, out := filepath.Join(t.TempDir(), "data"), t.TempDir()
				keys := addWins(t, data, 200)
				cmd := exec.Command(binary, "export", "-data", data, "-out", filepath.Join(out, "killed-"+name))
				cmd.Env = append(os.Environ(), pauseEnv+"="+stage)
				stderr, err := cmd.StderrPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				paused := make(chan string, 1)
				go func() {
					sc := bufio.NewScanner(stderr)
					for sc.Scan() {
						if strings.Contains(sc.Text(), "paused at") {
							paused <- sc.Text()
						}
					}
					close(paused)
				}()
				select {
				case line, ok := <-paused:
					if !ok || !strings.Contains(line, stage) {
						t.Fatalf("export did not pause at %s: %q", stage, line)
					}
				case <-time.After(20 * time.Second):
					cmd.Process.Kill()
					t.Fatal("export never paused")
				}
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
				if stdout, stderr, err := runCmd(t, nil, "export", "-data", data, "-out", filepath.Join(out, "next-"+name)); err != nil {
					t.Fatalf("export after the kill: %v\n%s%s", err, stdout, stderr)
				}
				checkExactlyOnce(t, out, keys)
			})
		}
	}
}

// TestExportKilledAtRandom kill -9s exports at random moments while the
// store grows between runs, then exports once more to completion.
func TestExportKilledAtRandom(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	data, out := filepath.Join(t.TempDir(), "data"), t.TempDir()
	var keys map[string]bool
	for i := 0; i < 8; i++ {
		keys = addWins(t, data, 10_000)
		cmd := exec.Command(binary, "export", "-data", data, "-out", filepath.Join(out, fmt.Sprintf("run%d.jsonl.zst", i)))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		d := time.Duration(rand.IntN(400)) * time.Millisecond
		time.Sleep(d)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		_, err := os.Stat(filepath.Join(out, fmt.Sprintf("run%d.jsonl.zst", i)) + export.ManifestSuffix)
		t.Logf("run %d killed after %v, committed %v", i, d, err == nil)
	}
	if stdout, stderr, err := runCmd(t, nil, "export", "-data", data, "-out", filepath.Join(out, "final.csv.zst")); err != nil {
		t.Fatalf("final export: %v\n%s%s", err, stdout, stderr)
	}
	checkExactlyOnce(t, out, keys)
	files, _ := filepath.Glob(filepath.Join(out, "*"+export.ManifestSuffix))
	t.Logf("%d winners in %d committed files after 8 killed runs", len(keys), len(files))
}

// TestExportOfRunningEngine checks that export of a store a running engine
// holds says so and shows the admin call that does it instead.
func TestExportOfRunningEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	dir := t.TempDir()
	addr, admin := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[server]
listen = %q
admin_listen = %q
data_dir = %q
[auth]
mode = "none"
[[activity]]
id = "run"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "x"
  stock = 5
`, addr, admin, filepath.Join(dir, "data")))
	srv := startChild(t, addr, cfg)
	defer srv.stop(t)
	out := filepath.Join(dir, "w.jsonl")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "-config", cfg, "-out", out}, "curl -XPOST 'http://" + admin + "/admin/export?out="},
		{[]string{"export", "-config", cfg, "-push", "http://mall/x"}, "curl -XPOST 'http://" + admin + "/admin/push?requeue=failed'"},
		{[]string{"export", "-data", filepath.Join(dir, "data"), "-out", out}, "ADMIN_LISTEN"},
	} {
		_, stderr, err := runCmd(t, nil, tc.args...)
		if err == nil || !strings.Contains(stderr, "in use by a running engine") || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: %v\n%s", tc.args, err, stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused export left a file")
	}
}
