package wal

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"seckill/engine"
)

const holdEnv = "WAL_TEST_HOLD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdEnv); dir != "" {
		os.Exit(holdStore(dir))
	}
	code := m.Run()
	cleanupScanBench()
	os.Exit(code)
}

// holdStore is the child process of TestLockedOtherProcess: it opens the
// store, says "ready", and holds it until its stdin closes.
func holdStore(dir string) int {
	l, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := l.Close(); err != nil {
		return 1
	}
	return 0
}

// quietLogger keeps test output clean but records errors.
type quietLogger struct {
	mu   sync.Mutex
	errs []string
}

func (q *quietLogger) Infof(string, ...interface{}) {}
func (q *quietLogger) Errorf(f string, a ...interface{}) {
	q.mu.Lock()
	q.errs = append(q.errs, fmt.Sprintf(f, a...))
	q.mu.Unlock()
}
func (q *quietLogger) Fatalf(f string, a ...interface{}) { panic("Fatalf reached the user logger") }

// chain returns n correctly chained wins of (act, sku), seq 1..n.
func chain(act, sku string, n int, uidBase uint64) []engine.Win {
	out := make([]engine.Win, n)
	var prev [32]byte
	for i := range out {
		w := &out[i]
		w.Activity, w.SKU = act, sku
		w.Seq = uint64(i + 1)
		w.UID = uidBase + uint64(i)
		w.TimeUnixNano = 1_700_000_000_000_000_000 + int64(i)
		switch i % 3 {
		case 0:
			w.Client = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		case 1:
			w.Client = netip.MustParseAddr("2001:db8::1")
		}
		_, _ = rand.Read(w.Ticket[:])
		w.Prev = prev
		w.Hash = engine.ComputeHash(w)
		prev = w.Hash
	}
	return out
}

func scanAll(t testing.TB, l *Log) []engine.Win {
	t.Helper()
	var got []engine.Win
	if err := l.ScanWins(func(w *engine.Win) error {
		got = append(got, *w)
		return nil
	}); err != nil {
		t.Fatalf("ScanWins: %v", err)
	}
	return got
}

func keyLess(a, b *engine.Win) bool {
	return bytes.Compare(AppendWinKey(nil, a), AppendWinKey(nil, b)) < 0
}

// verifyChains checks every (activity, sku) chain in key-ordered wins.
func verifyChains(t *testing.T, wins []engine.Win) {
	t.Helper()
	for i := range wins {
		w := &wins[i]
		if w.Hash != engine.ComputeHash(w) {
			t.Fatalf("win %d (%s/%s/%d): hash mismatch", i, w.Activity, w.SKU, w.Seq)
		}
		if i > 0 && wins[i-1].Activity == w.Activity && wins[i-1].SKU == w.SKU {
			if w.Seq != wins[i-1].Seq+1 || w.Prev != wins[i-1].Hash {
				t.Fatalf("win %d (%s/%s/%d): broken chain", i, w.Activity, w.SKU, w.Seq)
			}
		} else if w.Seq != 1 || w.Prev != ([32]byte{}) {
			t.Fatalf("win %d (%s/%s/%d): chain does not start at seq 1", i, w.Activity, w.SKU, w.Seq)
		}
	}
}

func mustOpen(t testing.TB, dir string, opts Options) *Log {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = &quietLogger{}
	}
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

func TestRoundTripConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store") // absent: Open creates it
	l := mustOpen(t, dir, Options{})
	var want []engine.Win
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	uid := uint64(1)
	for _, act := range []string{"act-b", "act-a"} {
		for _, sku := range []string{"sku-2", "sku-10", "sku-1"} {
			ws := chain(act, sku, 200, uid)
			uid += 1000
			want = append(want, ws...)
			wg.Add(1)
			go func() { // one shard: batches in seq order
				defer wg.Done()
				for i := 0; i < len(ws); {
					n := min(1+i%7, len(ws)-i)
					if err := l.AppendWins(ws[i : i+n]); err != nil {
						errs <- err
						return
					}
					i += n
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if err := l.AppendWins(want[:1]); !errors.Is(err, ErrClosed) {
		t.Fatalf("AppendWins after Close: %v", err)
	}

	sort.Slice(want, func(i, j int) bool { return keyLess(&want[i], &want[j]) })
	for _, ro := range []bool{false, true} {
		l = mustOpen(t, dir, Options{ReadOnly: ro})
		got := scanAll(t, l)
		if len(got) != len(want) {
			t.Fatalf("ReadOnly=%v: got %d wins, want %d", ro, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("ReadOnly=%v: win %d:\n got %+v\nwant %+v", ro, i, got[i], want[i])
			}
		}
		verifyChains(t, got)
		if ro {
			if err := l.AppendWins(want[:1]); !errors.Is(err, ErrReadOnly) {
				t.Fatalf("AppendWins on ReadOnly: %v", err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestInvalidWin(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{})
	defer l.Close()
	for _, w := range []engine.Win{
		{Activity: "", SKU: "s", Seq: 1},
		{Activity: "a", SKU: "s\x00x", Seq: 1},
		{Activity: strings.Repeat("a", 65), SKU: "s", Seq: 1},
	} {
		if err := l.AppendWins([]engine.Win{w}); !errors.Is(err, ErrInvalidWin) {
			t.Fatalf("%q/%q: %v", w.Activity, w.SKU, err)
		}
	}
	if err := l.AppendWins(chain("a", "s", 1, 1)); err != nil {
		t.Fatalf("log failed by an invalid win: %v", err)
	}
}

func TestMetaAndTicketKey(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{})
	if _, ok, err := l.GetMeta("cursor"); ok || err != nil {
		t.Fatalf("GetMeta absent: %v %v", ok, err)
	}
	if err := l.PutMeta("cursor", []byte("42")); err != nil {
		t.Fatal(err)
	}
	if err := l.PutMeta("wal.ticket_key", []byte("x")); err == nil {
		t.Fatal("reserved meta key accepted")
	}
	k1, err := l.TicketKey()
	if err != nil || len(k1) != 32 || bytes.Equal(k1, make([]byte, 32)) {
		t.Fatalf("TicketKey: %x %v", k1, err)
	}
	k2, _ := l.TicketKey()
	if !bytes.Equal(k1, k2) {
		t.Fatal("TicketKey changed")
	}
	l.Close()

	l = mustOpen(t, dir, Options{ReadOnly: true})
	if v, ok, err := l.GetMeta("cursor"); !ok || err != nil || string(v) != "42" {
		t.Fatalf("GetMeta after reopen: %q %v %v", v, ok, err)
	}
	if k3, err := l.TicketKey(); err != nil || !bytes.Equal(k1, k3) {
		t.Fatalf("TicketKey after reopen: %x %v", k3, err)
	}
	if err := l.PutMeta("cursor", nil); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("PutMeta ReadOnly: %v", err)
	}
	l.Close()

	// A read-only store without a key.
	dir2 := t.TempDir()
	mustOpen(t, dir2, Options{}).Close()
	l = mustOpen(t, dir2, Options{ReadOnly: true})
	defer l.Close()
	if _, err := l.TicketKey(); !errors.Is(err, ErrNoTicketKey) {
		t.Fatalf("TicketKey on ReadOnly store without key: %v", err)
	}
}

func TestReopenWithoutClose(t *testing.T) {
	// The "crash": the store is never closed; a fresh pebble instance on a
	// copy of the directory must recover every synced win from the WAL.
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{})
	ws := chain("a", "s", 50, 1)
	for i := 0; i < len(ws); i += 5 {
		if err := l.AppendWins(ws[i : i+5]); err != nil {
			t.Fatal(err)
		}
	}
	crashDir := t.TempDir()
	copyDir(t, dir, crashDir)
	l.Close()
	os.Remove(filepath.Join(crashDir, "LOCK"))
	l2 := mustOpen(t, crashDir, Options{})
	defer l2.Close()
	got := scanAll(t, l2)
	if len(got) != len(ws) {
		t.Fatalf("recovered %d wins, want %d", len(got), len(ws))
	}
	verifyChains(t, got)
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func TestOpenGarbage(t *testing.T) {
	t.Run("not a store", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "MANIFEST-000001"), randomBytes(4096), 0o644)
		os.WriteFile(filepath.Join(dir, "CURRENT"), randomBytes(64), 0o644)
		for _, ro := range []bool{false, true} {
			if l, err := Open(dir, Options{ReadOnly: ro, Logger: &quietLogger{}}); !errors.Is(err, ErrOpen) {
				if l != nil {
					l.Close()
				}
				t.Fatalf("ReadOnly=%v: Open = %v, want ErrOpen", ro, err)
			}
		}
		b, _ := os.ReadFile(filepath.Join(dir, "MANIFEST-000001"))
		if len(b) != 4096 {
			t.Fatal("garbage MANIFEST was overwritten")
		}
	})
	t.Run("corrupt manifest", func(t *testing.T) {
		dir := t.TempDir()
		l := mustOpen(t, dir, Options{})
		l.AppendWins(chain("a", "s", 3, 1))
		l.Close()
		ms, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
		if len(ms) == 0 {
			t.Fatal("no MANIFEST")
		}
		for _, m := range ms {
			os.WriteFile(m, randomBytes(4096), 0o644)
		}
		for _, ro := range []bool{false, true} {
			l, err := Open(dir, Options{ReadOnly: ro, Logger: &quietLogger{}})
			if err == nil {
				l.Close()
				t.Fatalf("ReadOnly=%v: Open of a corrupt store succeeded", ro)
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrOpen) {
				t.Fatalf("ReadOnly=%v: Open = %v, want ErrCorrupt or ErrOpen", ro, err)
			}
			t.Logf("ReadOnly=%v: %v", ro, err)
		}
	})
	t.Run("corrupt marker", func(t *testing.T) {
		dir := t.TempDir()
		mustOpen(t, dir, Options{}).Close()
		ms, _ := filepath.Glob(filepath.Join(dir, "marker.manifest.*"))
		if len(ms) != 1 {
			t.Fatalf("markers: %v", ms)
		}
		// The marker names a MANIFEST that does not exist.
		os.Rename(ms[0], filepath.Join(dir, "marker.manifest.000009.MANIFEST-000777"))
		if l, err := Open(dir, Options{Logger: &quietLogger{}}); err == nil {
			l.Close()
			t.Fatal("Open with a dangling manifest marker succeeded")
		} else {
			t.Logf("%v", err)
		}
	})
	t.Run("read-only missing", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "absent")
		if _, err := Open(dir, Options{ReadOnly: true}); !errors.Is(err, ErrOpen) {
			t.Fatalf("Open = %v, want ErrOpen", err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatal("ReadOnly Open created the directory")
		}
		empty := t.TempDir()
		if _, err := Open(empty, Options{ReadOnly: true}); !errors.Is(err, ErrOpen) {
			t.Fatalf("Open(empty) = %v, want ErrOpen", err)
		}
		if ents, _ := os.ReadDir(empty); len(ents) != 0 {
			t.Fatalf("ReadOnly Open wrote %v", ents)
		}
	})
}

func TestLockedSameProcess(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{})
	for _, ro := range []bool{false, true} {
		if l2, err := Open(dir, Options{ReadOnly: ro}); !errors.Is(err, ErrLocked) {
			if l2 != nil {
				l2.Close()
			}
			t.Fatalf("ReadOnly=%v: second Open = %v, want ErrLocked", ro, err)
		}
	}
	l.Close()
	mustOpen(t, dir, Options{ReadOnly: true}).Close()
}

func TestLockedOtherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	mustOpen(t, dir, Options{}).Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		stdin.Close()
		cmd.Wait()
		t.Fatalf("child: %q", line)
	}
	for _, ro := range []bool{false, true} {
		l, err := Open(dir, Options{ReadOnly: ro})
		if !errors.Is(err, ErrLocked) {
			if l != nil {
				l.Close()
			}
			t.Errorf("ReadOnly=%v: Open while another process holds the store = %v, want ErrLocked", ro, err)
		} else {
			t.Logf("ReadOnly=%v: %v", ro, err)
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	mustOpen(t, dir, Options{}).Close()
}

// walFaults fails writes and syncs of WAL files while on.
type walFaults struct {
	on  atomic.Bool
	hit atomic.Int64
}

func (f *walFaults) String() string { return "walFaults" }
func (f *walFaults) MaybeError(op errorfs.Op) error {
	if !f.on.Load() || !strings.HasSuffix(op.Path, ".log") {
		return nil
	}
	switch op.Kind {
	case errorfs.OpFileWrite, errorfs.OpFileWriteAt, errorfs.OpFileSync,
		errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
		f.hit.Add(1)
		return errorfs.ErrInjected
	}
	return nil
}

func TestInjectedWriteError(t *testing.T) {
	dir := t.TempDir()
	faults := &walFaults{}
	logger := &quietLogger{}
	l := mustOpen(t, dir, Options{FS: errorfs.Wrap(vfs.Default, faults), Logger: logger})
	ws := chain("a", "s", 30, 1)
	for i := 0; i < 10; i += 2 {
		if err := l.AppendWins(ws[i : i+2]); err != nil {
			t.Fatal(err)
		}
	}
	faults.on.Store(true)
	err := l.AppendWins(ws[10:12])
	if !errors.Is(err, ErrWrite) || !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("AppendWins under fault = %v, want ErrWrite wrapping the injected error", err)
	}
	faults.on.Store(false)
	for i := 12; i < 20; i += 2 {
		if err := l.AppendWins(ws[i : i+2]); !errors.Is(err, ErrWrite) {
			t.Fatalf("AppendWins after failure = %v, want ErrWrite", err)
		}
	}
	if err := l.PutMeta("cursor", []byte("1")); !errors.Is(err, ErrWrite) {
		t.Fatalf("PutMeta after failure = %v, want ErrWrite", err)
	}
	if !errors.Is(l.Failure(), ErrWrite) {
		t.Fatal("Failure() is nil")
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close of a failed log: %v", err)
	}
	if len(logger.errs) == 0 {
		t.Fatal("failure not logged")
	}

	l = mustOpen(t, dir, Options{})
	defer l.Close()
	got := scanAll(t, l)
	// Wins 0..9 were acknowledged and must be there; 10..11 may be there
	// (written, fsync failed); 12.. were never written.
	if len(got) != 10 && len(got) != 12 {
		t.Fatalf("after reopen: %d wins, want 10 (or 12 with the failed batch)", len(got))
	}
	for i := range got {
		if got[i] != ws[i] {
			t.Fatalf("win %d differs", i)
		}
	}
	t.Logf("failed batch present after reopen: %v", len(got) == 12)
	if err := l.AppendWins(ws[len(got) : len(got)+2]); err != nil {
		t.Fatalf("AppendWins after reopen: %v", err)
	}
}

