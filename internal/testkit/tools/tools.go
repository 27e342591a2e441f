// Package tools finds the external programs some tests drive (promtool,
// chromium, systemd-analyze). .ci/run installs them; in CI (CI set) a
// missing one fails the test loudly, elsewhere it skips with the command
// that installs it.
package tools

import (
	"os"
	"os/exec"
	"testing"
)

// Need returns the path of the first of names found on PATH. When none is
// there it fails the test in CI and skips it elsewhere, naming debianPkg.
func Need(t testing.TB, debianPkg string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%v not on PATH: .ci/run must install Debian package %s", names, debianPkg)
	}
	t.Skipf("%v not on PATH; install it with: apt-get install %s", names, debianPkg)
	return ""
}
