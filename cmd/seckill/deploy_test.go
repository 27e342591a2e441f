package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"seckill/internal/testkit/tools"
)

// TestSystemdUnitVerifies runs systemd-analyze verify on deploy/seckill.service
// with ExecStart pointed at the freshly built binary (verify checks that it
// exists and is executable). Any warning — an unknown key, a misspelt
// section — fails the test, not only an error.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze := tools.Need(t, "systemd", "systemd-analyze")
	unit, err := os.ReadFile("../../deploy/seckill.service")
	if err != nil {
		t.Fatal(err)
	}
	const installed = "/usr/local/bin/seckill"
	if !bytes.Contains(unit, []byte("ExecStart="+installed+" ")) {
		t.Fatalf("the unit's ExecStart does not run %s", installed)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "seckill.service")
	if err := os.WriteFile(path, bytes.ReplaceAll(unit, []byte(installed), []byte(binary)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestSysctlKeysExist checks that every key deploy/sysctl.d sets names a
// kernel setting of this kernel (keys marked optional with '-' may be
// absent), so a typo cannot leave a limit at its default unnoticed.
func TestSysctlKeysExist(t *testing.T) {
	f, err := os.Open("../../deploy/sysctl.d/60-seckill.conf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(value) == "" {
			t.Errorf("not key = value: %q", line)
			continue
		}
		key = strings.TrimSpace(key)
		optional := strings.HasPrefix(key, "-")
		key = strings.TrimPrefix(key, "-")
		keys++
		if _, err := os.Stat("/proc/sys/" + strings.ReplaceAll(key, ".", "/")); err != nil && !optional {
			t.Errorf("%s: no such kernel setting: %v", key, err)
		}
	}
	if keys < 5 {
		t.Fatalf("only %d settings read", keys)
	}
}

// TestVersion checks that `seckill version` names the module version and a
// revision line, and that the built binary carries build information.
func TestVersion(t *testing.T) {
	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("seckill version: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "seckill ") || !strings.HasPrefix(lines[1], "revision ") ||
		!strings.Contains(string(out), "built with go1.") {
		t.Fatalf("seckill version printed:\n%s", out)
	}
}

// TestLogFlags checks -log-format and -log-level: json gives one object a
// line with the level filter applied, and bad values are refused by name.
func TestLogFlags(t *testing.T) {
	var buf bytes.Buffer
	lf := logFlags{format: "json", level: "warn"}
	l, err := lf.newLogger(&buf)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("dropped")
	l.Warn("kept", "n", 1)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["msg"] != "kept" || line["level"] != "WARN" {
		t.Fatalf("json log %q: %v", buf.String(), err)
	}
	for _, bad := range []logFlags{{format: "xml", level: "info"}, {format: "text", level: "loud"}} {
		if _, err := bad.newLogger(&buf); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