// TestInjectedWriteErrorConcurrent fails the WAL while 32 shards commit:
// every call returns (none hangs, the process does not exit), all calls after
// the first failure fail, and every acknowledged win survives a reopen.
func TestInjectedWriteErrorConcurrent(t *testing.T) {
	dir := t.TempDir()
	faults := &walFaults{}
	l := mustOpen(t, dir, Options{FS: errorfs.Wrap(vfs.Default, faults)})
	const shards, perShard, batch = 32, 400, 8
	acked := make([][]engine.Win, shards)
	attempted := make([][]engine.Win, shards)
	var wg sync.WaitGroup
	var commits atomic.Int64
	for s := 0; s < shards; s++ {
		ws := chain("act", fmt.Sprintf("sku-%02d", s), perShard, uint64(s)<<32)
		wg.Add(1)
		go func() {
			defer wg.Done()
			failed := false
			for i := 0; i < perShard; i += batch {
				err := l.AppendWins(ws[i : i+batch])
				if commits.Add(1) == 200 {
					faults.on.Store(true)
				}
				if err == nil {
					if failed {
						t.Errorf("shard %d: success after a failure", s)
					}
					acked[s] = ws[:i+batch]
				} else {
					if !errors.Is(err, ErrWrite) {
						t.Errorf("shard %d: %v", s, err)
					}
					if !failed {
						attempted[s] = ws[:i+batch]
					}
					failed = true
				}
			}
		}()
	}
	wg.Wait()
	if faults.hit.Load() == 0 || l.Failure() == nil {
		t.Fatal("the fault never fired")
	}
	faults.on.Store(false)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, dir, Options{})
	defer l.Close()
	got := scanAll(t, l)
	verifyChains(t, got)
	per := map[string]int{}
	for i := range got {
		per[got[i].SKU]++
	}
	total := 0
	for s := 0; s < shards; s++ {
		sku := fmt.Sprintf("sku-%02d", s)
		n := per[sku]
		if n < len(acked[s]) {
			t.Fatalf("%s: %d wins after reopen, but %d were acknowledged", sku, n, len(acked[s]))
		}
		if n > max(len(acked[s]), len(attempted[s])) {
			t.Fatalf("%s: %d wins after reopen, more than were ever written", sku, n)
		}
		total += len(acked[s])
	}
	t.Logf("acknowledged %d wins, %d present after reopen", total, len(got))
}

