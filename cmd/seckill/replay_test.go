package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/testkit/httpget"
	"seckill/internal/testkit/loggen"
	"seckill/internal/testkit/waltest"
	"seckill/wal"
)

var update = flag.Bool("update", false, "rewrite the golden files of seckill replay -json")

// genStore writes a synthetic sale with o and returns its directory.
func genStore(t *testing.T, o loggen.Options) string {
	t.Helper()
	o.Dir = filepath.Join(t.TempDir(), "data")
	if _, err := loggen.Generate(o); err != nil {
		t.Fatal(err)
	}
	return o.Dir
}

func replayIn(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := runReplay(args, &out, &errb)
	return code, out.String(), errb.String()
}

// replayChild runs the built binary, for the exit status a shell sees.
func replayChild(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"replay"}, args...)...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("run %v: %v", cmd.Args, err)
	return 0, ""
}

var sale = loggen.Options{Wins: 40, SKUs: 2, Stock: 30, Seed: 9}

// TestReplayExitStatus: a clean sale passes with status 0; each kind of
// tampering fails the right check, or is reported as a truncated tail, with
// status 1 — as the shell sees it from the binary.
func TestReplayExitStatus(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(s *waltest.Store)
		code   int
		want   []string // lines the human report must hold
	}{
		{"clean", func(*waltest.Store) {}, 0, []string{"PASS chain", "PASS tickets", "PASS digest", "OK: every check passed"}},
		{"edit a field", func(s *waltest.Store) {
			w := s.Win("gen", "sku-0001", 4)
			w.TimeUnixNano += 1e9
			s.PutWin(&w)
		}, 1, []string{"FAIL chain: 1 offending", "    gen/sku-0001 seq 4 uid", "PASS tickets"}},
		{"delete a record", func(s *waltest.Store) { s.DeleteWin("gen", "sku-0000", 2) }, 1,
			[]string{"FAIL seq: 1 offending", "seq 2 is missing", "FAIL chain: 1 offending"}},
		{"swap two records", func(s *waltest.Store) {
			k1, k2 := waltest.WinKey("gen", "sku-0000", 1), waltest.WinKey("gen", "sku-0000", 2)
			v1, v2 := s.Raw(k1), s.Raw(k2)
			s.SetRaw(k1, v2)
			s.SetRaw(k2, v1)
		}, 1, []string{"FAIL seq: 2 offending", "the key of seq 1 holds the record of seq 2", "FAIL chain"}},
		{"insert a forged record", func(s *waltest.Store) {
			seq, hash, _ := s.Head("gen", "sku-0000")
			w := s.Win("gen", "sku-0000", seq)
			w.Seq, w.UID, w.Prev, w.Ticket = seq+1, 1<<40, hash, [engine.TicketBytes]byte{}
			w.Hash = engine.ComputeHash(&w)
			s.PutWin(&w)
		}, 1, []string{"FAIL tickets: 1 offending", "FAIL digest: 1 offending", "beyond the head marker"}},
		{"truncate the tail", func(s *waltest.Store) {
			seq, _, _ := s.Head("gen", "sku-0001")
			s.DeleteWin("gen", "sku-0001", seq)
		}, 1, []string{"PASS chain", "PASS digest", "TRUNCATED TAIL gen/sku-0001", "not an edit", "1 truncated tails"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := genStore(t, sale)
			s := waltest.Open(t, dir)
			tc.tamper(s)
			s.Close()
			code, out := replayChild(t, "-data", dir)
			if code != tc.code {
				t.Fatalf("exit %d, want %d:\n%s", code, tc.code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestReplayJSONGolden pins the -json document of two deterministic stores
// (one clean, one tampered) byte for byte; go test -run Golden -update
// rewrites the files after an intended change.
func TestReplayJSONGolden(t *testing.T) {
	o := loggen.Options{Wins: 24, SKUs: 3, Stock: 10, Seed: 42, Limit: "activity", Reservation: true, ReleasePerSec: 3, Changes: true, Batch: 4}
	for _, tc := range []struct {
		golden string
		tamper func(s *waltest.Store)
		code   int
	}{
		{"replay_clean.golden", nil, 0},
		{"replay_tampered.golden", func(s *waltest.Store) {
			w := s.Win("gen", "sku-0000", 3)
			w.UID++
			s.PutWin(&w)
			seq, _, _ := s.Head("gen", "sku-0002")
			s.DeleteWin("gen", "sku-0002", seq)
		}, 1},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			dir := genStore(t, o)
			if tc.tamper != nil {
				s := waltest.Open(t, dir)
				tc.tamper(s)
				s.Close()
			}
			code, out, errs := replayIn("-data", dir, "-json")
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, errs)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if out != string(want) {
				t.Fatalf("-json output differs from %s (run with -update if intended):\n%s", path, out)
			}
		})
	}
}

// TestReplayRefusesRunningEngine: while an engine holds the store, replay
// refuses with a clear message and status 1 — in this process (pebble's
// in-process lock) and from another process (the fcntl lock).
func TestReplayRefusesRunningEngine(t *testing.T) {
	dir := genStore(t, sale)
	l, err := wal.Open(dir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	want := "the engine is running on " + dir + "; stop it or audit a copy"
	if code, _, errs := replayIn("-data", dir); code != 1 || !strings.Contains(errs, want) {
		t.Fatalf("in process: exit %d, stderr %q", code, errs)
	}
	if code, out := replayChild(t, "-data", dir); code != 1 || !strings.Contains(out, want) {
		t.Fatalf("child: exit %d, output %q", code, out)
	}
}

func TestReplayUsage(t *testing.T) {
	dir := genStore(t, sale)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no -data", nil, 2, "usage"},
		{"stray argument", []string{"-data", dir, "x"}, 2, "usage"},
		{"bad -digest", []string{"-data", dir, "-digest", "gen=zz"}, 2, "ACTIVITY=HEX"},
		{"missing store", []string{"-data", filepath.Join(dir, "nope")}, 1, "cannot open store"},
		{"published digest differs", []string{"-data", dir, "-digest", "gen=" + strings.Repeat("ab", 32)}, 1, ""},
	}
	for _, tc := range tests {
		code, out, errs := replayIn(tc.args...)
		if code != tc.code || !strings.Contains(errs+out, tc.want) {
			t.Errorf("%s: exit %d (want %d), stdout %q, stderr %q", tc.name, code, tc.code, out, errs)
		}
	}
	// The published digest that matches passes.
	_, out, _ := replayIn("-data", dir, "-json")
	i := strings.Index(out, `"digest": "`)
	digest := out[i+len(`"digest": "`) : i+len(`"digest": "`)+64]
	if code, out, _ := replayIn("-data", dir, "-digest", "gen="+digest); code != 0 || !strings.Contains(out, "= published") {
		t.Fatalf("matching published digest: exit %d\n%s", code, out)
	}
}

// TestReplayAfterKill audits the store of a real engine killed with -9 mid
// sale: what a crash leaves must pass every check.
func TestReplayAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[server]
listen = %q
data_dir = %q
drain_delay = "0s"
[auth]
mode = "none"
[[activity]]
id = "k"
start = "now"
end = "+1h"
limit = "activity"
  [[activity.item]]
  sku = "x"
  stock = 100000
  release_per_sec = 2000
  [[activity.item]]
  sku = "y"
  stock = 100000
`, addr, data))
	srv := startChild(t, addr, cfg)
	var stop, killed atomic.Bool
	var wonBeforeKill, refusedAfterKill atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				uid, sku := uint64(g)<<32|uint64(i), []string{"x", "y"}[i%2]
				resp, err := httpget.Get(addr, fmt.Sprintf("/buy?sku=%s&uid=%d", sku, uid), 2*time.Second)
				switch {
				case err != nil && killed.Load():
					refusedAfterKill.Add(1)
				case err == nil && !killed.Load() && strings.Contains(string(resp.Body), `"won"`):
					wonBeforeKill.Add(1)
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	srv.kill() // mid-sale, while buyers are still buying
	killed.Store(true)
	// Prove it: buyers had been winning, and their next attempts met a
	// dead server.
	for deadline := time.Now().Add(5 * time.Second); refusedAfterKill.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	if wonBeforeKill.Load() == 0 || refusedAfterKill.Load() == 0 {
		t.Fatalf("the kill did not hit a sale in progress: %d wins before it, %d attempts refused after it", wonBeforeKill.Load(), refusedAfterKill.Load())
	}
	code, out := replayChild(t, "-data", data)
	if code != 0 {
		t.Fatalf("audit after kill -9: exit %d\n%s\nserve log:\n%s", code, out, srv.logText())
	}
	if !strings.Contains(out, "OK: every check passed") || strings.Contains(out, "audited 0 records") {
		t.Fatalf("no wins before the kill?\n%s", out)
	}
	t.Logf("%s", out)
}
