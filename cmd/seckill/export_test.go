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

// killAt runs `seckill export -out name` into dir out, held by the test
// hook at stage, and kill -9s it there once it says it paused there.
func killAt(t *testing.T, data, out, name, stage string) {
	t.Helper()
	cmd := exec.Command(binary, "export", "-data", data, "-dir", out, "-out", name)
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
		if !ok || !strings.Contains(line, "paused at "+stage+" ") {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("export did not pause at %s: %q", stage, line)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("export never paused")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	if err := cmd.Wait(); err == nil || cmd.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("export paused at %s was not killed by SIGKILL: %v", stage, err)
	}
}

var exportStages = []string{export.StageIntent, export.StageWriting, export.StageRenamed, export.StageManifest}

// TestExportKilledAtEachStage kill -9s `seckill export` at every stage of
// a run (held there by the test hook), then exports again: across the
// files, every winner exactly once.
func TestExportKilledAtEachStage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	for _, stage := range exportStages {
		for _, name := range []string{"w.jsonl.zst", "w.csv"} {
			t.Run(stage+"/"+name, func(t *testing.T) {
				data, out := filepath.Join(t.TempDir(), "data"), t.TempDir()
				keys := addWins(t, data, 200)
				killAt(t, data, out, "killed-"+name, stage)
				if stdout, stderr, err := runCmd(t, nil, "export", "-data", data, "-dir", out, "-out", "next-"+name); err != nil {
					t.Fatalf("export after the kill: %v\n%s%s", err, stdout, stderr)
				}
				checkExactlyOnce(t, out, keys)
			})
		}
	}
}

// TestExportKilledRepeatedly kill -9s eight exports in a row, each at a
// known stage (every stage twice, in a shuffled order), while the store
// grows between runs, so each run first recovers the one killed before
// it; then exports once more to completion. Across the committed files,
// every winner exactly once.
func TestExportKilledRepeatedly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	data, out := filepath.Join(t.TempDir(), "data"), t.TempDir()
	order := append(append([]string{}, exportStages...), exportStages...)
	rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	var keys map[string]bool
	for i, stage := range order {
		keys = addWins(t, data, 500)
		killAt(t, data, out, fmt.Sprintf("run%d.jsonl.zst", i), stage)
	}
	if stdout, stderr, err := runCmd(t, nil, "export", "-data", data, "-dir", out, "-out", "final.csv.zst"); err != nil {
		t.Fatalf("final export: %v\n%s%s", err, stdout, stderr)
	}
	checkExactlyOnce(t, out, keys)
	files, _ := filepath.Glob(filepath.Join(out, "*"+export.ManifestSuffix))
	t.Logf("%d winners in %d committed files after killed runs at %v", len(keys), len(files), order)
}

// cronLine is the README's nightly cron line, without its schedule, for
// sh: the test runs exactly what the README tells operators to run.
func cronLine(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(readme), "\n") {
		if cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "30 2 * * * "); ok && strings.Contains(cmd, "seckill export") {
			return strings.ReplaceAll(cmd, `\%`, "%") // cron's escape of %
		}
	}
	t.Fatal("README.md has no nightly cron line (30 2 * * * seckill export ...)")
	return ""
}

// TestExportWhileServing runs the README's cron line while the engine
// serves: the export goes through the admin API (with the token file) and
// holds the new winners; an ad-hoc export on its own cursor in between
// takes nothing from the next nightly file; and a target outside the
// export directory is refused without touching the store.
func TestExportWhileServing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	dir := t.TempDir()
	addr, admin := freeAddr(t), freeAddr(t)
	data, exports := filepath.Join(dir, "data"), filepath.Join(dir, "exports")
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[server]
listen = %q
admin_listen = %q
data_dir = %q
drain_delay = "0s"
[auth]
mode = "none"
[export]
dir = %q
[[activity]]
id = "run"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "x"
  stock = 100
