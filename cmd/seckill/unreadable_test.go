package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnreadableStoreRefusesToServe: a data_dir that holds something other
// than a readable store is a clear error at start, never an empty sale.
func TestUnreadableStoreRefusesToServe(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "MANIFEST-000001"), []byte("this is not a pebble manifest"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[server]
listen = %q
data_dir = %q
drain_delay = "0s"
[auth]
mode = "none"
[[activity]]
id = "u"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "u1"
  stock = 1
`, freeAddr(t), data))
	out, err := exec.Command(binary, "serve", "-config", cfg).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("serve on an unreadable store: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "cannot open store") {
		t.Fatalf("error does not say what is wrong:\n%s", out)
	}
}
