package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"seckill/internal/testkit/httpget"
)

// TestSIGHUPReloads sends a serving engine SIGHUP after each edit of its
// config file: the process keeps serving; a blocklist change applies at
// once; changes that need a restart are refused and each is named in the
// log; a broken file changes nothing.
func TestSIGHUPReloads(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	cfgText := func(readBuffer, stock int, blocked string) string {
		return fmt.Sprintf(`
[server]
listen = %q
data_dir = %q
drain_delay = "0s"
read_buffer = %d
[auth]
mode = "none"
[blocklist]
uids = [%s]
[[activity]]
id = "hup"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "x"
  stock = %d
`, addr, filepath.Join(dir, "data"), readBuffer, blocked, stock)
	}
	cfg := writeConfig(t, dir, cfgText(1024, 5, ""))
	srv := startChild(t, addr, cfg)
	defer srv.stop(t)
	buy := func(uid int) (int, string) {
		t.Helper()
		resp, err := httpget.Get(addr, fmt.Sprintf("/buy?sku=x&uid=%d", uid), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Status, string(resp.Body)
	}
	hangup := func(text, wantLog string) {
		t.Helper()
		writeConfig(t, dir, text)
		srv.cmd.Process.Signal(syscall.SIGHUP)
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(srv.logText(), wantLog) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log after SIGHUP:\n%s", wantLog, srv.logText())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	hangup(cfgText(1024, 5, "2"), "SIGHUP: applied")
	if st, body := buy(2); st != 403 || !strings.Contains(body, "blocked") {
		t.Fatalf("uid 2 after it was blocked by SIGHUP: %d %s", st, body)
	}
	if st, body := buy(1); st != 200 {
		t.Fatalf("uid 1: %d %s", st, body)
	}

	hangup(cfgText(2048, 9, "2"), "SIGHUP: changes refused")
	log := srv.logText()
	for _, field := range []string{"server.read_buffer", "activity[0].item[0].stock"} {
		if !strings.Contains(log, field) {
			t.Errorf("the refusal does not name %s:\n%s", field, log)
		}
	}

	hangup("[server]\nlisten = 42\n", "SIGHUP: config file refused")
	if st, body := buy(3); st != 200 {
		t.Fatalf("engine after a broken file's SIGHUP: %d %s", st, body)
	}
	if st, _ := buy(2); st != 403 {
		t.Fatalf("the blocklist was lost: %d", st)
	}
}
