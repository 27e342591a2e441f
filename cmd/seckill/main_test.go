package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"seckill/internal/testkit/httpget"
	"seckill/internal/testkit/testnet"
)

// binary is the seckill command built once for the tests that run it as a
// real child process (crash, flood).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "seckill-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "seckill")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build seckill: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string { return testnet.FreeAddr(t) }

// child is a running `seckill serve`.
type child struct {
	cmd  *exec.Cmd
	addr string
	log  *os.File
	// exited is closed once the process has ended; waitErr is then how.
	// cmd.ProcessState is set only by Wait, so it cannot tell a test
	// that the child died; this can.
	exited  chan struct{}
	waitErr error
}

// hasExited reports whether the child process has ended.
func (c *child) hasExited() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

// startChild runs `seckill serve -config cfgPath`, optionally under prefix
// (e.g. prlimit), and waits until /healthz answers.
func startChild(t *testing.T, addr, cfgPath string, prefix ...string) *child {
	t.Helper()
	return waitHealthy(t, spawnChild(t, cfgPath, prefix...), addr)
}

// waitHealthy waits until the child's /healthz on addr answers 200.
func waitHealthy(t *testing.T, c *child, addr string) *child {
	t.Helper()
	c.addr = addr
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := httpget.Get(addr, "/healthz", time.Second); err == nil && resp.Status == 200 {
			return c
		}
		if c.hasExited() {
			t.Fatalf("seckill serve exited (%v) before it became healthy; log:\n%s", c.waitErr, c.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.kill()
	t.Fatalf("seckill serve did not become healthy; log:\n%s", c.logText())
	return nil
}

// spawnChild starts `seckill serve -config cfgPath` with its output in a
// log file, without waiting for anything.
func spawnChild(t *testing.T, cfgPath string, prefix ...string) *child {
	t.Helper()
	return spawnServe(t, prefix, "-config", cfgPath)
}

// spawnServe starts `seckill serve serveArgs...`, under prefix when it is
// not empty, with its output in a log file, without waiting for anything.
func spawnServe(t *testing.T, prefix []string, serveArgs ...string) *child {
	t.Helper()
	args := append(append(append([]string{}, prefix...), binary, "serve"), serveArgs...)
	cmd := exec.Command(args[0], args[1:]...)
	logf, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, log: logf, exited: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return c
}

func (c *child) logText() string {
	b, _ := os.ReadFile(c.log.Name())
	return string(b)
}

// kill sends SIGKILL: no shutdown code runs, as in a crash.
func (c *child) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
}

// stop sends SIGTERM and expects a clean exit.
func (c *child) stop(t *testing.T) {
	t.Helper()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		if c.waitErr != nil {
			t.Errorf("seckill serve exited with %v; log:\n%s", c.waitErr, c.logText())
		}
	case <-time.After(20 * time.Second):
		c.kill()
		t.Errorf("seckill serve did not stop on SIGTERM")
	}
}

func writeConfig(t *testing.T, dir, text string) string {
	t.Helper()
	p := filepath.Join(dir, "seckill.toml")
	if err := os.WriteFile(p, []byte(strings.TrimLeft(text, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