`, addr, admin, data, exports))
	srv := startChild(t, addr, cfg)
	stopped := false
	defer func() {
		if !stopped {
			srv.stop(t)
		}
	}()
	logPath := filepath.Join(dir, "seckill-export.log")
	nightly := func(day string) string {
		t.Helper()
		line := strings.NewReplacer("seckill export", binary+" export", "/etc/seckill/seckill.toml", cfg,
			"/var/log/seckill-export.log", logPath, "$(date +%F)", day).Replace(cronLine(t))
		if out, err := exec.Command("sh", "-c", line).CombinedOutput(); err != nil {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("%s: %v\n%s%s", line, err, out, log)
		}
		files, _ := filepath.Glob(filepath.Join(exports, "*"+day+"*"+export.ManifestSuffix))
		if len(files) != 1 {
			t.Fatalf("the cron line for %s left %v", day, files)
		}
		return strings.TrimSuffix(files[0], export.ManifestSuffix)
	}
	read := func(file string) map[string]int {
		t.Helper()
		m, err := export.ReadManifest(file + export.ManifestSuffix)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		if err := export.ReadFile(file, m.Format, func(r *export.Record) error { seen[r.IdempotencyKey]++; return nil }); err != nil {
			t.Fatal(err)
		}
		return seen
	}

	if won := buyAll(t, addr, "x", 1, 31); won != 30 {
		t.Fatalf("%d of 30 won", won)
	}
	day1 := read(nightly("day1"))
	if _, stderr, err := runCmd(t, nil, "export", "-config", cfg, "-out", "adhoc.jsonl", "-cursor", "adhoc"); err != nil {
		t.Fatalf("ad-hoc export while serving: %v\n%s", err, stderr)
	}
	if won := buyAll(t, addr, "x", 31, 51); won != 20 {
		t.Fatalf("%d of 20 won", won)
	}
	day2 := read(nightly("day2"))
	adhoc := read(filepath.Join(exports, "adhoc.jsonl"))
	if len(day1) != 30 || len(day2) != 20 || len(adhoc) != 30 {
		t.Fatalf("nightly files hold %d and %d winners, the ad-hoc one %d; want 30, 20 (the new ones) and 30", len(day1), len(day2), len(adhoc))
	}
	for k := range day2 {
		if day1[k] > 0 {
			t.Errorf("%s is in both nightly files", k)
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "-config", cfg, "-out", filepath.Join(data, "MANIFEST-000001")}, "400 Bad Request"},
		{[]string{"export", "-config", cfg, "-out", "../data/CURRENT"}, "400 Bad Request"},
		{[]string{"export", "-config", cfg, "-dir", data, "-out", "w.jsonl"}, "-dir"},
		{[]string{"export", "-data", data, "-out", "w.jsonl"}, "server.admin_listen"},
	} {
		_, stderr, err := runCmd(t, nil, tc.args...)
		if err == nil || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: %v, want an error saying %q\n%s", tc.args, err, tc.want, stderr)
		}
	}
	srv.stop(t)
	stopped = true
	if stdout, stderr, err := runCmd(t, nil, "replay", "-data", data); err != nil {
		t.Fatalf("replay after the attempts on the store: %v\n%s%s", err, stdout, stderr)
	}
}

// TestExportStoppedEngineRefusesStorePaths tries to write export files
// into the store of a stopped engine through the CLI: an -out that is not
// a bare name and a -dir inside data_dir are refused, and the store still
// opens with every win (TestExportWhileServing runs replay on a served
// store after the same attempts).
func TestExportStoppedEngineRefusesStorePaths(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	data := filepath.Join(t.TempDir(), "data")
	keys := addWins(t, data, 20)
	for _, args := range [][]string{
		{"-out", filepath.Join(data, "MANIFEST-000001")},
		{"-out", "../data/CURRENT"},
		{"-dir", data, "-out", "MANIFEST-000001"},
		{"-dir", filepath.Join(data, "sub", ".."), "-out", "OPTIONS-000003"},
	} {
		_, stderr, err := runCmd(t, nil, append([]string{"export", "-data", data}, args...)...)
		if err == nil || !strings.Contains(stderr, "export: invalid") {
			t.Errorf("%v: %v\n%s", args, err, stderr)
		}
	}
	if got := addWins(t, data, 0); len(got) != len(keys) {
		t.Fatalf("the store holds %d wins after the attempts, want %d", len(got), len(keys))
	}
}