func TestCorruptValue(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{})
	ws := chain("a", "s", 3, 1)
	if err := l.AppendWins(ws); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(k, v []byte) ([]byte, []byte){
		"truncated value": func(k, v []byte) ([]byte, []byte) { return k, v[:len(v)-1] },
		"seq mismatch": func(k, v []byte) ([]byte, []byte) {
			v[9]++ // last byte of seq in the body
			return k, v
		},
		"bad version": func(k, v []byte) ([]byte, []byte) { v[0] = 9; return k, v },
		"sku mismatch": func(k, v []byte) ([]byte, []byte) {
			w := ws[1]
			w.SKU = "t"
			return k, AppendWinValue(nil, &w)
		},
		"bad key": func(k, v []byte) ([]byte, []byte) { return []byte("wa\x00s\x00\x01"), v },
	} {
		t.Run(name, func(t *testing.T) {
			k := AppendWinKey(nil, &ws[1])
			v := AppendWinValue(nil, &ws[1])
			k2, v2 := mutate(append([]byte(nil), k...), v)
			if err := l.db.Set(k2, v2, pebble.Sync); err != nil {
				t.Fatal(err)
			}
			defer func() {
				l.db.Delete(k2, pebble.Sync)
				l.db.Set(k, AppendWinValue(nil, &ws[1]), pebble.Sync)
			}()
			err := l.ScanWins(func(*engine.Win) error { return nil })
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("%q", k2)) {
				t.Fatalf("ScanWins = %v, want ErrCorrupt naming key %q", err, k2)
			}
			t.Log(err)
		})
	}
	if got := scanAll(t, l); len(got) != 3 {
		t.Fatalf("after repair: %d wins", len(got))
	}
	// An error from fn is returned as is.
	stop := errors.New("stop")
	if err := l.ScanWins(func(*engine.Win) error { return stop }); err != stop {
		t.Fatalf("ScanWins = %v, want fn's error", err)
	}
	l.Close()
}

func TestAppendWinsAllocs(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{})
	defer l.Close()
	ws := chain("activity", "sku", 16, 1)
	seq := uint64(100)
	step := func() {
		for i := range ws {
			seq++
			ws[i].Seq = seq
		}
		if err := l.AppendWins(ws); err != nil {
			t.Fatal(err)
		}
	}
	step()
	allocs := testing.AllocsPerRun(50, step)
	t.Logf("allocs per AppendWins of 16 wins: %.1f", allocs)
	if allocs >= 16 {
		t.Fatalf("AppendWins allocates per win: %.1f allocs for 16 wins", allocs)
	}
}
